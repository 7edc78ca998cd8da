"""The archive store the settings ask for: SELFSERVICE_STORAGE_URL ``s3://bucket/prefix`` (with
the STORAGE_* settings), or none: the local folder SELFSERVICE_EXPORT_DIR.

Nothing here contacts the store: a bad URL is refused at start-up (config.py calls
:func:`parse_url`), a store that does not answer shows in /health and fails the exports that
need it, with a reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .base import ArchiveStore
from .local import LocalStore

#: S3's bucket naming rules (3-63 characters: lower-case letters, digits, dots and hyphens)
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: what a prefix may hold: S3's "safe" key characters, in segments separated by "/"
PREFIX_SEGMENT = re.compile(r"^[A-Za-z0-9!_.*'()-]+$")
SSE_MODES = ("AES256", "aws:kms", "aws:kms:dsse")
ADDRESSING_STYLES = ("auto", "path", "virtual")


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket[/prefix]`` -> (bucket, prefix ending in "/" or ""); ValueError says what
    is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError("start with s3:// (the local folder is SELFSERVICE_EXPORT_DIR)")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        raise ValueError("name a bucket and a prefix only (s3://bucket/prefix); the "
                         "endpoint, region and credentials have settings of their own")
    if not BUCKET.match(parts.netloc) or ".." in parts.netloc:
        raise ValueError("name a valid bucket (3 to 63 lower-case letters, digits, dots "
                         "and hyphens)")
    segments = [s for s in parts.path.split("/") if s]
    if any(s in (".", "..") or not PREFIX_SEGMENT.match(s) for s in segments):
        raise ValueError("use a prefix of letters, digits and !_.*'()- between slashes")
    return parts.netloc, "".join(f"{s}/" for s in segments)


def store_from_settings(setting: Callable[[str], Any], instance_path: str) -> ArchiveStore:
    """The store for an application's settings (``setting(short_name)``)."""
    url = setting("STORAGE_URL")
    if not url:
        return LocalStore(setting("EXPORT_DIR") or os.path.join(instance_path, "exports"))
    # optional dependency (the s3 extra): only a console that stores archives in S3 needs boto3
    from .s3 import S3Options, S3Store

    bucket, prefix = parse_url(url)
    return S3Store(S3Options(
        bucket=bucket, prefix=prefix, endpoint_url=setting("STORAGE_ENDPOINT_URL"),
        region=setting("STORAGE_REGION"), access_key_id=setting("STORAGE_ACCESS_KEY_ID"),
        secret_access_key=setting("STORAGE_SECRET_ACCESS_KEY"), sse=setting("STORAGE_SSE"),
        sse_kms_key_id=setting("STORAGE_SSE_KMS_KEY_ID"),
        addressing_style=setting("STORAGE_ADDRESSING_STYLE"),
        part_size=setting("STORAGE_PART_SIZE"), timeout=setting("STORAGE_TIMEOUT")))
