"""Archives in a local folder (SELFSERVICE_EXPORT_DIR): the embedded default, for one machine or
a folder every web server and worker mounts.

An upload is a temporary ``.export-*.part`` file in the same folder, fsynced and renamed to its
final name when complete (so a killed attempt never leaves a torn archive under a real name);
the part files of killed attempts are deleted by the sweep.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from .base import ArchiveStore, StorageUnavailable, Stored, StoredFile, Upload, is_archive_name

PART_PREFIX = ".export-"
PART_SUFFIX = ".part"

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS}


def unavailable(exc: OSError, doing: str) -> StorageUnavailable:
    """An OSError as the store's error: full, refused or unreachable (an unmounted or
    failing disk), with the errno's name for the log (never the path's content)."""
    code = exc.errno or 0
    kind = "full" if code in _FULL else "refused" if code in _REFUSED else "unreachable"
    return StorageUnavailable(kind, f"{doing}: {errno.errorcode.get(code, 'OSError')}")


class LocalUpload(Upload):
    """Writes ``<folder>/<name>`` through a part file (seekable: zipfile writes each entry's
    sizes into its header afterwards, as it always did)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = os.path.basename(path)
        folder = os.path.dirname(os.path.abspath(path))
        try:
            fd, self.part = tempfile.mkstemp(dir=folder, prefix=PART_PREFIX, suffix=PART_SUFFIX)
        except OSError as exc:
            raise unavailable(exc, "create") from exc
        self._file = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> int:
        try:
            return self._file.write(data)
        except OSError as exc:
            raise unavailable(exc, "write") from exc

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            raise unavailable(exc, "flush") from exc

    def commit(self) -> Stored:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self.part, self.path)
        except OSError as exc:
            self.abort()
            raise unavailable(exc, "commit") from exc
        digest = hashlib.sha256()  # the headers were rewritten in place: hash the whole file
        with open(self.path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return Stored(self.name, os.path.getsize(self.path), digest.hexdigest())

    def abort(self) -> None:
        self._file.close()
        if os.path.exists(self.part):
            os.unlink(self.part)


class LocalStore(ArchiveStore):
    kind = "local"

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def _ready(self) -> str:
        try:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise unavailable(exc, "make the folder") from exc
        return self.folder

    def path(self, name: str) -> str:
        if not is_archive_name(name):  # a name always comes from new_name(): never a path
            raise ValueError("not an archive name")
        return os.path.join(self.folder, name)

    def create(self, name: str) -> Upload:
        self._ready()
        return LocalUpload(self.path(name))

    def open(self, name: str) -> StoredFile | None:
        try:
            stream = open(self.path(name), "rb")  # noqa: SIM115  (the caller closes it)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise unavailable(exc, "open") from exc
        status = os.fstat(stream.fileno())
        return StoredFile(stream, status.st_size, status.st_mtime)

    def delete(self, name: str) -> bool:
        try:
            os.unlink(self.path(name))
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise unavailable(exc, "delete") from exc
        return True

    def _entries(self) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(self._ready()) as entries:
                yield from entries
        except OSError as exc:
            raise unavailable(exc, "list") from exc

    def archives(self) -> Iterator[tuple[str, float]]:
        for entry in self._entries():
            if is_archive_name(entry.name):
                yield entry.name, entry.stat().st_mtime

    def abort_abandoned(self, older_than: float) -> int:
        removed = 0
        for entry in self._entries():
            if (entry.name.startswith(PART_PREFIX) and entry.name.endswith(PART_SUFFIX)
                    and entry.stat().st_mtime < older_than):
                os.unlink(entry.path)
                removed += 1
        return removed

    def check(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            folder = self._ready()
            ok = os.access(folder, os.W_OK | os.X_OK)
        except StorageUnavailable as exc:
            return {"ok": False, "kind": self.kind, "error": exc.kind}
        report: dict[str, Any] = {"ok": ok, "kind": self.kind,
                                  "ms": round((time.perf_counter() - started) * 1000, 1)}
        if not ok:
            report["error"] = "refused"
        return report
