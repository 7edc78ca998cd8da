"""The DPA through the API: an owner signs, the company countersigns, and the PDF's signature
validates (pyHanko's validator) over exactly the bytes whose hash was recorded; members, other
accounts, stale logins, old versions and bad entries are refused with nothing recorded."""

from __future__ import annotations

import hashlib
import io
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from asn1crypto import x509 as asn1_x509
from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from selfservice.dpa_signing import _run
from selfservice.models import AuditEvent, DpaSignature

from .helpers import Person, make_login_stale

API = "/privacy/api/v1"
VERSION = "2026-11-01"


def entries(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": VERSION, "legal_name": "Acme AI Limited",
        "address": "1 Harbour Square\nDublin 2, Ireland",
        "registration_number": "IE 654321", "signer_name": "Robert Øster",
        "signer_title": "Chief Technology Officer", "signer_email": "bob@example.com",
        "authorised": True}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def signatures(app: Flask) -> list[DpaSignature]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(DpaSignature)))


def trusted_certificate(pem_path: str) -> asn1_x509.Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    with open(pem_path, "rb") as handle:
        certificate = x509.load_pem_x509_certificate(
            handle.read().split(b"-----END PRIVATE KEY-----")[1].strip())
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def validate(pdf: bytes, dpa_signing_pem: str) -> Any:
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
    context = ValidationContext(trust_roots=[trusted_certificate(dpa_signing_pem)])
    # through dpa_signing's runner: pyHanko's synchronous wrapper calls asyncio.run, which a
    # thread with a running event loop refuses (the session's Chromium, once a browser test
    # has started it, runs Playwright's loop in this thread)
    return embedded, _run(lambda: async_validate_pdf_signature(embedded, context))


def sign_as_bob(person: Person, **changes: Any) -> Any:
    person.login("bob@example.com")
    return person.api("POST", API + "/dpa/signatures", json=entries(**changes))


def flat_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                    .split())


@pytest.mark.backends("sqlite")
def test_an_owner_signs_and_the_countersignature_covers_exactly_the_recorded_hash(
        app: Flask, person: Person, dpa_signing_pem: str) -> None:
    person.login("bob@example.com")
    before = person.api("GET", API + "/dpa", csrf=False).json()
    assert before["current"]["version"] == VERSION
    assert before["can_sign"] is True and before["signatures"] == []
    created = person.api("POST", API + "/dpa/signatures", json=entries())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["version"] == VERSION
    pdf_response = person.api("GET", body["download_url"], csrf=False)
    assert pdf_response.status_code == 200
    assert pdf_response.headers["Content-Type"] == "application/pdf"
    pdf = pdf_response.content

    embedded, status = validate(pdf, dpa_signing_pem)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # what the signature signs is the hash that was recorded and answered
    signed_attrs = embedded.signer_info["signed_attrs"]
    message_digest = next(a["values"][0].native for a in signed_attrs
                          if a["type"].native == "message_digest")
    assert message_digest.hex() == body["document_sha256"]
    start, first, second_start, second = embedded.byte_range
    ranges = pdf[start:start + first] + pdf[second_start:second_start + second]
    assert hashlib.sha256(ranges).hexdigest() == body["document_sha256"]
    assert hashlib.sha256(pdf).hexdigest() == body["file_sha256"]
    [row] = signatures(app)
    assert (row.document_sha256, row.pdf) == (body["document_sha256"], pdf)
    assert row.account_id == "acct-bob" and row.ip_address == "127.0.0.1"

    text = flat_text(pdf)
    for expected in ("Acme AI Limited", "Acme AI", "Robert Øster", "Chief Technology Officer",
                     f"Version {VERSION}", "IE 654321", "Postmark (ActiveCampaign, LLC)",
                     "Encryption"):
        assert expected in text, expected
    registered = [s for s in app.extensions["selfservice"].extension.sources if not s.builtin]
    assert registered
    for source in registered:  # Annex I is drawn from the source registry
        assert " ".join(source.description.split()) in text, source.name

    with app.extensions["selfservice"].db.read() as session:
        audit = session.scalars(sa.select(AuditEvent).where(
            AuditEvent.stream == "org:org-acme", AuditEvent.action == "dpa.signed")).all()
    assert [e.details["document_sha256"] for e in audit] == [body["document_sha256"]]
    after = person.api("GET", API + "/dpa", csrf=False).json()
    assert after["can_sign"] is False
    assert [s["id"] for s in after["signatures"]] == [body["id"]]


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("where", ["inside the document", "inside the signature"])
def test_changing_one_byte_breaks_the_signature(
        app: Flask, person: Person, dpa_signing_pem: str, where: str) -> None:
    body = sign_as_bob(person).json()
    pdf = bytearray(person.api("GET", body["download_url"], csrf=False).content)
    embedded, _ = validate(bytes(pdf), dpa_signing_pem)
    start, first, second_start, _ = embedded.byte_range
    # a byte of the first page's text, or a hex digit of the signature value
    at = (pdf.index(b"stream", 2000) + 40 if where == "inside the document"
          else start + first + 200)
    pdf[at] = ord("0") if pdf[at] != ord("0") else ord("1")
    try:
        _, status = validate(bytes(pdf), dpa_signing_pem)
    except SignatureValidationError:  # the signature value no longer parses as one
        return
    assert not (status.intact and status.valid)


