"""Privacy self-service for Flask consoles."""

from .auth import current_identity, is_fresh, record_authentication
from .config import ConfigError
from .deletion_hooks import Blocker
from .extension import SelfService
from .identity import Identity, Organisation
from .sources import DataSource, Subject
from .version import __version__

__all__ = [
    "Blocker",
    "ConfigError",
    "DataSource",
    "Identity",
    "Organisation",
    "SelfService",
    "Subject",
    "__version__",
    "current_identity",
    "is_fresh",
    "record_authentication",
]
