"""The regulator's numbers: per request type, for the requests received in a period, how many
were received, complied with (in whole or in part), denied (in whole or in part), the median and
95th-percentile days taken to respond, and how many were or are overdue (the metrics the
California regulations, section 7102, ask large businesses to publish every year).

A request denied in part is one completed with a reason code (the reason the rest was not
done): it counts as completed and as denied. Days to respond run from receipt to the answer
(completion or denial), for requests answered; the 95th percentile is the nearest rank. A
request is overdue if it was answered after its deadline in force (an extended one, if it was
extended), or is still unanswered past it (canceled requests are neither).

Only the requests the privacy laws give people count: an organisation asking for changes to
the DPA (a ``dpa`` request) negotiates a contract, and is left out.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..db import utcnow
from ..models import STATUTORY_TYPES, PrivacyRequest, RequestStatus
from ..state import get_state

ANSWERED = (RequestStatus.COMPLETED, RequestStatus.DENIED)
#: the CSV's columns, in order
COLUMNS = ("type", "received", "completed", "denied", "median_days", "p95_days", "overdue")
_DAY = 86400.0


@dataclass
class TypeMetrics:
    """One request type's numbers for the period."""

    type: str
    received: int = 0
    #: complied with, in whole or in part
    completed: int = 0
    #: denied in whole or in part
    denied: int = 0
    overdue: int = 0
    #: days from receipt to answer, of each request answered
    days: list[float] = field(default_factory=list)

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days), 2) if self.days else None

    @property
    def p95_days(self) -> float | None:
        if not self.days:
            return None
        ordered = sorted(self.days)
        return round(ordered[math.ceil(0.95 * len(ordered)) - 1], 2)

    def as_json(self) -> dict[str, object]:
        return {"type": self.type, "received": self.received, "completed": self.completed,
                "denied": self.denied, "median_days": self.median_days,
                "p95_days": self.p95_days, "overdue": self.overdue}


def _count(metrics: TypeMetrics, row: Any, now: datetime) -> None:
    metrics.received += 1
    deadline = row.extended_due_at or row.due_at
    if row.status not in ANSWERED:
        metrics.overdue += row.status != RequestStatus.CANCELED and now > deadline
        return
    answered = row.completed_at or row.decided_at or row.updated_at
    metrics.days.append((answered - row.created_at).total_seconds() / _DAY)
    metrics.overdue += answered > deadline
    metrics.completed += row.status == RequestStatus.COMPLETED
    metrics.denied += (row.status == RequestStatus.DENIED
                       or row.decision_code is not None)


def metrics(start: datetime, end: datetime, now: datetime | None = None) -> list[TypeMetrics]:
    """Every request type's numbers for requests received from ``start`` (inclusive) to
    ``end`` (exclusive), in the order of the types; ``now`` decides what is overdue."""
    moment = now or utcnow()
    found = {kind.value: TypeMetrics(kind.value) for kind in STATUTORY_TYPES}
    query = (sa.select(PrivacyRequest.type, PrivacyRequest.status, PrivacyRequest.created_at,
                       PrivacyRequest.completed_at, PrivacyRequest.decided_at,
                       PrivacyRequest.updated_at, PrivacyRequest.due_at,
                       PrivacyRequest.extended_due_at, PrivacyRequest.decision_code)
             .where(PrivacyRequest.created_at >= start, PrivacyRequest.created_at < end,
                    PrivacyRequest.type.in_(STATUTORY_TYPES))
             .execution_options(yield_per=5000))
    with get_state().db.read() as session:
        for row in session.execute(query):
            if row.type in found:
                _count(found[row.type], row, moment)
    return list(found.values())


def as_csv(rows: Iterable[TypeMetrics]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in rows:
        values = item.as_json()
        writer.writerow(["" if values[name] is None else values[name] for name in COLUMNS])
    return out.getvalue()
