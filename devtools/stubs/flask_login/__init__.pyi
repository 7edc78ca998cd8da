from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from blinker import NamedSignal
from flask import Flask

_UserLoader = TypeVar("_UserLoader", bound=Callable[[str], Any])

class UserMixin:
    __hash__ = object.__hash__
    @property
    def is_active(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_anonymous(self) -> bool: ...
    def get_id(self) -> str: ...

class LoginManager:
    login_view: str | None
    session_protection: str | None
    def __init__(self, app: Flask | None = None, add_context_processor: bool = True) -> None: ...
    def user_loader(self, callback: _UserLoader) -> _UserLoader: ...
    # sets the request's current_user (None: the anonymous user) without loading one
    def _update_request_context_with_user(self, user: Any = None) -> None: ...

# whatever the user loader returned, or the anonymous user
current_user: Any

def login_user(
    user: Any,
    remember: bool = False,
    duration: timedelta | None = None,
    force: bool = False,
    fresh: bool = True,
) -> bool: ...
def logout_user() -> bool: ...

user_logged_in: NamedSignal
user_logged_out: NamedSignal
