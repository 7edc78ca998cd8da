"""The rights a customer uses from the Privacy section, one page each: which request (or
setting) each page is for, its form, and what the form's answers make of the request's
details. The words of each page are in its template, selfservice/rights/<slug>.html."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm

from selfservice.models import Jurisdiction, RequestType
from selfservice.translation import gettext as _

from .rights_forms import AppealForm, CorrectionForm, DescribedForm, ExportForm, LawForm


@dataclass(frozen=True)
class Right:
    """One right's page: ``slug`` in its URL, the request ``type`` it asks for (None: a
    setting, no request), its form, and the preference it switches at once (``setting``)."""

    slug: str
    type: str | None
    form: builtins.type[FlaskForm] | None
    setting: str | None = None

    @property
    def template(self) -> str:
        return f"selfservice/rights/{self.slug.replace('-', '_')}.html"


RIGHTS: tuple[Right, ...] = (
    Right("export", RequestType.EXPORT, ExportForm),
    Right("portability", RequestType.EXPORT, ExportForm),
    Right("correction", RequestType.CORRECTION, CorrectionForm),
    Right("restriction", RequestType.RESTRICTION, DescribedForm),
    Right("objection", RequestType.OBJECTION, DescribedForm),
    Right("automated-decision-review", RequestType.AUTOMATED_DECISION_REVIEW, DescribedForm),
    Right("limit-sensitive-data", RequestType.LIMIT_SENSITIVE_DATA, DescribedForm,
          setting="limit_sensitive_data"),
    Right("opt-out-of-sale", None, None, setting="do_not_sell_or_share"),
    Right("appeal", RequestType.APPEAL, AppealForm),
)
BY_SLUG = {right.slug: right for right in RIGHTS}


def for_type(type_: str | None) -> Right | None:
    """The page that asks for requests of ``type_`` (an export's: "export")."""
    return next((right for right in RIGHTS if right.type is not None and right.type == type_),
                None)


def correction_text(wrong: str, should_be: str) -> str:
    """A correction's two answers as its description, headed in the customer's language."""
    wrong_heading, right_heading = _("What is wrong:"), _("What it should be:")
    return f"{wrong_heading}\n{wrong.strip()}\n\n{right_heading}\n{should_be.strip()}"


def typed(form: FlaskForm) -> str:
    """What the customer typed in the form, as one text (to add it to an open request)."""
    if isinstance(form, CorrectionForm):
        return correction_text(form.wrong.data or "", form.should_be.data or "")
    if isinstance(form, DescribedForm):
        return (form.description.data or "").strip()
    if isinstance(form, AppealForm):
        return (form.words.data or "").strip()
    return ""


def details(form: FlaskForm) -> dict[str, Any]:
    """The request's details from the right's form (request_details.py checks them)."""
    if isinstance(form, ExportForm):
        return {"formats": ["jsonl", "csv"] if form.csv.data else ["jsonl"]}
    found: dict[str, Any] = {}
    text = typed(form)
    if text:
        found["description"] = text
    if isinstance(form, LawForm) and form.state.data \
            and form.jurisdiction.data == Jurisdiction.US_STATE:
        found["state"] = form.state.data
    return found


def jurisdiction(form: FlaskForm) -> str | None:
    return form.jurisdiction.data if isinstance(form, LawForm) else None
