"""Secrets kept in a file of the instance folder, made on first use (the consent-receipt key,
the demo console's session key). No Flask in it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable


def read_or_create(path: str, make: Callable[[], bytes]) -> bytes:
    """The contents of the file at ``path``, which is first written with ``make()`` if it does
    not exist: whole, under a temporary name then linked into place, and readable by its owner
    only (mode 0600). The web process and a worker may both get here first: the one that links
    second reads the other's secret, so both use the same. Raises OSError if it cannot."""
    if not os.path.exists(path):
        folder = os.path.dirname(path) or "."
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".new-key-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(make())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # the other one won: use its secret
                os.link(temp, path)
        finally:
            os.unlink(temp)
    with open(path, "rb") as handle:
        return handle.read()
