"""Cookie consent: what a visitor decided, what that allows now, and the proof of it.

A visitor's decision travels in a signed first-party cookie (anonymous consent id, the policy
version, and for each accepted category the digest of that category's contents when they
accepted). Every decision is also recorded on the server, hash-chained per consent id, with the
account once the visitor signs in. A category counts as accepted only while its contents are
what the visitor accepted; Global Privacy Control keeps marketing off unless the visitor
explicitly confirmed otherwise.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from ..cookies import OPTIONAL, CookieRegistry, CookieSpec, describe_changes
from ..db import matched, utcnow
from ..ledger import (
    ChainReport,
    append_cookie_consent,
    cookie_consent_content,
    record_audit,
    verify_chain,
)
from ..models import (
    CookieConsentLink,
    CookieConsentMethod,
    CookieConsentRecord,
    CookiePolicyVersion,
    new_id,
)
from ..state import get_state
from ..text import without_control_characters
from ..translation import N_

_SALT = "selfservice-cookie-consent"
#: the daily job that deletes records past their retention (jobs/retention.py runs it)
SWEEP_JOB = "retention.cookie_consents"


class GpcConfirmationRequired(Exception):
    """Marketing was chosen while the browser sends Global Privacy Control, without the
    explicit confirmation that overrides the signal."""


# -- the registry -----------------------------------------------------------------------------

def registry() -> CookieRegistry:
    """The console's cookie registry (built once per application; ``reload_registry`` after
    changing ``SELFSERVICE_COOKIES``)."""
    state = get_state()
    if state.cookie_registry is None:
        state.cookie_registry = _build_registry()
    return state.cookie_registry  # type: ignore[no-any-return]


def reload_registry() -> CookieRegistry:
    state = get_state()
    state.cookie_registry = _build_registry()
    state.cookie_versions_seen = set()
    return state.cookie_registry  # type: ignore[no-any-return]


def _build_registry() -> CookieRegistry:
    state = get_state()
    config = state.config
    # in English, as the registry's version is computed from them; shown in the reader's
    # language (the cookie policy's ss_text)
    this_console = N_("This console")
    builtin = [
        CookieSpec(config.get("SESSION_COOKIE_NAME", "session"), this_console,
                   N_("Keeps you signed in and protects forms against forgery."), "necessary",
                   N_("session")),
        CookieSpec(state.setting("COOKIE_CONSENT_NAME"), this_console,
                   N_("Remembers your cookie choices (an anonymous id, your choice and the "
                      "policy version)."), "necessary",
                   f"{state.setting('COOKIE_CONSENT_ACCEPT_DAYS')} days"),
    ]
    remember = config.get("REMEMBER_COOKIE_NAME", "remember_token")
    builtin.append(CookieSpec(remember, this_console, N_("Keeps you signed in across browser "
                                                         "restarts, only if you ask for it."),
                              "necessary", "365 days"))
    entries = state.setting("COOKIES")
    names = {spec.name for spec in builtin}
    return CookieRegistry.from_config([e for e in entries if e.get("name") not in names],
                                      builtin)


def remember_version(reg: CookieRegistry) -> None:
    """Keep every registry version served, so returning visitors can be told what changed."""
    state = get_state()
    if reg.version in state.cookie_versions_seen:
        return
    with state.db.transaction() as session:
        if session.get(CookiePolicyVersion, reg.version) is None:
            try:
                with session.begin_nested():
                    session.add(CookiePolicyVersion(version=reg.version,
                                                    digests=dict(reg.digests),
                                                    cookies=reg.snapshot(),
                                                    first_seen=utcnow()))
            except IntegrityError:
                pass  # another process recorded it first
    state.cookie_versions_seen.add(reg.version)


# -- the consent cookie -----------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    consent_id: str
    version: str
    #: accepted optional category -> its digest when accepted
    accepted: dict[str, str]
    decided_at: float
    #: marketing explicitly confirmed despite Global Privacy Control
    gpc_override: bool = False

    def as_cookie(self) -> dict[str, Any]:
        return {"i": self.consent_id, "v": self.version, "a": self.accepted,
                "t": int(self.decided_at), "o": int(self.gpc_override)}

    def same_as(self, other: Decision) -> bool:
        """Whether both are one decision, as far as a consent cookie holds it (its time in
        whole seconds)."""
        return self.as_cookie() == other.as_cookie()

    def lifetime(self) -> timedelta:
        state = get_state()
        days = (state.setting("COOKIE_CONSENT_ACCEPT_DAYS") if self.accepted
                else state.setting("COOKIE_CONSENT_REJECT_DAYS"))
        return timedelta(days=days)

    def expired(self) -> bool:
        return time.time() > self.decided_at + self.lifetime().total_seconds()


def encode(decision: Decision, secret: str | bytes) -> str:
    return URLSafeSerializer(secret, salt=_SALT).dumps(decision.as_cookie())


def decode(value: str | None, secret: str | bytes) -> Decision | None:
    """The decision in a consent cookie; None when there is none, it was tampered with, or
    it is malformed (treated as no decision)."""
    if not value:
        return None
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(value)
    except (BadSignature, ValueError, UnicodeDecodeError):
        return None
    try:
        accepted = {str(k): str(v) for k, v in dict(data["a"]).items() if k in OPTIONAL}
        decision = Decision(consent_id=str(data["i"])[:32], version=str(data["v"])[:40],
                            accepted=accepted, decided_at=float(data["t"]),
                            gpc_override=bool(data.get("o")))
    except (KeyError, TypeError, ValueError):
        return None
    return None if decision.expired() else decision


# -- what a decision allows -------------------------------------------------------------------

@dataclass
class CookieState:
    decision: Decision | None
    gpc: bool
    #: category -> may its cookies be set and its scripts run now
    allowed: dict[str, bool] = field(default_factory=dict)
    #: accepted categories whose contents changed since: asked again
    reask: list[str] = field(default_factory=list)
    #: for those: {category: {added, removed, changed}}
    changes: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        return self.decision is not None and not self.reask

    @property
    def needs_banner(self) -> bool:
        return not self.decided

    def as_json(self, version: str) -> dict[str, Any]:
        return {"policy_version": version, "decided": self.decided, "gpc": self.gpc,
                "categories": dict(self.allowed), "consent_id": (
                    self.decision.consent_id if self.decision else None),
                "reask": list(self.reask), "changes": self.changes}


def version_snapshot(version: str) -> dict[str, Any]:
    """The cookies of an earlier registry version (kept per process: versions never change)."""
    state = get_state()
    cached = state.cookie_snapshots.get(version)
    if cached is None:
        with state.db.read() as session:
            row = session.get(CookiePolicyVersion, version)
            cached = dict(row.cookies) if row else {}
        if cached:
            state.cookie_snapshots[version] = cached
    return cached


def evaluate(decision: Decision | None, gpc: bool) -> CookieState:
    """What ``decision`` allows under the registry now. A category whose contents changed is
    asked again, unless it only lost cookies (consent to more covers less)."""
    reg = registry()
    state = CookieState(decision=decision, gpc=gpc)
    state.allowed = {"necessary": True}
    before: dict[str, Any] | None = None
    for category in OPTIONAL:
        digest = decision.accepted.get(category) if decision else None
        if digest is None:
            state.allowed[category] = False
            continue
        if digest == reg.digests[category]:
            state.allowed[category] = True
            continue
        assert decision is not None
        if before is None:
            before = version_snapshot(decision.version)
        was = [dict(c) for c in before.get(category, [])]
        now = [c.as_json() for c in reg.in_category(category)]
        covered = bool(before) and all(cookie in was for cookie in now)
        state.allowed[category] = covered
        if not covered:
            state.reask.append(category)
    if gpc and not (decision and decision.gpc_override):
        state.allowed["marketing"] = False
    if state.reask and decision is not None:
        state.changes = describe_changes(before or {}, reg.snapshot(), state.reask)
    return state


# -- recording decisions ----------------------------------------------------------------------

def truncate_ip(address: str | None) -> str | None:
    """The network, never the address: IPv4 to /24, IPv6 to /48."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def record(*, consent_id: str | None, account_id: str | None,
           categories: Mapping[str, bool], method: CookieConsentMethod, language: str,
           text_hash: str, gpc: bool, gpc_override: bool = False, user_agent: str = "",
           ip: str | None = None) -> tuple[CookieConsentRecord, Decision]:
    """Record one decision and return the record and the cookie's new decision."""
    reg = registry()
    chosen = {category: bool(categories.get(category, False)) for category in OPTIONAL}
    if gpc and chosen["marketing"] and not gpc_override:
        raise GpcConfirmationRequired()
    remember_version(reg)
    with get_state().db.transaction() as session:
        if consent_id is None or not _may_append(session, consent_id, account_id):
            # a shared browser: another account's chain is never continued by someone else
            consent_id = new_id()
        entry = append_cookie_consent(
            session, consent_id, account_id=account_id,
            categories={"necessary": True, **chosen}, policy_version=reg.version,
            text_hash=text_hash, language=language[:16], method=method.value, gpc=gpc,
            gpc_override=bool(gpc_override and chosen["marketing"]),
            user_agent=without_control_characters(user_agent or "")[:300],
            ip_network=truncate_ip(ip))
        if account_id is not None:
            _link(session, consent_id, account_id)
            record_audit(session, stream=f"account:{account_id}", action="cookies.decided",
                         actor_type="account", actor_id=account_id,
                         target_type="cookie_consent", target_id=entry.id,
                         details={"seq": entry.seq, "hash": entry.hash})
    decision = Decision(
        consent_id=consent_id, version=reg.version,
        accepted={c: reg.digests[c] for c in OPTIONAL if chosen[c]},
        decided_at=entry.at.timestamp(), gpc_override=entry.gpc_override)
    return entry, decision


