"""The form an owner or admin signs the DPA with (the same limits and characters as the API's
``DpaSign`` shape), and the one they ask for changes with instead (``DpaChanges``)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from selfservice import formatting
from selfservice.schemas.dpa import LIMITS
from selfservice.services.dpa import SignatureEntries
from selfservice.services.request_details import CHANGES_MAX
from selfservice.text import EMAIL_PATTERN, FILLED_TEXT_PATTERN, LINE_PATTERN
from selfservice.translation import N_
from selfservice.translation import lazy_gettext as _l


class Matches:
    """The whole value matches ``pattern`` (WTForms' Regexp lets a final line break pass)."""

    def __init__(self, pattern: str, message: str | LazyString) -> None:
        self.pattern = re.compile(pattern)
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not self.pattern.fullmatch(field.data):
            raise ValidationError(self.message)


def _limits(field: str, message: str) -> list[Any]:
    """The length limits of ``field``; ``message`` says them with ``%(low)s`` and
    ``%(high)s``."""
    low, high = LIMITS[field]
    return [Length(low, high, message=_l(message, low=low, high=high))]


def _required(message: LazyString) -> DataRequired:
    return DataRequired(message=message)


class DpaSignForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    legal_name = StringField(
        _l("Legal name of the organisation"),
        validators=[_required(_l("Enter the organisation's legal name.")),
                    *_limits("legal_name", N_("The legal name must be %(low)s to %(high)s "
                                              "characters.")),
                    Matches(LINE_PATTERN, _l("The legal name must be one line of plain "
                                             "text."))])
    address = TextAreaField(
        _l("Registered address"),
        validators=[_required(_l("Enter the registered address.")),
                    *_limits("address", N_("The address must be %(low)s to %(high)s "
                                           "characters.")),
                    Matches(FILLED_TEXT_PATTERN, _l("The address must be plain text."))])
    registration_number = StringField(
        _l("Company registration number (optional)"),
        validators=[Optional(),
                    *_limits("registration_number", N_("The registration number must be "
                                                       "%(low)s to %(high)s characters.")),
                    Matches(LINE_PATTERN, _l("The registration number must be one line of "
                                             "plain text."))])
    signer_name = StringField(
        _l("Your full name"),
        validators=[_required(_l("Enter your name.")),
                    *_limits("signer_name", N_("Your name must be %(low)s to %(high)s "
                                               "characters.")),
                    Matches(LINE_PATTERN, _l("Your name must be one line of plain text."))])
    signer_title = StringField(
        _l("Your title or role"),
        validators=[_required(_l("Enter your title or role.")),
                    *_limits("signer_title", N_("Your title must be %(low)s to %(high)s "
                                                "characters.")),
                    Matches(LINE_PATTERN, _l("Your title must be one line of plain text."))])
    signer_email = StringField(
        _l("Your e-mail address"),
        validators=[_required(_l("Enter your e-mail address.")),
                    *_limits("signer_email", N_("The e-mail address must be %(low)s to "
                                                "%(high)s characters.")),
                    Matches(EMAIL_PATTERN, _l("Enter an e-mail address such as "
                                              "name@example.com."))])
    authorised = BooleanField(
        _l("I am authorised to sign on behalf of the organisation"),
        validators=[_required(_l("Confirm that you are authorised to sign, or do not sign: "
                                 "nothing is recorded unless you do."))])

    def entries(self) -> SignatureEntries:
        def text(field: Any) -> str:
            return str(field.data or "").strip()

        return SignatureEntries(
            version=text(self.version), legal_name=text(self.legal_name),
            address=text(self.address),
            registration_number=text(self.registration_number) or None,
            signer_name=text(self.signer_name), signer_title=text(self.signer_title),
            signer_email=text(self.signer_email))


class DpaChangesForm(FlaskForm):
    changes = TextAreaField(
        _l("What would you like changed in the DPA?"),
        validators=[_required(_l("Say what you would like changed.")),
                    Length(max=CHANGES_MAX, message=_l(
                        "Keep it to %(most)s characters: the privacy officer then writes to "
                        "you for the details.", most=LazyString(formatting.number, CHANGES_MAX))),
                    Matches(FILLED_TEXT_PATTERN, _l(
                        "What you write must be plain text: remove the control characters "
                        "(such as NUL) or broken characters it contains."))])
