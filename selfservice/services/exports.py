"""Building, serving and expiring export archives (the export job's work), in the archive store
the settings name (selfservice.storage: a local folder, or S3-compatible object storage that
several hosts share)."""

from __future__ import annotations

import logging
import os
import time
from contextlib import suppress
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from .. import archive, translation
from ..db import utcnow
from ..job_registry import JobFailed
from ..ledger import record_audit
from ..models import PrivacyRequest, RequestStatus
from ..record_check import SchemaMismatch
from ..sources import Subject
from ..state import get_state
from ..storage import ArchiveStore, StorageUnavailable, StoredFile, new_name, store_from_settings
from ..text import human_size, is_identifier
from . import languages, outbox, privacy_requests
from .audit import account_stream

logger = logging.getLogger(__name__)

SWEEP_JOB = "retention.export_archives"


def store() -> ArchiveStore:
    """This application's archive store (one per process: a forked worker makes its own)."""
    state = get_state()
    made = state.archive_store
    if made is None or made[0] != os.getpid():
        made = state.archive_store = (os.getpid(), store_from_settings(
            state.setting, state.instance_path))
    return made[1]  # type: ignore[no-any-return]


def forget(names: list[str | None]) -> None:
    """Delete archives no request names any more (after the commit that let go of them). A
    store that does not answer now is left to the sweep, which deletes them later."""
    for name in names:
        if not name:
            continue
        try:
            store().delete(name)
        except StorageUnavailable as exc:
            logger.warning("could not delete an archive now (the sweep will): %s", exc.detail)


