"""The DPA as the privacy officer sees it, organisation by organisation: the versions each one
signed in the console, the DPAs negotiated with it, and its open requests for changes.

The console keeps no list of organisations (the host has them): the organisations listed are
those with something of the DPA on record, open requests first (the earliest deadline first),
then by name. Signatures and negotiated DPAs are read without their PDFs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer

from ..models import OPEN_STATUSES, DpaNegotiated, DpaSignature, PrivacyRequest, RequestType
from ..state import get_state

#: the most organisations one page lists (a look-up by id finds any other)
LISTED = 100


@dataclass
class OrgDpa:
    org_id: str
    org_name: str
    signatures: list[DpaSignature] = field(default_factory=list)
    negotiated: list[DpaNegotiated] = field(default_factory=list)
    open_requests: list[PrivacyRequest] = field(default_factory=list)

    def sort_key(self) -> tuple[int, datetime | None, str]:
        first_due = min((r.deadline_at for r in self.open_requests), default=None)
        return (0 if first_due else 1, first_due, self.org_name.casefold())


@dataclass(frozen=True)
class Overview:
    organisations: list[OrgDpa]
    #: more organisations have something on record than the page lists
    truncated: bool


def _rows(model: Any, org_id: str | None) -> list[Any]:
    query = sa.select(model)
    if model is not PrivacyRequest:
        query = query.options(defer(model.pdf))
    if org_id is not None:
        query = query.where(model.org_id == org_id)
    if model is PrivacyRequest:
        query = query.where(PrivacyRequest.type == RequestType.DPA,
                            PrivacyRequest.status.in_(OPEN_STATUSES))
    with get_state().db.read() as session:
        return list(session.scalars(query))


def overview(org_id: str | None = None, limit: int = LISTED) -> Overview:
    """Every organisation with a signature, a negotiated DPA or an open request for changes
    (only ``org_id``'s, if given), at most ``limit`` of them."""
    found: dict[str, OrgDpa] = {}

    def entry(key: str, name: str) -> OrgDpa:
        return found.setdefault(key, OrgDpa(key, name))

    for row in sorted(_rows(DpaSignature, org_id), key=lambda r: r.signed_at, reverse=True):
        entry(row.org_id, row.org_name).signatures.append(row)
    for row in sorted(_rows(DpaNegotiated, org_id), key=lambda r: r.uploaded_at,
                      reverse=True):
        entry(row.org_id, row.org_name).negotiated.append(row)
    for request in sorted(_rows(PrivacyRequest, org_id), key=lambda r: r.deadline_at):
        assert request.org_id is not None
        name = str(request.details.get("organisation") or request.org_id)
        entry(request.org_id, name).open_requests.append(request)
    ordered = sorted(found.values(), key=OrgDpa.sort_key)
    return Overview(ordered[:limit], len(ordered) > limit)
