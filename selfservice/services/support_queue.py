"""The support queue: open requests by due date, with days left, filters, and a search that
answers "what is the status of DR-7K3M-Q9XA" in one step.

Staff see every customer's requests but never their own (a support agent is a customer too):
the queue leaves them out and a look-up of one of their references finds nothing. Accounts
appear masked (:mod:`selfservice.masking`); an erased account (its requests now carry the
deletion's pseudonym) appears as such, and its requests are found by reference only.

Pages are cut with a keyset cursor on ``(deadline_at, id)`` (the deadline in force: the
extended one once extended), never OFFSET: the next page starts
after the last row shown, so rows are neither repeated nor skipped while the queue changes,
and the first page of a million requests costs what the last one does. Each status is read
in deadline order from the queue index ``(status, deadline_at, id)`` and the few rows
merged, so a page reads about ``limit`` rows per status, whatever the table's size; open
requests, the default, come from a partial index of their own in deadline order.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..identity import Identity
from ..masking import mask_email, mask_name
from ..models import (
    OPEN_SQL,
    OPEN_STATUSES,
    Jurisdiction,
    PrivacyRequest,
    RequestStatus,
    RequestType,
)
from ..schemas.base import InvalidInput
from ..schemas.support import ALL, MAX_LIMIT, ME, NOBODY, OPEN, PAGE_SIZE, STATUS_FILTERS
from ..state import get_state
from ..text import is_identifier

#: what a reference looks like (Crockford base32, as privacy_requests.new_reference makes it)
REFERENCE = re.compile(r"DR-[0-9A-Z]{4}-[0-9A-Z]{4}")
#: longest search text taken (an e-mail address is at most 254 characters)
Q_MAX = 254
#: what an erased account is called where its e-mail address was
ERASED = "Erased account"


@dataclass(frozen=True)
class QueueFilter:
    """What a staff member asked the queue for. ``q``: a reference or an exact e-mail."""

    status: str = OPEN
    type: str | None = None
    jurisdiction: str | None = None
    assignee: str | None = None
    overdue: bool = False
    q: str | None = None
    cursor: tuple[datetime, str] | None = None
    limit: int = PAGE_SIZE

    @property
    def reference(self) -> str | None:
        """The reference ``q`` quotes, if it quotes one."""
        text = (self.q or "").strip().upper()
        return text if REFERENCE.fullmatch(text) else None


def _one(args: Mapping[str, Any], name: str, allowed: Iterable[str] | None,
         errors: dict[str, str]) -> str | None:
    value = args.get(name)
    if value in (None, ""):
        return None
    choices = list(allowed) if allowed is not None else None
    if not isinstance(value, str) or (choices is not None and value not in choices):
        errors[name] = f"must be one of {', '.join(choices or [])}"
        return None
    return value


def encode_cursor(due_at: datetime, request_id: str) -> str:
    raw = json.dumps([due_at.isoformat(), request_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[datetime, str]:
    """The (due_at, id) a cursor stands for; ValueError for anything this module did not
    make."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        due, request_id = json.loads(raw)
        moment = datetime.fromisoformat(due)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("not a cursor") from None
    if moment.tzinfo is None or not is_identifier(request_id):
        raise ValueError("not a cursor")
    return moment, request_id


