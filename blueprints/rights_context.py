"""What a right's page shows besides its form: the request of its type still open, the
deadline each law sets, when the next export opens and the last archive, the decisions the
customer can appeal, and the setting the right is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm

from selfservice.auth import is_fresh
from selfservice.db import utcnow
from selfservice.identity import Identity
from selfservice.models import PrivacyRequest, RequestStatus, RequestType
from selfservice.services import appeals, consent, request_additions
from selfservice.services import privacy_requests as service
from selfservice.state import get_state
from selfservice.translation import gettext as _
from selfservice.us_states import US_STATES

from . import request_words
from .gpc import gpc_signal
from .rights import Right
from .rights_forms import LAWS, AddDetailsForm


def last_archive(requests: list[PrivacyRequest], now: datetime) -> PrivacyRequest | None:
    """The newest export whose archive can still be downloaded."""
    return next((r for r in requests if r.type == RequestType.EXPORT
                 and r.status == RequestStatus.COMPLETED and r.archive_name
                 and r.expires_at is not None and r.expires_at > now), None)


def _export(identity: Identity, now: datetime) -> dict[str, Any]:
    state = get_state()
    return {"next_export_at": service.next_export_at(identity.account_id),
            "last_archive": last_archive(service.list_for(identity.account_id), now),
            "ttl_days": state.setting("EXPORT_TTL_DAYS"),
            "interval_hours": state.setting("EXPORT_INTERVAL_HOURS"), "fresh": is_fresh()}


def _laws(identity: Identity, form: FlaskForm | None, now: datetime) -> dict[str, Any]:
    """Each law's deadline for a request sent now, and the law the form has chosen."""
    chosen = getattr(getattr(form, "jurisdiction", None), "data", None)
    default = service.default_jurisdiction(identity.country)
    return {"laws": LAWS, "law": chosen if chosen in LAWS else default,
            "due": {law: service.due_date(law, now) for law in LAWS}}


def of(identity: Identity, right: Right, form: FlaskForm | None, add_form: AddDetailsForm,
       **extra: Any) -> dict[str, Any]:
    """The template's context. ``extra``: ``conflict`` (the open request a new one was
    refused for) with ``kept`` (what was typed, to add to it), ``adding`` (the request an
    addition was refused for) or ``closed`` (closed before the addition came)."""
    now = utcnow()
    open_request = extra.get("conflict") or extra.get("adding") or (
        request_additions.open_request(identity.account_id, right.type) if right.type
        else None)
    if extra.get("kept") and not add_form.text.data:
        add_form.text.data = extra["kept"]
    context: dict[str, Any] = {
        "identity": identity, "right": right, "form": form, "add_form": add_form,
        "open_request": open_request, "now": now, "us_states": US_STATES,
        "description_words": request_words.description, "reason_words": request_words.reason,
        "appendable": open_request is not None
                      and open_request.type in request_additions.APPENDABLE,
        **_laws(identity, form, now), **extra}
    if right.type == RequestType.EXPORT:
        context.update(_export(identity, now))
    if right.type == RequestType.APPEAL:
        context["appealable"] = appeals.appealable(identity.account_id)
    if right.setting is not None:
        view = consent.get_preferences(identity)
        context.update(setting_on=bool(getattr(view, right.setting)), gpc=gpc_signal(),
                       setting_form=FlaskForm())
    return context


def setting_words(setting: str, on: bool) -> str:
    """What changed, after a setting was switched."""
    if setting == "do_not_sell_or_share":
        return (_("You opted out of the sale and sharing of your personal information.")
                if on else _("You allowed the sale and sharing of your personal information "
                             "again."))
    return (_("We now use your sensitive personal information only to provide our services "
              "to you.") if on else
            _("You lifted the limit on the use of your sensitive personal information."))
