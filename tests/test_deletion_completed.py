"""The completion e-mail in plain words: on the canary host of the erasure tests, a deletion
without a grace period runs to the end, and the e-mail says what happened to each kind of data,
what is kept until when and why, and how to check the attached certificate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from devtools.mailcapture import MailCapture

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
            assert f"Kept until {kept['retained_until'][:10]}, then erased." in text
    assert f"deletion-certificate-{request.reference}.json jwks.json" in text
    assert certificate["publicKey"] in text
    assert erasure_app.CANARY not in text and "carol" not in text.lower()
    attached = json.loads(next(mail.iter_attachments()).get_content())
    assert attached["receipt"] == certificate