def _limit(value: Any, errors: dict[str, str]) -> int:
    if value in (None, ""):
        return PAGE_SIZE
    text = str(value)
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        errors["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
        return PAGE_SIZE
    return int(text)


def _search_text(value: Any, errors: dict[str, str]) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    if len(text) > Q_MAX or not is_identifier(text[:64]) or any(c.isspace() for c in text):
        errors["q"] = "must be a reference (DR-7K3M-Q9XA) or an exact e-mail address"
        return None
    if not REFERENCE.fullmatch(text.upper()) and "@" not in text:
        errors["q"] = "must be a reference (DR-7K3M-Q9XA) or an exact e-mail address"
        return None
    return text


def parse_filter(args: Mapping[str, Any]) -> QueueFilter:
    """The filter a query string (or a form) asks for; InvalidInput names every bad field."""
    errors: dict[str, str] = {}
    status = _one(args, "status", STATUS_FILTERS, errors)
    type_ = _one(args, "type", (t.value for t in RequestType), errors)
    jurisdiction = _one(args, "jurisdiction", (j.value for j in Jurisdiction), errors)
    assignee = args.get("assignee") or None
    if assignee is not None and not is_identifier(assignee):
        errors["assignee"] = f"must be {ME}, {NOBODY} or a staff member's account id"
    overdue = _one(args, "overdue", ("true", "false"), errors) == "true"
    q = _search_text(args.get("q"), errors)
    cursor = None
    if args.get("cursor"):
        try:
            cursor = decode_cursor(str(args["cursor"]))
        except ValueError:
            errors["cursor"] = "is not a cursor this queue gave (start again without it)"
    limit = _limit(args.get("limit"), errors)
    if errors:
        raise InvalidInput(errors)
    # a search looks at closed requests too, unless a status is asked for
    default = ALL if q is not None else OPEN
    return QueueFilter(status=status or default, type=type_, jurisdiction=jurisdiction,
                       assignee=assignee, overdue=overdue, q=q, cursor=cursor, limit=limit)


def due_of(request: PrivacyRequest) -> datetime:
    """The deadline in force: the extended one, if it was extended."""
    return request.deadline_at


def days_left(request: PrivacyRequest, now: datetime | None = None) -> int | None:
    """Whole days until the deadline in force (negative: overdue by that many); None for a
    request that is no longer open."""
    if request.status not in OPEN_STATUSES:
        return None
    remaining = due_of(request) - (now or utcnow())
    return remaining.days if remaining.total_seconds() >= 0 else -((-remaining).days or 1)


def is_overdue(request: PrivacyRequest, now: datetime | None = None) -> bool:
    return request.status in OPEN_STATUSES and due_of(request) < (now or utcnow())


@dataclass(frozen=True)
class Account:
    """The account behind a request, as staff see it before a reveal."""

    id: str
    email_masked: str
    name_masked: str
    erased: bool

    def as_json(self, with_name: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "email_masked": self.email_masked,
                                "erased": self.erased}
        if with_name:
            body["name_masked"] = self.name_masked
        return body


def masked_account(account_id: str, cache: dict[str, Account] | None = None) -> Account:
    """The account, masked; an account the host no longer knows is an erased one."""
    if cache is not None and account_id in cache:
        return cache[account_id]
    identity = get_state().extension.load_identity(account_id)
    found = (Account(account_id, ERASED, "", True) if identity is None
             else Account(account_id, mask_email(identity.email), mask_name(identity.name),
                          False))
    if cache is not None:
        cache[account_id] = found
    return found


def row_json(request: PrivacyRequest, account: Account, now: datetime) -> dict[str, Any]:
    """One line of the queue."""
    return {"reference": request.reference, "type": request.type, "status": request.status,
            "jurisdiction": request.jurisdiction, "created_at": request.created_at.isoformat(),
            "due_at": due_of(request).isoformat(), "days_left": days_left(request, now),
            "overdue": is_overdue(request, now), "account": account.as_json(),
            "assignee": request.assignee, "channel": request.channel}


@dataclass(frozen=True)
class QueuePage:
    requests: list[PrivacyRequest]
    accounts: dict[str, Account]
    next_cursor: str | None
    #: what a search looked for, masked (an e-mail address is never shown back in full)
    searched: str | None = None

    def as_json(self, now: datetime | None = None) -> dict[str, Any]:
        moment = now or utcnow()
        return {"requests": [row_json(r, self.accounts[r.account_id], moment)
                             for r in self.requests],
                "next_cursor": self.next_cursor}


def _conditions(staff: Identity, wanted: QueueFilter, now: datetime) -> list[Any]:
    """What every row must meet, the status and the search aside."""
    model = PrivacyRequest
    where: list[Any] = [model.account_id != staff.account_id]
    if wanted.type:
        where.append(model.type == wanted.type)
    if wanted.jurisdiction:
        where.append(model.jurisdiction == wanted.jurisdiction)
    if wanted.assignee == NOBODY:
        where.append(model.assignee.is_(None))
    elif wanted.assignee:
        where.append(model.assignee == (staff.account_id if wanted.assignee == ME
                                        else wanted.assignee))
    if wanted.overdue:
        where.append(model.deadline_at < now)
    if wanted.cursor is not None:
        due, last = wanted.cursor
        where += [model.deadline_at >= due,
                  sa.or_(model.deadline_at > due,
                         sa.and_(model.deadline_at == due, model.id > last))]
    return where


def _statuses(wanted: QueueFilter) -> list[str]:
    if wanted.status == OPEN:
        return [s.value for s in OPEN_STATUSES]
    if wanted.status == ALL:
        return [s.value for s in RequestStatus]
    return [wanted.status]


def queue_query(staff: Identity, wanted: QueueFilter, now: datetime,
                account_id: str | None = None) -> sa.Select[PrivacyRequest]:
    """The page's rows plus one (to know whether there is a next page), in deadline order.

    Open requests (the queue's default) are one range of a partial index of open requests
    in deadline order, cut at the page's size. Any other status filter reads one index range
    per status, each cut at the page's size, and merges the few rows: the database reads a
    page's worth of rows per status, never the whole table. A search by e-mail
    (``account_id``) reads that account's few requests instead.
    """
    where = _conditions(staff, wanted, now)
    order = (PrivacyRequest.deadline_at, PrivacyRequest.id)
    if account_id is not None:
        return (sa.select(PrivacyRequest)
                .where(PrivacyRequest.account_id == account_id,
                       PrivacyRequest.status.in_(_statuses(wanted)), *where)
                .order_by(*order).limit(wanted.limit + 1))
    if wanted.status == OPEN:
        # the partial indexes' own condition, word for word, so the database uses them
        return (sa.select(PrivacyRequest).where(sa.text(OPEN_SQL), *where)
                .order_by(*order).limit(wanted.limit + 1))
    parts = [sa.select(PrivacyRequest.id, PrivacyRequest.deadline_at)
             .where(PrivacyRequest.status == status, *where)
             .order_by(*order).limit(wanted.limit + 1)
             for status in _statuses(wanted)]
    # each part its own subquery, so its ORDER BY and LIMIT hold (SQLite takes them no other
    # way inside a UNION)
    merged = sa.union_all(*(sa.select(*part.subquery().c) for part in parts)).subquery()
    ids = (sa.select(merged.c.id).order_by(merged.c.deadline_at, merged.c.id)
           .limit(wanted.limit + 1)).scalar_subquery()
    return (sa.select(PrivacyRequest).where(PrivacyRequest.id.in_(ids)).order_by(*order))


def _page(session: Session, staff: Identity, wanted: QueueFilter,
          account_id: str | None = None) -> tuple[list[PrivacyRequest], str | None]:
    rows = list(session.scalars(queue_query(staff, wanted, utcnow(), account_id)))
    more = len(rows) > wanted.limit
    rows = rows[:wanted.limit]
    cursor = encode_cursor(rows[-1].deadline_at, rows[-1].id) if more and rows else None
    return rows, cursor


def by_reference(session: Session, staff: Identity, reference: str, *,
                 lock: bool = False) -> PrivacyRequest | None:
    """The request quoted, unless it is the staff member's own (then: as if there were
    none). ``lock``: locked for a change until the transaction ends (two staff acting at
    once: the second waits, then sees what the first did)."""
    wanted = reference.strip().upper()
    if not REFERENCE.fullmatch(wanted):
        return None
    query = sa.select(PrivacyRequest).where(PrivacyRequest.reference == wanted)
    request = session.scalar(query.with_for_update() if lock else query)
    return None if request is None or request.account_id == staff.account_id else request


def find_account(email: str) -> str | None:
    """The account with exactly this e-mail address, through the host's account finder;
    None without one, or when no account has it."""
    return get_state().extension.find_account(email)


def page(staff: Identity, wanted: QueueFilter) -> QueuePage:
    """A page of the queue for ``staff``: open requests by due date unless the filter says
    otherwise; with ``q``, the request quoted, or the requests of the account whose exact
    e-mail it is."""
    accounts: dict[str, Account] = {}
    searched: str | None = None
    with get_state().db.read() as session:
        if wanted.reference is not None:
            # the request quoted, whatever the other filters: one step to its status
            found = by_reference(session, staff, wanted.reference)
            rows = [found] if found is not None else []
            cursor, searched = None, wanted.reference
        elif wanted.q is not None:
            account_id = find_account(wanted.q)
            searched = mask_email(wanted.q)
            rows, cursor = ([], None) if account_id is None or account_id == staff.account_id \
                else _page(session, staff, wanted, account_id)
        else:
            rows, cursor = _page(session, staff, wanted)
    for row in rows:
        masked_account(row.account_id, accounts)
    return QueuePage(rows, accounts, cursor, searched)
