"""The one small interface every archive store has, and what the stores share: names, errors.

An archive is written once, by one export attempt, through an :class:`Upload` (a binary stream
the ZIP writer writes to); nothing of it can be read until :meth:`Upload.commit` makes it
visible under its final name, and :meth:`Upload.abort` leaves nothing behind. It is then read
(:meth:`ArchiveStore.open`, seekable, for HTTP Range) until a sweep deletes it.

Names are unguessable and carry no personal data: the time the attempt began (so a sweep can
tell an abandoned upload from a running one whatever the store reports) and 32 random bytes.
"""

from __future__ import annotations

import re
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

#: an archive's name: <unix seconds>-<43 URL-safe characters>.zip (before 0.2: no time)
NAME = re.compile(r"^(?:(\d{10})-)?[A-Za-z0-9_-]{43}\.zip$")

#: what went wrong with the store, in the customer's words (the request page shows it)
PLAIN_WORDS = {
    "unreachable": "the storage where we keep archives did not answer",
    "full": "the storage where we keep archives is full",
    "refused": "the storage where we keep archives refused to keep it",
}


def new_name(now: float | None = None) -> str:
    """A fresh archive name: unguessable, and no personal data in it."""
    return f"{int(time.time() if now is None else now):010d}-{secrets.token_urlsafe(32)}.zip"


def is_archive_name(name: str) -> bool:
    return NAME.match(name) is not None


def started_at(name: str) -> float | None:
    """When the attempt that wrote ``name`` began (None: an older name without the time)."""
    found = NAME.match(name)
    return float(found[1]) if found and found[1] else None


class StorageUnavailable(Exception):
    """The store could not do what was asked. ``kind`` is unreachable, full or refused (for
    the customer's words, :data:`PLAIN_WORDS`); ``detail`` is for the log: the store's own
    error code and the operation, never a record's content."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"archive store {kind}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def plain(self) -> str:
        return PLAIN_WORDS.get(self.kind, PLAIN_WORDS["unreachable"])


@dataclass(frozen=True)
class Stored:
    """An archive made visible: its name, size and SHA-256 (of the whole file)."""

    name: str
    bytes: int
    sha256: str


@dataclass
class StoredFile:
    """An archive opened for reading: a seekable binary stream (read lazily), its size and
    when it was written (seconds since the epoch). Close ``stream`` when done."""

    stream: IO[bytes]
    size: int
    modified: float


class Upload(ABC):
    """One archive being written, as a binary stream (``write``, ``tell``, ``flush``; ``seek``
    only where the store can, which zipfile finds out by trying). Then exactly one of
    :meth:`commit` or :meth:`abort`."""

    name: str

    @abstractmethod
    def write(self, data: bytes) -> int: ...

    @abstractmethod
    def tell(self) -> int: ...

    def seek(self, offset: int, whence: int = 0) -> int:
        raise OSError("this archive store writes straight through: no seeking back")

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        """Nothing to do by default: parts go out as they fill."""
        return None

    @abstractmethod
    def commit(self) -> Stored:
        """Make the archive visible under its name (atomically) and say what it holds."""

    @abstractmethod
    def abort(self) -> None:
        """Leave nothing behind (what a failed store keeps, the sweep removes later)."""


class ArchiveStore(ABC):
    """Where export archives live. Implementations: :class:`.local.LocalStore` (a folder) and
    :class:`.s3.S3Store` (S3-compatible object storage)."""

    #: "local" or "s3", as /health reports it
    kind: str

    @abstractmethod
    def create(self, name: str) -> Upload:
        """Begin writing a new archive called ``name`` (see :func:`new_name`)."""

    @abstractmethod
    def open(self, name: str) -> StoredFile | None:
        """The archive for reading; None when there is none by that name."""

    @abstractmethod
    def delete(self, name: str) -> bool:
        """Delete an archive; whether there was one."""

    @abstractmethod
    def archives(self) -> Iterator[tuple[str, float]]:
        """Every complete archive: (name, when it was written)."""

    @abstractmethod
    def abort_abandoned(self, older_than: float) -> int:
        """Discard unfinished uploads begun before ``older_than`` (seconds since the epoch):
        the leftovers of killed attempts. Returns how many."""

    @abstractmethod
    def check(self) -> dict[str, Any]:
        """Whether the store answers, for /health: {"ok": bool, ...}; never raises."""


def started(name: str, fallback: float) -> float:
    """When an upload began: the time in its name, else what the store says."""
    stamp = started_at(name)
    return fallback if stamp is None else stamp
