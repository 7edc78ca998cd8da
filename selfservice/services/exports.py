"""Building, serving and expiring export archives (the export job's work)."""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from .. import archive
from ..db import utcnow
from ..ledger import record_audit
from ..models import PrivacyRequest, RequestStatus
from ..record_check import SchemaMismatch
from ..sources import Subject
from ..state import get_state
from ..text import is_identifier
from . import outbox, privacy_requests
from .audit import account_stream

SWEEP_JOB = "retention.export_archives"


def export_dir() -> str:
    state = get_state()
    folder = state.setting("EXPORT_DIR") or os.path.join(state.instance_path, "exports")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return str(folder)


def archive_path(request: PrivacyRequest) -> str | None:
    if not request.archive_name:
        return None
    return os.path.join(export_dir(), request.archive_name)


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
    name = secrets.token_urlsafe(32) + ".zip"
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
        result = archive.build(os.path.join(export_dir(), name), subject,
                               state.extension.sources, reference=reference,
                               generated_at=utcnow(), csv_files="csv" in formats,
                               progress=progress,
                               schema_check=state.setting("EXPORT_SCHEMA_CHECK"))
    except SchemaMismatch as mismatch:
        # the same records would fail every attempt: stop now, and say why
        raise outbox.JobRefused(_stop(ctx, account_id, mismatch)) from mismatch
    with db.transaction() as session:
        request = session.get(PrivacyRequest, ctx.target_id, with_for_update=True)
        if request is None or request.status != RequestStatus.IN_PROGRESS:
            os.unlink(result.path)  # canceled meanwhile: keep nothing
            return {"discarded": True}
        now = utcnow()
        request.archive_name, request.archive_bytes = name, result.bytes
        request.archive_sha256, request.records = result.sha256, result.records
        request.expires_at = now + timedelta(days=state.setting("EXPORT_TTL_DAYS"))
        request.completed_at, request.progress, request.step = now, 100, "Ready to download"
        privacy_requests.add_event(session, request, RequestStatus.COMPLETED,
                        f"{result.records:,} records, {result.bytes:,} bytes")
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


def open_download(account_id: str, request_id: str) -> tuple[PrivacyRequest, str] | None:
    """The archive of the account's own completed export. None: not theirs or no archive
    (404); Gone: expired (410). Nothing is counted here: :func:`record_download` counts a
    download once its last byte is sent."""
    if not is_identifier(request_id):
        return None
    with get_state().db.read() as session:
        request = session.get(PrivacyRequest, request_id)
        if (request is None or request.account_id != account_id
                or request.status != RequestStatus.COMPLETED or not request.archive_name):
            return None
        path = archive_path(request)
        if (request.expires_at is not None and request.expires_at <= utcnow()) or (
                path is None or not os.path.exists(path)):
            raise Gone()
        return request, path


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


def sweep() -> int:
    """Delete expired archives, and half-written ones a killed worker left (older than a
    day). Returns files deleted."""
    folder = export_dir()
    deleted = 0
    with get_state().db.transaction() as session:
        expired = session.scalars(sa.select(PrivacyRequest).where(
            PrivacyRequest.archive_name.is_not(None), PrivacyRequest.expires_at <= utcnow()))
        for request in expired:
            path = os.path.join(folder, request.archive_name or "")
            if os.path.exists(path):  # the row keeps the name: a late download gets 410
                os.unlink(path)
                deleted += 1
                request.step = "Expired: the archive was deleted"
    cutoff = time.time() - 86400
    for entry in os.scandir(folder):
        if entry.name.startswith(".export-") and entry.stat().st_mtime < cutoff:
            os.unlink(entry.path)
            deleted += 1
    return deleted
