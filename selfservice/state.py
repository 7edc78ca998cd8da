"""What one application's plugin holds: settings, database, queue, registries and the host's
callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import current_app

from .config import setting
from .db import Database
from .deletion_hooks import DeletionHooks
from .identity import Identity
from .job_registry import JobRegistry
from .queue import JobQueue
from .sources import SourceRegistry


class HostCallbacks(Protocol):
    """What the plugin asks of the host, through the extension object (``SelfService``)."""

    sources: SourceRegistry
    deletion: DeletionHooks

    def load_identity(self, account_id: str) -> Identity | None: ...

    def resolve_account(self, claims: Mapping[str, Any]) -> str | None: ...

    def org_members(self, org_id: str) -> list[str]: ...

    def find_account(self, email: str) -> str | None: ...


@dataclass
class SelfServiceState:
    extension: HostCallbacks
    config: Any
    db: Database
    queue: JobQueue
    #: job kind -> handler, failure hook, daily schedule: filled by ``init_app``
    jobs: JobRegistry = field(default_factory=JobRegistry)
    #: the application's instance folder (keys and files the plugin keeps)
    instance_path: str = ""
    #: the consent receipt signing key, loaded on first use
    receipt_key: Any = None
    #: the company's DPA countersigner (dpa_signing.Countersigner), loaded at start-up; None
    #: when SELFSERVICE_DPA_SIGNING_KEY is not set
    dpa_countersigner: Any = None
    #: the cookie registry built from SELFSERVICE_COOKIES, and the versions already recorded
    cookie_registry: Any = None
    cookie_versions_seen: set[str] = field(default_factory=set)
    #: cookie registry version -> its cookies (immutable rows, cached per process)
    cookie_snapshots: dict[str, Any] = field(default_factory=dict)
    #: server-side session id -> when (time.monotonic) this process last looked for the
    #: account's newer cookie decision made on another device (blueprints/cookie_state.py)
    cookie_account_checks: dict[str, float] = field(default_factory=dict)
    #: daily job kind -> the day the dispatcher last asked for it
    daily_done: dict[str, str] = field(default_factory=dict)
    #: the Authlib OpenID Connect client, created on first use
    oidc_client: Any = None
    #: the plugin's own Flask-Limiter (blueprints/rate_limits.py), made by ``init_app``
    limiter: Any = None
    #: the names the plugin's blueprints are mounted under (their responses get its headers)
    http_blueprints: set[str] = field(default_factory=set)
    #: (process id, archive store): made on first use in each process (a forked work horse
    #: makes its own, with its own connections)
    archive_store: Any = None
    #: whether the HTTPS-with-an-insecure-session-cookie warning was logged
    warned_insecure_session: bool = False

    def setting(self, key: str) -> Any:
        return setting(self.config, key)


def get_state() -> SelfServiceState:
    try:
        return current_app.extensions["selfservice"]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("SelfService is not initialised on this application; call "
                           "SelfService(app) or init_app(app) first.") from None
