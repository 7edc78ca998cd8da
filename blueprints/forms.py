"""WTForms of the customer pages (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import choices as wtforms_choices
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from selfservice.models import RequestType
from selfservice.purposes import ORG_POLICIES
from selfservice.services.privacy_requests import JURISDICTIONS, TYPES
from selfservice.text import is_free_text
from selfservice.translation import gettext as _
from selfservice.translation import lazy_gettext as _l
from selfservice.us_states import US_STATES

#: WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice (None before 3.3;
#: unknown to the type stubs, which are of WTForms 3.2)
SelectChoice: Any = getattr(wtforms_choices, "SelectChoice", None)


def choices(items: Mapping[str, Any]) -> list[Any]:
    return [SelectChoice(value, label) if SelectChoice else (value, label)
            for value, label in items.items()]


def said(items: Mapping[str, str]) -> dict[str, Any]:
    """Labels kept in English where they are recorded (marked ``N_``), said in the reader's
    language when the form is shown."""
    return {value: _l(label) for value, label in items.items()}


#: what to tell a person whose reason has characters no text may have (the API says it as
#: selfservice.text.REFUSAL)
REASON_REFUSAL = _l("The reason must be plain text: remove the control characters (such as "
                    "NUL) or broken characters it contains.")


class PreferencesForm(FlaskForm):
    """The three settings that need no more than a click (training has its own flow)."""

    marketing_emails = BooleanField(_l("Product news and offers by e-mail"))
    limit_sensitive_data = BooleanField(_l("Limit the use of my sensitive personal information"))
    do_not_sell_or_share = BooleanField(_l("Do not sell or share my personal information"))
    #: the chain head the page showed: a form from a stale tab must not undo later changes
    head = HiddenField()


class TrainingOptInForm(FlaskForm):
    """Informed, explicit opt-in: the customer confirms having read what it means, under the
    policy version the page showed."""

    policy_version = HiddenField(validators=[DataRequired()])
    confirm = BooleanField(
        _l("I have read what this means and I agree that my content may be used to train "
           "models."),
        validators=[DataRequired(message=_l("Tick the box to confirm, or go back: nothing "
                                            "changes unless you do."))])


class ConfirmOnlyForm(FlaskForm):
    """A one-click action: only the CSRF token."""


class OrgPolicyForm(FlaskForm):
    policy = RadioField(_l("Training policy for the organisation"),
                        choices=choices(said(ORG_POLICIES)),
                        validators=[InputRequired(message=_l("Choose a policy."))])
    policy_version = HiddenField(validators=[DataRequired()])
    confirm = BooleanField(_l("I am authorised to agree, for the organisation, that every "
                              "member's content may be used to train models."))

    def validate_confirm(self, field: BooleanField) -> None:
        if self.policy.data == "opted_in" and not field.data:
            raise ValidationError(_("Opting the whole organisation in needs this "
                                    "confirmation."))


class RequestForm(FlaskForm):
    """Asking for one of the rights of the privacy policy."""

    # deletion has a page of its own, a danger zone with the plan (deletion_pages); changes
    # to the DPA are asked for from the DPA's page (dpa_pages)
    type = SelectField("What would you like us to do?",
                       choices=choices({k: v for k, v in TYPES.items()
                                        if k not in (RequestType.DELETION, RequestType.DPA)}))
    jurisdiction = SelectField("Which law applies to you", choices=choices(JURISDICTIONS))
    csv = BooleanField("Also include CSV files (for spreadsheets), where the data is a table")
    description = TextAreaField("Tell us what it is about (optional)")
    state = SelectField("Your state, under a US state's law (optional)",
                        choices=choices({"": "Not given", **US_STATES}),
                        validate_choice=False)  # optional; the service checks a state given


class ConfirmDeletionForm(FlaskForm):
    """Deletion is confirmed by typing the account's e-mail address (or the reference)."""

    confirm = StringField(
        _l("Type your e-mail address to confirm"),
        validators=[DataRequired(message=_l("Type your e-mail address (or the request's "
                                            "reference) to confirm.")),
                    Length(max=254, message=_l("That is longer than any e-mail address."))])


class CancelDeletionForm(FlaskForm):
    """Cancelling a scheduled deletion, with an optional reason."""

    reason = TextAreaField(_l("Why are you keeping your account? (optional)"),
                           validators=[Optional(), Length(max=300, message=_l(
                               "Keep the reason to 300 characters."))])

    def validate_reason(self, field: TextAreaField) -> None:
        if field.data and not is_free_text(field.data):
            raise ValidationError(REASON_REFUSAL)
