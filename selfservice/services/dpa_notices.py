"""A new version of the DPA takes effect: every organisation that signed an earlier one is told
once (a notice row, an audit event) and its owners and admins get an e-mail each, in their
own language, with what changed and where to sign. Nothing signed changes: the earlier
signature stays in force and downloadable until they sign the new one.

A daily job looks for the version in force; the e-mail jobs take the admin's account id and
the version name only.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer

from .. import dpa_versions, mail
from ..identity import Identity
from ..job_registry import JobRefused
from ..ledger import record_audit
from ..models import DpaNotice, DpaSignature
from ..state import get_state
from ..translation import gettext as _
from . import mail_text, outbox
from .dpa import now
from .languages import writing_to
from .notifications import public_url

ANNOUNCE_JOB = "dpa.announce_version"
MAIL_JOB = "dpa.new_version_mail"

logger = logging.getLogger(__name__)


def _admins(org_id: str) -> list[Identity]:
    state = get_state()
    found = [state.extension.load_identity(a) for a in state.extension.org_members(org_id)]
    return [m for m in found
            if m is not None and m.org is not None and m.org.id == org_id and m.org.is_admin]


def _to_tell(session: Any, version: str) -> dict[str, str]:
    """Organisation id -> the version it signed last, for those that signed an earlier version,
    not ``version``, and were not told of it yet."""
    rows = session.execute(sa.select(DpaSignature.org_id, DpaSignature.version)
                           .order_by(DpaSignature.signed_at)).all()
    last: dict[str, str] = {}
    signed_current: set[str] = set()
    for org_id, signed in rows:
        last[org_id] = signed
        if signed == version:
            signed_current.add(org_id)
    told = set(session.scalars(sa.select(DpaNotice.org_id).where(DpaNotice.version == version)))
    return {org: signed for org, signed in last.items()
            if org not in signed_current and org not in told}


def announce_current() -> int:
    """Tell the organisations that signed an earlier version about the one in force (once
    each). Returns how many organisations were told now."""
    state = get_state()
    current = dpa_versions.current(state.config, now())
    if current is None:
        return 0
    with state.db.read() as session:
        pending = _to_tell(session, current.version)
    told = 0
    for org_id, signed in sorted(pending.items()):
        admins = _admins(org_id)  # the host's callbacks, outside the transaction
        with state.db.transaction() as session:
            if session.get(DpaNotice, (current.version, org_id)) is not None:
                continue  # another worker told it
            session.add(DpaNotice(version=current.version, org_id=org_id,
                                  signed_version=signed, created_at=now()))
            for admin in admins:
                outbox.schedule(session, MAIL_JOB, target_type="account",
                                target_id=admin.account_id,
                                params={"version": current.version, "org_id": org_id},
                                dedupe_key=f"dpa-version:{current.version}:{admin.account_id}")
            record_audit(session, stream=f"org:{org_id}", action="dpa.new_version_notice",
                         actor_type="system", target_type="organisation", target_id=org_id,
                         details={"version": current.version, "signed_version": signed,
                                  "admins_told": len(admins)})
        told += 1
    if told:
        logger.info("DPA version %s announced to %d organisations", current.version, told)
    return told


def send_new_version(account_id: str, version: str, org_id: str) -> dict[str, Any]:
    """E-mail one owner or admin that ``version`` is in force and theirs signed an earlier one
    (nothing is sent when they are no longer an admin there, or someone has signed it)."""
    state = get_state()
    identity = state.extension.load_identity(account_id)
    target = dpa_versions.find(state.config, version)
    if identity is None or target is None:
        raise JobRefused("the account or the DPA version no longer exists")
    if identity.org is None or identity.org.id != org_id or not identity.org.is_admin:
        return {"skipped": "no longer an owner or admin of the organisation"}
    with state.db.read() as session:
        signatures = list(session.scalars(
            sa.select(DpaSignature).options(defer(DpaSignature.pdf))
            .where(DpaSignature.org_id == org_id).order_by(DpaSignature.signed_at)))
    if not signatures or any(s.version == version for s in signatures):
        return {"skipped": "signed already"}
    with writing_to(account_id):  # each owner or admin in their own language
        text = mail_text.render("dpa_new_version", identity=identity, version=target,
                                signed=signatures[-1],
                                page_url=public_url(f"{state.setting('URL_PREFIX')}/dpa"))
        subject = _("A new version of our DPA applies (%(version)s)", version=version)
    mail.send(mail.compose(
        to=identity.email, subject=subject,
        text=text, message_id=f"<dpa-version-{version}-{account_id}@selfservice>"))
    return {"sent": "dpa_new_version"}
