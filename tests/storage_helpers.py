"""What an archive store holds, as a test sees it: complete archives, and unfinished uploads
(part files in the folder; multipart uploads in the bucket), read from the store itself."""

from __future__ import annotations

import os

from flask import Flask

from selfservice.services import exports
from selfservice.storage.local import PART_PREFIX, LocalStore
from selfservice.storage.s3 import S3Store


def archives(app: Flask) -> list[str]:
    """The names of the complete archives in the app's store."""
    with app.app_context():
        return sorted(name for name, _ in exports.store().archives())


def unfinished(app: Flask) -> int:
    """Uploads begun and neither completed nor aborted."""
    with app.app_context():
        store = exports.store()
        if isinstance(store, LocalStore):
            if not os.path.isdir(store.folder):
                return 0
            return sum(1 for name in os.listdir(store.folder) if name.startswith(PART_PREFIX))
        assert isinstance(store, S3Store)
        answer = store.client.list_multipart_uploads(Bucket=store.options.bucket,
                                                     Prefix=store.options.prefix)
        return len(answer.get("Uploads", []))


def leftovers(app: Flask) -> tuple[list[str], int]:
    """(archives, unfinished uploads): ([], 0) once a failed export has been cleaned up."""
    return archives(app), unfinished(app)
