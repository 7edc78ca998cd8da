"""A privacy officer uploads a negotiated DPA from the command line: a real PDF (fpdf2), one
signed by the customer with pyHanko too. It is kept byte for byte, recorded in the audit trail
with who, when and its SHA-256, completes the request it answers (the customer is told), and
shows to the organisation's owners and admins, who download it; members see it exists and
whom to ask; everyone else is not told it exists. What is not a PDF, and uploads by anyone but
a privacy officer, are refused with nothing stored."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice import pdf_inspection
from selfservice.models import AuditEvent, DpaNegotiated, PrivacyRequest

from .dpa_pdfs import plain_pdf, signed_pdf
from .test_decisions import run_jobs, signed_in
from .test_dpa_changes import ask

API = "/privacy/api/v1"
LABEL = "Acme AI DPA, negotiated November 2026"


def upload(app: Flask, path: Path, *extra: str, org: str = "org-acme",
           officer: str = "acct-pat") -> Any:
    return app.test_cli_runner().invoke(args=[
        "selfservice", "dpa", "upload-negotiated", org, str(path), "--version-label", LABEL,
        "--signed-on", "2026-11-20", "--officer", officer, *extra])


def stored(app: Flask) -> list[DpaNegotiated]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(DpaNegotiated)))


def test_an_upload_completes_the_request_and_shows_to_the_organisations_admins_only(
        app: Flask, backend: str, make_person: Any, mailbox: MailCapture,
        tmp_path: Path) -> None:
    bob = signed_in(make_person, "bob@example.com")
    asked = ask(bob).json()
    pdf = signed_pdf(tmp_path)
    path = tmp_path / "acme-dpa-signed.pdf"
    path.write_bytes(pdf)
    result = upload(app, path, "--request", asked["reference"])
    assert result.exit_code == 0, result.output
    assert "digital signature CompanyCountersignature: Robert Oster, Acme AI Limited" in \
        result.output and "; intact" in result.output
    assert f"request {asked['reference']} completed" in result.output
    [row] = stored(app)
    assert (row.org_id, row.org_name, row.version_label, str(row.signed_on)) == (
        "org-acme", "Acme AI", LABEL, "2026-11-20")
    assert row.pdf == pdf and row.file_sha256 == hashlib.sha256(pdf).hexdigest()
    assert row.uploaded_by == "acct-pat" and row.request_reference == asked["reference"]
    assert [s["intact"] for s in row.signatures] == [True]
    with app.extensions["selfservice"].db.read() as session:
        [event] = session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == "org:org-acme",
            AuditEvent.action == "dpa.negotiated_uploaded")).all()
        request = session.get(PrivacyRequest, asked["id"])
    assert (event.actor_type, event.actor_id) == ("privacy_officer", "acct-pat")
    assert event.details["file_sha256"] == row.file_sha256
    assert event.details["reference"] == asked["reference"]
    assert request is not None and (request.status, request.decision) == ("completed",
                                                                          "completed")
    assert LABEL in (request.reason or "")
    run_jobs(app)
    [mail] = [m for m in mailbox.to("bob@example.com") if "was completed" in str(m["Subject"])]
    assert "negotiated DPA" in mail.get_content() and LABEL in mail.get_content()

    # the owner and the other admin download it, byte for byte
    dmitri = signed_in(make_person, "dmitri.volkov@example.net")
    for admin in (bob, dmitri):
        [entry] = admin.api("GET", API + "/dpa", csrf=False).json()["negotiated"]
        assert (entry["version_label"], entry["signed_on"], entry["file_sha256"]) == (
            LABEL, "2026-11-20", row.file_sha256)
        assert entry["digital_signatures"][0]["intact"] is True
        download = admin.api("GET", entry["download_url"], csrf=False)
        assert download.status_code == 200 and download.content == pdf
        assert download.headers["Content-Type"] == "application/pdf"
        page = admin.get("/privacy/dpa").text
        assert 'id="dpa-negotiated"' in page and 'id="dpa-negotiated-download-1"' in page
        assert 'id="dpa-negotiated-in-force"' in page  # not "has not signed the DPA yet"
        assert "has not signed the DPA yet" not in page
    assert pdf_inspection.inspect(download.content).signatures[0].intact
    url = entry["download_url"]
    # a member sees that it exists and whom to ask; nobody else learns of it
    carol = signed_in(make_person, "carol@example.com")
    [seen] = carol.api("GET", API + "/dpa", csrf=False).json()["negotiated"]
    assert seen["download_url"] is None and seen["version_label"] == LABEL
    member_page = carol.get("/privacy/dpa").text
    assert 'id="dpa-negotiated"' in member_page and "Bob Okafor" in member_page
    assert 'id="dpa-negotiated-in-force"' in member_page
    assert 'id="dpa-negotiated-download-1"' not in member_page
    others = [carol] + [signed_in(make_person, email) for email in (
        "fatima.haddad@example.net", "alice@example.com", "sam@example.com",
        "pat@example.com")]
    for other in others:
        refused = other.api("GET", url, csrf=False)
        assert refused.status_code == 404, other
        assert refused.headers["Content-Type"] == "application/problem+json"
    for other in others[1:3]:
        assert other.api("GET", API + "/dpa", csrf=False).json()["negotiated"] == []
        assert 'id="dpa-negotiated"' not in other.get("/privacy/dpa").text
    # kept as it is: the same file again stores nothing; no route changes or deletes it
    again = upload(app, path)
    assert again.exit_code == 1 and "uploaded for Acme AI" in again.output
    assert len(stored(app)) == 1
    assert bob.api("DELETE", url).status_code == 405
    assert bob.api("PUT", url).status_code == 405


@pytest.mark.backends("sqlite")
def test_a_pdf_without_a_digital_signature_is_accepted_and_anything_else_refused(
        app: Flask, make_person: Any, tmp_path: Path) -> None:
    plain = tmp_path / "scan.pdf"
    plain.write_bytes(plain_pdf(pages=3))
    refusals = {
        "not-a-pdf.pdf": (b"Dear privacy team, here is our DPA.\n", "file: This file is not "
                                                                    "a PDF"),
        "cut.pdf": (plain_pdf()[:900], "file: This PDF cannot be read"),
        "empty.pdf": (b"", "file: is required"),
    }
    for name, (content, words) in refusals.items():
        (tmp_path / name).write_bytes(content)
        result = upload(app, tmp_path / name)
        assert result.exit_code == 1 and words in result.output, (name, result.output)
        assert "nothing was stored" in result.output
    for officer, words in (("acct-sam", "Only a privacy officer"),
                           ("acct-bob", "Only a privacy officer"),
                           ("acct-nobody", "no account")):
        result = upload(app, plain, officer=officer)
        assert result.exit_code != 0 and words in result.output, officer
    unknown = upload(app, plain, org="org-nowhere")
    assert unknown.exit_code == 1 and "knows no organisation" in unknown.output
    bad_day = app.test_cli_runner().invoke(args=[
        "selfservice", "dpa", "upload-negotiated", "org-acme", str(plain), "--version-label",
        LABEL, "--signed-on", "2099-01-01", "--officer", "acct-pat"])
    assert bad_day.exit_code == 1 and "signed on" in bad_day.output
    # a request that is not the organisation's open request for changes
    fatima = signed_in(make_person, "fatima.haddad@example.net")
    globex = ask(fatima).json()["reference"]
    alice = signed_in(make_person, "alice@example.com")
    correction = alice.api("POST", API + "/requests", json={"type": "correction"}).json()
    for reference, words in ((globex, "another organisation's request"),
                             (correction["reference"], "request for changes to the DPA"),
                             ("DR-0000-0000", "request for changes to the DPA")):
        result = upload(app, plain, "--request", reference)
        assert result.exit_code == 1 and words in result.output, reference
    assert stored(app) == []

    result = upload(app, plain)
    assert result.exit_code == 0, result.output
    assert "digital signatures: none (accepted" in result.output and "3 pages" in result.output
    [row] = stored(app)
    assert row.signatures == [] and row.pages == 3 and row.request_reference is None


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_DPA_NEGOTIATED_MAX_BYTES=2048)
def test_a_pdf_longer_than_the_setting_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(plain_pdf(pages=4))
    assert path.stat().st_size > 2048
    result = upload(app, path)
    assert result.exit_code == 1 and "the most is 2,048" in result.output
    assert stored(app) == []