def owners(session: Any, consent_id: str) -> set[str]:
    """The accounts a consent id belongs to (linked, or deciding under it while signed in)."""
    linked = set(session.scalars(sa.select(CookieConsentLink.account_id).where(
        CookieConsentLink.consent_id == consent_id)))
    linked |= set(session.scalars(sa.select(CookieConsentRecord.account_id).distinct().where(
        CookieConsentRecord.consent_id == consent_id,
        CookieConsentRecord.account_id.is_not(None))))
    return linked


def _may_append(session: Any, consent_id: str, account_id: str | None) -> bool:
    """A chain is continued only by its own account, or anonymously while it has none."""
    found = owners(session, consent_id)
    return found <= {account_id} if account_id is not None else not found


def _link(session: Any, consent_id: str, account_id: str) -> None:
    if session.get(CookieConsentLink, (consent_id, account_id)) is None:
        session.add(CookieConsentLink(consent_id=consent_id, account_id=account_id,
                                      linked_at=utcnow()))


def link(consent_id: str, account_id: str) -> bool:
    """The visitor with this consent id signed in as ``account_id``: their anonymous history
    is the account's from now on. Refused (False) when the id is another account's (a shared
    browser), so no one's history is ever mixed with someone else's."""
    with get_state().db.transaction() as session:
        if not owners(session, consent_id) <= {account_id}:
            return False
        _link(session, consent_id, account_id)
        return True


