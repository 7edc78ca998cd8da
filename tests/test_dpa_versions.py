"""Versions over time: the host publishes a new DPA version; the owners and admins of an
organisation that signed an earlier one see it is available with what changed, get one e-mail
each (SMTP capture), and sign it; every signed version stays downloadable, unchanged."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.models import AuditEvent
from selfservice.services import dpa_notices, outbox

from .helpers import LiveServer
from .test_dpa import API, entries, sign_as_bob

OLD = {"version": "2025-06-01", "effective": "2025-06-01",
       "template": "selfservice/dpa/standard.html", "changes": "First version."}
NEW = {"version": "2026-11-01", "effective": "2026-11-01",
       "template": "selfservice/dpa/standard.html",
       "changes": "Annex III adds Cloudflare for network protection."}


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_DPA_VERSIONS=[OLD])
def test_a_new_version_tells_the_admins_once_and_every_signed_version_stays(
        app: Flask, app_config: dict[str, Any], live_server: LiveServer, make_person: Any,
        mailbox: MailCapture) -> None:
    from demo.app import create_app

    bob = make_person()
    old = sign_as_bob(bob, version=OLD["version"])
    assert old.status_code == 201, old.text
    old_pdf = bob.api("GET", old.json()["download_url"], csrf=False).content

    # the host publishes a new version, in force from today on
    newer = create_app(dict(app_config, SELFSERVICE_DPA_VERSIONS=[OLD, NEW]))
    live_server.app = newer
    try:
        overview = bob.api("GET", API + "/dpa", csrf=False).json()
        assert overview["current"]["version"] == NEW["version"]
        assert overview["new_version_available"] is True and overview["can_sign"] is True
        page = bob.get("/privacy/dpa").text
        assert "A new version of the DPA is available" in page and NEW["changes"] in page
        carol = make_person()
        carol.login("carol@example.com")
        seen = carol.get("/privacy/dpa").text
        assert f"signed version {OLD['version']} for Acme AI" in seen and NEW["changes"] in seen

        with newer.app_context():
            assert dpa_notices.announce_current() == 1
            assert dpa_notices.announce_current() == 0  # once per organisation and version
            outbox.work(burst=True)
        [mail] = mailbox.to("bob@example.com")
        assert NEW["version"] in str(mail["Subject"])
        text = mail.get_content()
        assert NEW["changes"] in text and f"signed version {OLD['version']}" in text
        assert f"{live_server.url}/privacy/dpa" in text
        assert mailbox.to("carol@example.com") == []  # a member is not asked to sign
        with newer.extensions["selfservice"].db.read() as session:
            notices = session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action == "dpa.new_version_notice")).all()
        assert [(e.target_id, e.details["signed_version"]) for e in notices] == [
            ("org-acme", OLD["version"])]

        new = bob.api("POST", API + "/dpa/signatures", json=entries(version=NEW["version"]))
        assert new.status_code == 201, new.text
        after = bob.api("GET", API + "/dpa", csrf=False).json()
        assert after["new_version_available"] is False and after["can_sign"] is False
        assert [s["version"] for s in after["signatures"]] == [NEW["version"], OLD["version"]]
        again = bob.api("GET", old.json()["download_url"], csrf=False).content
        assert again == old_pdf  # nothing signed is changed
        assert hashlib.sha256(again).hexdigest() == old.json()["file_sha256"]
        assert bob.api("GET", new.json()["download_url"], csrf=False).status_code == 200
        with newer.app_context():  # signed already: no e-mail is left to send
            assert dpa_notices.send_new_version("acct-bob", NEW["version"], "org-acme") == {
                "skipped": "signed already"}
    finally:
        live_server.app = app
        newer.extensions["selfservice"].db.engine.dispose()
