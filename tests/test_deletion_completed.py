"""The completion e-mail in plain words: on the canary host of the erasure tests, a deletion
without a grace period runs to the end, and the e-mail says what happened to each kind of data,
what is kept until when and why, and where the keys that check the attached certificate are."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from babel.dates import format_date
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.models import Deletion
from selfservice.services import languages

from . import erasure_app
from .test_erasure import CAROL, confirm, row, run_jobs

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Any) -> dict[str, Any]:
    return dict(app_config, SELFSERVICE_EXPORT_DIR=str(tmp_path / "exports"),
                SELFSERVICE_DELETION_GRACE_DAYS=0)


def test_the_completion_email_says_what_happened_in_plain_words(
        app: Flask, mailbox: MailCapture) -> None:
    erasure_app.install(app)
    erasure_app.plant(app, CAROL, notes_count=12)
    request = confirm(app, CAROL)
    run_jobs(app)
    from selfservice.models import Deletion, PrivacyRequest

    assert row(app, PrivacyRequest, request.id).status == "completed"
    certificate = row(app, Deletion, request.id).certificate["receipt"]
    [mail] = [m for m in mailbox.messages if "has been deleted" in str(m["Subject"])]
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Your account and your data have been deleted.")
    assert f"Reference: {request.reference}" in text
    notes = next(s for s in certificate["sources"] if s["name"] == "canary_notes")
    assert f"- {notes['description']}: erased, 12 records." in text
    for kept in (s for s in certificate["sources"] if s["action"] == "retain"):
        assert kept["description"] in text
        if kept["retained_until"]:
            until = format_date(date.fromisoformat(kept["retained_until"][:10]), "long",
                                locale="en")
            assert f"Kept until {until}, then erased." in text
    # the proof is the attachment, checked with the keys it names; no command to type
    assert "python -m" not in text and "attached file is a certificate" in text
    assert certificate["publicKey"] in text
    assert erasure_app.CANARY not in text and "carol" not in text.lower()
    attached = json.loads(next(mail.iter_attachments()).get_content())
    assert attached["receipt"] == certificate


def test_the_completion_email_is_in_the_language_the_customer_read(
        app: Flask, mailbox: MailCapture) -> None:
    """Her language row is erased with her account: the deletion kept it with the address."""
    erasure_app.install(app)
    erasure_app.plant(app, CAROL, notes_count=3)
    with app.app_context():
        languages.remember(CAROL, "de")
    request = confirm(app, CAROL)
    assert row(app, Deletion, request.id).notify_language == "de"
    run_jobs(app)
    # (the acknowledgement too; the e-mail saying erasure starts finds the account erased
    # already when there is no grace period, and is not sent)
    [mail] = [m for m in mailbox.to("carol@example.com")
              if m["Subject"] == f"Ihr Konto wurde gelöscht ({request.reference})"]
    assert f"Ihre Datenschutzanfrage {request.reference} ist eingegangen" in [
        str(m["Subject"]) for m in mailbox.to("carol@example.com")]
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Ihr Konto und Ihre Daten wurden gelöscht.")
    assert f"Referenz: {request.reference}" in text and "gelöscht, 3 Datensätze." in text
    # the plugin's own words are in German (the host's are the host's to translate)
    assert "- Die Sprache, in der Sie unsere Seiten und E-Mails lesen: gelöscht, 1 Datensatz." \
        in text
    assert "Rechtliche Pflicht" in text  # a legal basis, as the certificate names it
    assert row(app, Deletion, request.id).notify_language is None
