"""The form an owner or admin signs the DPA with (the same limits and characters as the API's
``DpaSign`` shape), and the one they ask for changes with instead (``DpaChanges``)."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from selfservice.schemas.dpa import LIMITS
from selfservice.services.dpa import SignatureEntries
from selfservice.services.request_details import CHANGES_MAX
from selfservice.text import EMAIL_PATTERN, FILLED_TEXT_PATTERN, LINE_PATTERN, REFUSAL


class Matches:
    """The whole value matches ``pattern`` (WTForms' Regexp lets a final line break pass)."""

    def __init__(self, pattern: str, message: str) -> None:
        self.pattern = re.compile(pattern)
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not self.pattern.fullmatch(field.data):
            raise ValidationError(self.message)


def _limits(field: str, label: str) -> list[Any]:
    low, high = LIMITS[field]
    return [Length(low, high, message=f"{label} must be {low} to {high} characters.")]


_ONE_LINE = "must be one line of plain text"


def _required(message: str) -> DataRequired:
    return DataRequired(message=message)


class DpaSignForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    legal_name = StringField(
        "Legal name of the organisation",
        validators=[_required("Enter the organisation's legal name."),
                    *_limits("legal_name", "The legal name"),
                    Matches(LINE_PATTERN, f"The legal name {_ONE_LINE}.")])
    address = TextAreaField(
        "Registered address",
        validators=[_required("Enter the registered address."),
                    *_limits("address", "The address"),
                    Matches(FILLED_TEXT_PATTERN, "The address must be plain text.")])
    registration_number = StringField(
        "Company registration number (optional)",
        validators=[Optional(), *_limits("registration_number", "The registration number"),
                    Matches(LINE_PATTERN, f"The registration number {_ONE_LINE}.")])
    signer_name = StringField(
        "Your full name",
        validators=[_required("Enter your name."), *_limits("signer_name", "Your name"),
                    Matches(LINE_PATTERN, f"Your name {_ONE_LINE}.")])
    signer_title = StringField(
        "Your title or role",
        validators=[_required("Enter your title or role."),
                    *_limits("signer_title", "Your title"),
                    Matches(LINE_PATTERN, f"Your title {_ONE_LINE}.")])
    signer_email = StringField(
        "Your e-mail address",
        validators=[_required("Enter your e-mail address."),
                    *_limits("signer_email", "The e-mail address"),
                    Matches(EMAIL_PATTERN, "Enter an e-mail address such as "
                                           "name@example.com.")])
    authorised = BooleanField(
        "I am authorised to sign on behalf of the organisation",
        validators=[_required("Confirm that you are authorised to sign, or do not sign: "
                              "nothing is recorded unless you do.")])

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
        "What would you like changed in the DPA?",
        validators=[_required("Say what you would like changed."),
                    Length(max=CHANGES_MAX, message=f"Keep it to {CHANGES_MAX:,} characters: "
                                                    "the privacy officer then writes to you "
                                                    "for the details."),
                    Matches(FILLED_TEXT_PATTERN, f"What you write {REFUSAL}.")])
