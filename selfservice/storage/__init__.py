"""Where export archives live, behind one small interface (:class:`ArchiveStore`): a local
folder (the default) or S3-compatible object storage (``SELFSERVICE_STORAGE_URL``)."""

from .base import ArchiveStore, StorageUnavailable, Stored, StoredFile, Upload, new_name
from .factory import store_from_settings

__all__ = ["ArchiveStore", "StorageUnavailable", "Stored", "StoredFile", "Upload", "new_name",
           "store_from_settings"]