@pytest.mark.backends("sqlite")
def test_members_and_other_accounts_are_refused_and_nothing_is_recorded(
        app: Flask, make_person: Any) -> None:
    carol, alice, sam = make_person(), make_person(), make_person()
    carol.login("carol@example.com")
    refused = carol.api("POST", API + "/dpa/signatures", json=entries())
    assert refused.status_code == 403, refused.text
    alice.login("alice@example.com")
    assert alice.api("POST", API + "/dpa/signatures", json=entries()).status_code == 404
    assert signatures(app) == []
    assert carol.api("GET", API + "/dpa", csrf=False).json()["can_sign"] is False

    bob = make_person()
    signed = sign_as_bob(bob).json()
    seen = carol.api("GET", API + "/dpa", csrf=False).json()
    [entry] = seen["signatures"]
    assert entry["signer_name"] == "Robert Øster" and entry["download_url"] is None
    sam.login("sam@example.com")
    fatima = make_person()  # the owner of another organisation, Globex Research
    fatima.login("fatima.haddad@example.net")
    for other in (carol, alice, sam, fatima):
        response = other.api("GET", signed["download_url"], csrf=False)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/problem+json"
    assert alice.api("GET", API + "/dpa", csrf=False).json()["signatures"] == []
    theirs = fatima.api("GET", API + "/dpa", csrf=False).json()
    assert theirs["signatures"] == [] and theirs["can_sign"] is True  # Acme's is not theirs
    globex = fatima.api("POST", API + "/dpa/signatures", json=entries(
        legal_name="Globex Research SAS", signer_name="Fatima Haddad",
        signer_email="fatima.haddad@example.net"))
    assert globex.status_code == 201
    assert bob.api("GET", globex.json()["download_url"], csrf=False).status_code == 404
    assert {(row.org_id, row.signer_name) for row in signatures(app)} == {
        ("org-acme", "Robert Øster"), ("org-globex", "Fatima Haddad")}


@pytest.mark.backends("sqlite")
def test_a_stale_login_must_sign_in_again_before_signing(app: Flask, person: Person) -> None:
    person.login("bob@example.com")
    make_login_stale(app, person)
    response = person.api("POST", API + "/dpa/signatures", json=entries())
    assert response.status_code == 401
    assert response.json()["type"].endswith("/reauth-required")
    assert "/auth/reauth" in response.json()["reauth_url"]
    assert signatures(app) == []


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_DPA_VERSIONS=[
    {"version": "2025-01", "effective": "2025-01-01", "template": "selfservice/dpa/standard.html",
     "changes": "First version."},
    {"version": "2026-11-01", "effective": "2026-11-01",
     "template": "selfservice/dpa/standard.html", "changes": "Annex III moved."},
    {"version": "2099-01", "effective": "2099-01-01", "template": "selfservice/dpa/standard.html",
     "changes": "Later."}])
@pytest.mark.parametrize("version", ["2025-01", "2099-01", "no-such-version"])
def test_only_the_version_in_force_can_be_signed(app: Flask, person: Person,
                                                 version: str) -> None:
    response = sign_as_bob(person, version=version)
    assert response.status_code == 409, response.text
    assert response.json()["current"]["version"] == VERSION
    assert signatures(app) == []
    overview = person.api("GET", API + "/dpa", csrf=False).json()
    assert overview["upcoming"]["version"] == "2099-01"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("changes", "field"), [
    ({"legal_name": ...}, "legal_name"),
    ({"legal_name": "   "}, "legal_name"),
    ({"legal_name": "A" * 201}, "legal_name"),
    ({"legal_name": "Acme\nAI"}, "legal_name"),
    ({"address": "x\u0000y street"}, "address"),
    ({"signer_email": "not an address"}, "signer_email"),
    ({"signer_title": ""}, "signer_title"),
    ({"authorised": False}, "authorised"),
    ({"authorised": ...}, "authorised"),
    ({"registration_number": 12345}, "registration_number"),
    ({"stamp": "extra"}, "stamp"),
    ({"signer_name": "株式会社 署名"}, "signer_name"),  # no glyph for it in the PDF's font
])
def test_bad_entries_are_refused_by_field_and_nothing_is_recorded(
        app: Flask, person: Person, changes: dict[str, Any], field: str) -> None:
    response = sign_as_bob(person, **changes)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert signatures(app) == []


def test_two_admins_signing_at_once_make_one_signature(app: Flask, make_person: Any) -> None:
    first, second = make_person(), make_person()
    for person in (first, second):
        person.login("bob@example.com")
    tokens = [person.me()["csrf_token"] for person in (first, second)]
    start = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def sign(index: int, person: Person) -> None:
        start.wait()
        answers[index] = person.http.post(
            person.app_url + API + "/dpa/signatures", json=entries(),
            headers={"X-CSRF-Token": tokens[index]}, timeout=60)

    threads = [threading.Thread(target=sign, args=(i, p)) for i, p in enumerate((first,
                                                                                 second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409], [a.text for a in answers]
    won = next(a for a in answers if a.status_code == 201).json()
    lost = next(a for a in answers if a.status_code == 409).json()
    assert lost["signature"]["id"] == won["id"]  # the second sees the first
    assert [row.id for row in signatures(app)] == [won["id"]]


@pytest.mark.backends("sqlite")
def test_everyone_signed_in_can_download_the_standard_dpa(app: Flask, make_person: Any
                                                           ) -> None:
    carol, alice = make_person(), make_person()
    carol.login("carol@example.com")
    alice.login("alice@example.com")
    for person, named in ((carol, "Acme AI"), (alice, "______")):
        response = person.api("GET", API + "/dpa/document", csrf=False)
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
        text = flat_text(response.content)
        assert named in text and "Annex III" in text and f"Version {VERSION}" in text
        assert PdfFileReader(io.BytesIO(response.content)).embedded_signatures == []
    unknown = alice.api("GET", API + "/dpa/document?version=1999", csrf=False)
    assert unknown.status_code == 404
    anonymous = make_person().api("GET", API + "/dpa/document", csrf=False)
    assert anonymous.status_code == 401
