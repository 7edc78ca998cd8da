"""The record of requests and responses that California's regulations (section 7101) ask a
business to keep for at least 24 months: for each request received in a period, when it came
in, its type, how it came in, and the response (when, what, and any reason for a denial).

Requests of erased accounts are in it too: erasure keeps each request's record under the
deletion's pseudonym (own_erasure.erase_privacy_requests) and the proof sweep removes it only
after ERASED_PROOF_RETENTION_DAYS, which may not be shorter than 730 days
(config.RECORD_DAYS). The record names
no account: it is about requests, not people. It is the record of consumers' requests: an
organisation asking for changes to the DPA (a ``dpa`` request, a contract negotiation) is not in
it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..models import PSEUDONYM_PREFIX, STATUTORY_TYPES, PrivacyRequest, RequestStatus
from ..schemas.decisions import RECORD_COLUMNS
from ..state import get_state

#: the CSV's columns, in order (the API's contract)
COLUMNS = RECORD_COLUMNS
_OPEN = "open"
_ROWS_PER_CHUNK = 500


def _response(row: Any) -> str:
    """What the business answered: complied, complied in part, denied, withdrawn by the
    customer, or still open."""
    if row.status == RequestStatus.COMPLETED:
        return "complied in part" if row.decision_code else "complied"
    if row.status == RequestStatus.DENIED:
        return "denied"
    if row.status == RequestStatus.CANCELED:
        return "withdrawn"
    return "failed" if row.status == RequestStatus.FAILED else _OPEN


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def record_row(row: Any, erased_prefix: str) -> tuple[str, ...]:
    answered = row.status in (RequestStatus.COMPLETED, RequestStatus.DENIED)
    responded = (row.completed_at or row.decided_at or row.updated_at) if answered else None
    denial = bool(row.decision_code) or row.status == RequestStatus.DENIED
    return (row.reference, _iso(row.created_at), row.type, row.channel or "",
            row.jurisdiction or "", _iso(row.due_at), _iso(row.extended_due_at), row.status,
            _iso(responded), _response(row), (row.decision_code or "") if denial else "",
            (row.reason or "") if denial else "", row.appeal_reference or "",
            "yes" if row.account_id.startswith(erased_prefix) else "no")


def records(start: datetime, end: datetime) -> Iterator[tuple[str, ...]]:
    """The record of every request received from ``start`` (inclusive) to ``end``
    (exclusive), oldest first, read in batches (memory stays flat over years of requests)."""
    appealed = sa.orm.aliased(PrivacyRequest)
    query = (sa.select(PrivacyRequest.reference, PrivacyRequest.created_at,
                       PrivacyRequest.type, PrivacyRequest.channel,
                       PrivacyRequest.jurisdiction, PrivacyRequest.due_at,
                       PrivacyRequest.extended_due_at, PrivacyRequest.status,
                       PrivacyRequest.completed_at, PrivacyRequest.decided_at,
                       PrivacyRequest.updated_at, PrivacyRequest.decision_code,
                       PrivacyRequest.reason, PrivacyRequest.account_id,
                       appealed.reference.label("appeal_reference"))
             .outerjoin(appealed, appealed.id == PrivacyRequest.appeal_of)
             .where(PrivacyRequest.created_at >= start, PrivacyRequest.created_at < end,
                    PrivacyRequest.type.in_(STATUTORY_TYPES))
             .order_by(PrivacyRequest.created_at, PrivacyRequest.id)
             .execution_options(yield_per=1000))
    with get_state().db.read() as session:
        for row in session.execute(query):
            yield record_row(row, PSEUDONYM_PREFIX)


def as_csv(start: datetime, end: datetime) -> Iterator[str]:
    """The record as CSV text, in chunks of a few hundred rows (for a streamed response)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, values in enumerate(records(start, end), start=1):
        writer.writerow(values)
        if number % _ROWS_PER_CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