def build(ctx: outbox.JobContext) -> dict[str, Any]:
    """Build the archive of the request ``ctx.target_id``. Safe to run again after a crash:
    a finished request is left alone, a half-written archive never has its final name."""
    state = get_state()
    db = state.db
    with db.transaction() as session:
        request = session.get(PrivacyRequest, ctx.target_id, with_for_update=True)
        if request is None or request.status not in (RequestStatus.VERIFIED,
                                                     RequestStatus.RECEIVED,
                                                     RequestStatus.IN_PROGRESS):
            return {"skipped": request.status if request else "gone"}
        # every attempt shows in the timeline: a retry after a crash is visible, not silent
        privacy_requests.add_event(session, request, RequestStatus.IN_PROGRESS,
                        f"Building your archive (attempt {ctx.attempt})")
        request.step = "Starting"
        account_id, reference = request.account_id, request.reference
        formats = list(request.details.get("formats", ["jsonl"]))
    identity = state.extension.load_identity(account_id)
    subject = Subject(account_id, identity.org.id if identity and identity.org else None)
    name = new_name()
    last = [0.0]

    def progress(fraction: float, step: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and fraction < 1:
            return  # at most two writes a second
        last[0] = now
        percent = 2 + int(96 * fraction)
        ctx.progress(percent, step)
        with db.transaction() as session:
            session.execute(sa.update(PrivacyRequest)
                            .where(PrivacyRequest.id == ctx.target_id,
                                   PrivacyRequest.status == RequestStatus.IN_PROGRESS)
                            .values(progress=min(percent, 99), step=step[:200],
                                    updated_at=utcnow()))

    try:
        # the viewer and README in the customer's language; the sources' words through the
        # plugin's catalogue, then the host's
        with languages.writing_to(account_id) as language:
            result = archive.build(store().create(name), subject, state.extension.sources,
                                   reference=reference, generated_at=utcnow(),
                                   csv_files="csv" in formats, progress=progress,
                                   schema_check=state.setting("EXPORT_SCHEMA_CHECK"),
                                   lang=language, translate=translation.gettext)
    except SchemaMismatch as mismatch:
        # the same records would fail every attempt: stop now, and say why
        raise outbox.JobRefused(_stop(ctx, account_id, mismatch)) from mismatch
    except StorageUnavailable as exc:
        # the log gets the store's error code; the customer, plain words (tried again later)
        logger.warning("export %s attempt %d: %s", ctx.target_id, ctx.attempt, exc)
        raise JobFailed(exc.plain) from exc
    with db.transaction() as session:
        request = session.get(PrivacyRequest, ctx.target_id, with_for_update=True)
        if request is None or request.status != RequestStatus.IN_PROGRESS:
            forget([result.name])  # canceled meanwhile: keep nothing
            return {"discarded": True}
        now = utcnow()
        request.archive_name, request.archive_bytes = name, result.bytes
        request.archive_sha256, request.records = result.sha256, result.records
        request.expires_at = now + timedelta(days=state.setting("EXPORT_TTL_DAYS"))
        request.completed_at, request.progress, request.step = now, 100, "Ready to download"
        privacy_requests.add_event(session, request, RequestStatus.COMPLETED,
                        f"{result.records:,} records, {human_size(result.bytes)}")
        record_audit(session, stream=account_stream(account_id), action="export.completed",
                     actor_type="system", target_type="request", target_id=request.id,
                     details={"sha256": result.sha256, "bytes": result.bytes})
        if state.setting("SMTP_HOST"):
            outbox.schedule(session, privacy_requests.READY_JOB, target_type="request",
                          target_id=request.id, dedupe_key=f"mail:ready:{request.id}")
    return {"records": result.records, "bytes": result.bytes}


def _reason(description: str, mismatch: SchemaMismatch) -> str:
    """Why a strict schema check stopped an export: for the customer, then for support."""
    return (f"We stopped your export: some of your records in “{description}” are not in the "
            "format we promise, and we would rather not send you a copy that is wrong. Trying "
            "again will help only once we have fixed it. Details for our support team: "
            f"{mismatch.source}, {mismatch.problem}.")


def _stop(ctx: outbox.JobContext, account_id: str, mismatch: SchemaMismatch) -> str:
    """The request fails for good with the reason (no attempt is left to retry in vain)."""
    sources = get_state().extension.sources
    described = sources[mismatch.source].description if mismatch.source in sources else ""
    reason = _reason(described or mismatch.source, mismatch)
    with get_state().db.transaction() as session:
        request = session.get(PrivacyRequest, ctx.target_id, with_for_update=True)
        if request is not None and request.status == RequestStatus.IN_PROGRESS:
            request.reason, request.step = reason, ""
            privacy_requests.add_event(session, request, RequestStatus.FAILED,
                                    "Stopped: some records are not in the promised format")
            record_audit(session, stream=account_stream(account_id), action="export.stopped",
                         actor_type="system", target_type="request", target_id=request.id,
                         details={"source": mismatch.source, "problem": mismatch.problem})
    return reason


class Gone(Exception):
    """The archive expired (or was deleted): 410."""


class Unavailable(Exception):
    """The archive store does not answer: 503, try again in a moment."""


def open_download(account_id: str, request_id: str) -> tuple[PrivacyRequest, StoredFile] | None:
    """The archive of the account's own completed export, opened (the caller closes its
    stream). None: not theirs or no archive (404); Gone: expired (410); Unavailable: the
    store does not answer (503). Nothing is counted here: :func:`record_download` counts a
    download once its last byte is sent."""
    if not is_identifier(request_id):
        return None
    with get_state().db.read() as session:
        request = session.get(PrivacyRequest, request_id)
        if (request is None or request.account_id != account_id
                or request.status != RequestStatus.COMPLETED or not request.archive_name):
            return None
        if request.expires_at is not None and request.expires_at <= utcnow():
            raise Gone()
        name = request.archive_name
    try:
        opened = store().open(name)
    except StorageUnavailable as exc:
        logger.warning("download of request %s: %s", request_id, exc)
        raise Unavailable() from exc
    if opened is None:
        raise Gone()
    return request, opened


def record_download(account_id: str, request_id: str) -> int:
    """One complete download of the account's archive: counted and audited. Returns the
    number of downloads so far."""
    with get_state().db.transaction() as session:
        request = session.get(PrivacyRequest, request_id, with_for_update=True)
        if request is None or request.account_id != account_id:
            return 0
        request.downloads += 1
        record_audit(session, stream=account_stream(account_id), action="export.downloaded",
                     actor_type="account", actor_id=account_id, target_type="request",
                     target_id=request.id, details={"count": request.downloads})
        return request.downloads


def sweep(abandoned_after: float | None = None) -> int:
    """Delete expired archives, then what killed attempts left once older than
    ``abandoned_after`` seconds (EXPORT_ABANDONED_AFTER): unfinished uploads, and finished
    archives that no request names (an attempt killed between its upload and its commit, an
    erasure that could not reach the store). Returns archives and uploads deleted."""
    archives = store()
    deleted = 0
    with get_state().db.transaction() as session:
        expired = session.scalars(sa.select(PrivacyRequest).where(
            PrivacyRequest.archive_name.is_not(None), PrivacyRequest.expires_at <= utcnow(),
            PrivacyRequest.step != EXPIRED_STEP))
        for request in expired:  # the row keeps the name: a late download gets 410
            if archives.delete(request.archive_name or ""):
                deleted += 1
            request.step = EXPIRED_STEP
    if abandoned_after is None:
        abandoned_after = get_state().setting("EXPORT_ABANDONED_AFTER")
    cutoff = time.time() - abandoned_after
    deleted += archives.abort_abandoned(cutoff)
    old = [name for name, written in archives.archives() if written < cutoff]
    for batch in (old[i:i + 500] for i in range(0, len(old), 500)):
        with get_state().db.read() as session:
            named = set(session.scalars(sa.select(PrivacyRequest.archive_name)
                                        .where(PrivacyRequest.archive_name.in_(batch))))
        for name in batch:
            if name not in named:
                with suppress(StorageUnavailable):
                    deleted += archives.delete(name)
    return deleted


EXPIRED_STEP = "Expired: the archive was deleted"