def account_records(account_id: str) -> Any:
    """The account's own records, and the anonymous ones of consent ids linked to it."""
    linked = sa.select(CookieConsentLink.consent_id).where(
        CookieConsentLink.account_id == account_id)
    return sa.or_(CookieConsentRecord.account_id == account_id,
                  sa.and_(CookieConsentRecord.account_id.is_(None),
                          CookieConsentRecord.consent_id.in_(linked)))


def latest_for_account(account_id: str) -> Decision | None:
    """The account's newest decision, on whichever device it was made (so a signed-in choice
    follows the account). Asked by a signed-in visitor's request once a minute: a lookup
    (the policy version it names is written once and never changed)."""
    with get_state().db.lookup() as session:
        latest = session.scalar(sa.select(CookieConsentRecord)
                                .where(account_records(account_id))
                                .order_by(CookieConsentRecord.at.desc()).limit(1))
        if latest is None:
            return None
        version = session.get(CookiePolicyVersion, latest.policy_version)
    digests = version.digests if version else {}
    decision = Decision(
        consent_id=latest.consent_id, version=latest.policy_version,
        accepted={c: digests.get(c, "") for c in OPTIONAL if latest.categories.get(c)},
        decided_at=latest.at.timestamp(), gpc_override=latest.gpc_override)
    return None if decision.expired() else decision


def history(consent_id: str) -> list[CookieConsentRecord]:
    with get_state().db.read() as session:
        return list(session.scalars(sa.select(CookieConsentRecord)
                                    .where(CookieConsentRecord.consent_id == consent_id)
                                    .order_by(CookieConsentRecord.seq)))


def verify(consent_id: str) -> ChainReport:
    return verify_chain(history(consent_id), cookie_consent_content)


def forget_account(account_id: str) -> int:
    """Delete the account's cookie-consent records and links (account deletion)."""
    with get_state().db.transaction() as session:
        deleted = matched(session.execute(sa.delete(CookieConsentRecord).where(
            account_records(account_id))))
        session.execute(sa.delete(CookieConsentLink).where(
            CookieConsentLink.account_id == account_id))
    return int(deleted or 0)


def sweep(now: datetime | None = None) -> int:
    """Delete the records of consent ids whose last decision is older than the retention
    period (whole chains, so what is kept still verifies). Returns records deleted."""
    state = get_state()
    cutoff = (now or utcnow()) - timedelta(days=state.setting("COOKIE_CONSENT_RETENTION_DAYS"))
    with state.db.transaction() as session:
        stale = (sa.select(CookieConsentRecord.consent_id)
                 .group_by(CookieConsentRecord.consent_id)
                 .having(sa.func.max(CookieConsentRecord.at) < cutoff))
        ids = list(session.scalars(stale))
        deleted = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            deleted += matched(session.execute(sa.delete(CookieConsentRecord).where(
                CookieConsentRecord.consent_id.in_(chunk))))
            session.execute(sa.delete(CookieConsentLink).where(
                CookieConsentLink.consent_id.in_(chunk)))
    return deleted

