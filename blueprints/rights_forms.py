"""The forms of the rights' pages: each right asks only for what its request carries
(selfservice/services/request_details.py), in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from selfservice.models import Jurisdiction
from selfservice.services.request_details import DESCRIPTION_MAX
from selfservice.text import is_free_text
from selfservice.translation import lazy_gettext as _l
from selfservice.us_states import US_STATES

from .forms import choices

#: the laws a request is answered under, as the customer reads them
LAWS: dict[str, Any] = {
    Jurisdiction.GDPR: _l("GDPR (EU and EEA)"),
    Jurisdiction.UK_GDPR: _l("UK GDPR (United Kingdom)"),
    Jurisdiction.CCPA: _l("CCPA/CPRA (California)"),
    Jurisdiction.US_STATE: _l("Another US state's privacy law"),
}
#: the longest a correction's "what is wrong" and "what it should be" may be: both fit one
#: description (DESCRIPTION_MAX) with their headings
CORRECTION_PART_MAX = 900
#: the longest reason given with an appeal: it fits the description after the line that
#: names the decision
APPEAL_WORDS_MAX = DESCRIPTION_MAX - 100


def plain_text(form: FlaskForm, field: Field) -> None:
    if field.data and not is_free_text(field.data):
        raise ValidationError(_l("Use plain text only: remove the control characters (such "
                                 "as NUL) or broken characters."))


def _too_long() -> Any:
    return _l("Please shorten this to %(max)d characters or fewer.")


class LawForm(FlaskForm):
    """The law the request is answered under (its deadline), and the state under a US
    state's law."""

    jurisdiction = SelectField(_l("The law that applies to you"), choices=choices(LAWS))
    state = SelectField(_l("Your state (only under a US state's law)"),
                        choices=choices({"": "", **US_STATES}),
                        validate_choice=False)  # optional; the service checks a state given


class ExportForm(FlaskForm):
    """A copy of the data: the files it holds. JSON Lines always; CSV on request."""

    csv = BooleanField(_l("Also CSV files, to open in a spreadsheet"))


class DescribedForm(LawForm):
    """A right that needs no more than the customer's words, optional."""

    description = TextAreaField(
        validators=[Optional(), Length(max=DESCRIPTION_MAX, message=_too_long()), plain_text])


class CorrectionForm(LawForm):
    """A correction: what is wrong, and what it should be."""

    wrong = TextAreaField(_l("What is wrong"), validators=[
        DataRequired(message=_l("Tell us which data is wrong.")),
        Length(max=CORRECTION_PART_MAX, message=_too_long()), plain_text])
    should_be = TextAreaField(_l("What it should be"), validators=[
        DataRequired(message=_l("Tell us what it should be.")),
        Length(max=CORRECTION_PART_MAX, message=_too_long()), plain_text])


class AppealForm(FlaskForm):
    """An appeal: the decision it appeals (one of the customer's own, the choices the page
    sets), and why, optional."""

    decision = RadioField(_l("The decision you appeal"), choices=[], validate_choice=False,
                          validators=[InputRequired(message=_l("Choose the decision you "
                                                               "appeal."))])
    words = TextAreaField(_l("Why you disagree (optional)"), validators=[
        Optional(), Length(max=APPEAL_WORDS_MAX, message=_too_long()), plain_text])

    def validate_decision(self, field: RadioField) -> None:
        if field.data not in {str(next(iter(choice))) for choice in field.choices or ()}:
            raise ValidationError(_l("Choose one of the decisions listed here."))


class AddDetailsForm(FlaskForm):
    """More words for a request still open: appended to it (prefix ``add``, as the page has
    the right's own form too)."""

    text = TextAreaField(_l("What would you like to add?"), validators=[
        DataRequired(message=_l("Write what you would like to add.")),
        Length(max=DESCRIPTION_MAX, message=_too_long()), plain_text])


class SettingForm(FlaskForm):
    """A setting a right is (opting out of sale or sharing, limiting sensitive data): on or
    off, as the button said."""

    value = HiddenField(validators=[DataRequired()])
