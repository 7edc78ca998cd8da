"""The DPA pages: who sees what, the fresh sign-in before signing, the form's refusals, and
what start-up does with a signing key it cannot use."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from selfservice import ConfigError
from selfservice.dpa_signing import DpaKeyError, load, self_signed_pem
from selfservice.models import DpaSignature

from .helpers import Person, csrf_token, make_login_stale

FORM = {"legal_name": "Acme AI Limited", "address": "1 Harbour Square\r\nDublin 2",
        "registration_number": "", "signer_name": "Bob Example", "signer_title": "Founder",
        "signer_email": "bob@example.com", "authorised": "y"}


def count(app: Flask) -> int:
    with app.extensions["selfservice"].db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(DpaSignature)) or 0)


def post_form(person: Person, fields: dict[str, str]) -> Any:
    page = person.get("/privacy/dpa/sign", login="bob@example.com")
    version = page.text.split('name="version" type="hidden" value="')[1].split('"')[0]
    return person.http.post(person.app_url + "/privacy/dpa/sign", allow_redirects=False,
                            data={"csrf_token": csrf_token(page.text), "version": version,
                                  **fields}, timeout=30)


@pytest.mark.backends("sqlite")
def test_an_owner_signs_on_the_page_after_signing_in_again(app: Flask, person: Person) -> None:
    person.login("bob@example.com")
    assert 'id="dpa-link"' in person.get("/privacy/").text
    page = person.get("/privacy/dpa")
    assert page.status_code == 200 and 'id="dpa-sign-link"' in page.text
    assert "Annex I" in page.text and "Postmark (ActiveCampaign, LLC)" in page.text
    make_login_stale(app, person)
    form = person.get("/privacy/dpa/sign", login="bob@example.com")
    assert any("/auth/reauth" in url for url in person.visited)  # through the provider
    assert form.status_code == 200 and 'value="Acme AI"' in form.text  # pre-filled
    answer = post_form(person, FORM)
    assert answer.status_code == 303, answer.text[:500]
    done = person.get(answer.headers["Location"])
    assert "Signed." in done.text and "Download PDF" in done.text
    assert count(app) == 1
    # a second visit to the form goes back to the page: it is signed
    again = person.http.get(person.app_url + "/privacy/dpa/sign", allow_redirects=False)
    assert again.status_code == 303


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("fields", "message"), [
    ({"authorised": ""}, "Confirm that you are authorised"),
    ({"legal_name": ""}, "Enter the organisation&#39;s legal name."),
    ({"signer_email": "bob at example"}, "Enter an e-mail address"),
    ({"address": "x" * 501}, "The address must be 5 to 500 characters."),
    ({"signer_name": "Zhang 张伟"}, "cannot show"),
])
def test_the_form_refuses_bad_entries_and_records_nothing(
        app: Flask, person: Person, fields: dict[str, str], message: str) -> None:
    person.login("bob@example.com")
    answer = post_form(person, {**FORM, **fields})
    assert answer.status_code == 422
    assert message in answer.text and "Nothing was changed." in answer.text
    assert count(app) == 0


@pytest.mark.backends("sqlite")
def test_a_stale_login_on_submit_goes_through_the_sign_in_and_records_nothing(
        app: Flask, person: Person) -> None:
    person.login("bob@example.com")
    page = person.get("/privacy/dpa/sign")
    make_login_stale(app, person)
    answer = person.http.post(person.app_url + "/privacy/dpa/sign", allow_redirects=False,
                              data={"csrf_token": csrf_token(page.text), **FORM},
                              headers={"Referer": person.app_url + "/privacy/dpa/sign"})
    assert answer.status_code == 302 and "/auth/reauth" in answer.headers["Location"]
    assert count(app) == 0


@pytest.mark.backends("sqlite")
def test_members_see_who_signed_and_whom_to_ask_and_others_see_the_standard_dpa(
        app: Flask, make_person: Any) -> None:
    bob, carol, alice = make_person(), make_person(), make_person()
    bob.login("bob@example.com")
    post_form(bob, FORM)
    carol.login("carol@example.com")
    page = carol.get("/privacy/dpa")
    assert "Bob Example (Founder) signed version" in page.text
    assert 'href="mailto:bob@example.com' in page.text and "Download PDF" not in page.text
    assert carol.get("/privacy/dpa/sign").status_code == 403
    alice.login("alice@example.com")
    page = alice.get("/privacy/dpa")
    assert "You are not part of an organisation" in page.text
    assert 'id="dpa-download-standard"' in page.text
    assert alice.get("/privacy/dpa/sign").status_code == 404


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_DPA_VERSIONS=[])
def test_without_a_published_dpa_there_is_no_page(app: Flask, person: Person) -> None:
    person.login("bob@example.com")
    assert person.get("/privacy/dpa").status_code == 404
    assert 'id="dpa-link"' not in person.get("/privacy/").text


# -- start-up ---------------------------------------------------------------------------------

def _host(tmp_path: Path, **config: Any) -> None:
    from flask import Flask as Host

    from selfservice import Identity, SelfService

    app = Host("host", instance_path=str(tmp_path))
    app.config.update({"SECRET_KEY": "k" * 32, "SELFSERVICE_DATABASE_URL": "sqlite://",
                       **config})
    SelfService(app, identity_loader=lambda a: Identity(a, f"{a}@example.com", a))


def _rsa_1024_bundle() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: str(p / "missing.pem"), "cannot read the DPA signing key file"),
    (lambda p: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not an "
     "unencrypted PEM"),
    (lambda p: _rsa_1024_bundle().decode(), "1024-bit RSA key"),
])
def test_a_signing_key_that_cannot_sign_stops_the_app(tmp_path: Path, make: Any,
                                                      message: str) -> None:
    cert = self_signed_pem("x", "y").decode()
    with pytest.raises(DpaKeyError, match=message):
        _host(tmp_path, SELFSERVICE_DPA_SIGNING_KEY=make(tmp_path),
              SELFSERVICE_DPA_SIGNING_CERT=cert)


def test_a_certificate_for_another_key_or_out_of_date_stops_the_app(tmp_path: Path) -> None:
    mine, other = self_signed_pem("mine", "y").decode(), self_signed_pem("other", "y").decode()
    with pytest.raises(DpaKeyError, match="no certificate for"):
        _host(tmp_path, SELFSERVICE_DPA_SIGNING_KEY=mine, SELFSERVICE_DPA_SIGNING_CERT=other)
    certificate = x509.load_pem_x509_certificate(
        mine.split("-----END PRIVATE KEY-----\n")[1].encode())
    with pytest.raises(DpaKeyError, match="valid from"):  # a day after it expires
        load(mine, mine, now=certificate.not_valid_after_utc + timedelta(days=1))


@pytest.mark.parametrize(("settings", "message"), [
    ({"SELFSERVICE_DPA_SIGNING_KEY": "key.pem"}, "go together"),
    ({"SELFSERVICE_DPA_VERSIONS": [{"version": "v 1", "effective": "2026-01-01",
                                    "template": "t.html", "changes": "c"}]}, "letters"),
    ({"SELFSERVICE_DPA_VERSIONS": [{"version": "v1", "effective": "soon",
                                    "template": "t.html", "changes": "c"}]}, "a date"),
    ({"SELFSERVICE_DPA_VERSIONS": [{"version": "v1", "effective": "2026-01-01",
                                    "template": "selfservice/dpa/none.html",
                                    "changes": "c"}]}, "cannot be loaded"),
    ({"SELFSERVICE_DPA_MEASURES": [{"title": "Encryption"}]}, "title, description"),
    ({"SELFSERVICE_DPA_FONTS": {"regular": "/nonexistent.ttf", "bold": "/x.ttf"}},
     "no readable file"),
])
def test_a_malformed_dpa_setting_stops_the_app(tmp_path: Path, settings: dict[str, Any],
                                               message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _host(tmp_path, **settings)
