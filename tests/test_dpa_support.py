"""The privacy officer's DPA page (/privacy/support/dpa) and its API: every organisation's DPA
(signatures, negotiated DPAs, open requests for changes), and the upload of a negotiated DPA
(multipart, CSRF, a body limit of its own, larger than the plugin's usual 64 KiB). Support
agents get 403; customers the 404 of a path that does not exist."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from .dpa_pdfs import plain_pdf, signed_pdf
from .helpers import Person, csrf_token
from .test_decisions import signed_in
from .test_dpa import entries
from .test_dpa_changes import ask

API = "/privacy/api/v1"
PAGE = "/privacy/support/dpa"
FIELDS = {"org_id": "org-acme", "version_label": "Acme AI DPA, negotiated 2026-11",
          "signed_on": "2026-11-20"}


def post_page(person: Person, fields: dict[str, str], pdf: bytes | None,
              token: str | None = None) -> requests.Response:
    token = token or csrf_token(person.get(PAGE).text)
    files = {"file": ("dpa.pdf", pdf, "application/pdf")} if pdf is not None else None
    return person.http.post(person.app_url + PAGE, data={"csrf_token": token, **fields},
                            files=files, allow_redirects=False, timeout=30)


def post_api(person: Person, fields: dict[str, str], pdf: bytes | None) -> requests.Response:
    files = {"file": ("dpa.pdf", pdf, "application/pdf")} if pdf is not None else None
    return person.api("POST", API + "/support/dpa/negotiated", data=fields, files=files)


def padded_pdf(kib: int) -> bytes:
    """A real PDF longer than ``kib`` KiB (an attached annex makes it so)."""
    return plain_pdf(attachment_kib=kib)


@pytest.mark.backends("sqlite")
def test_a_privacy_officer_sees_every_organisations_dpa_and_uploads_on_the_page(
        app: Flask, make_person: Any, tmp_path: Path) -> None:
    bob = signed_in(make_person, "bob@example.com")
    assert bob.api("POST", API + "/dpa/signatures", json=entries()).status_code == 201
    asked = ask(bob).json()
    fatima = signed_in(make_person, "fatima.haddad@example.net")
    assert fatima.api("POST", API + "/dpa/signatures", json=entries(
        legal_name="Globex Research SAS", signer_name="Fatima Haddad")).status_code == 201
    pat = signed_in(make_person, "pat@example.com")
    page = pat.get(PAGE)
    assert page.status_code == 200
    assert asked["reference"] in page.text and "Clause 9 (audits)" in page.text
    assert "Globex Research" in page.text and "Robert Øster" in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert 'id="officer-pages"' in pat.get("/privacy/support").text
    prefilled = pat.get(f"{PAGE}?org_id=org-acme&request={asked['reference']}").text
    assert f'value="{asked["reference"]}"' in prefilled

    # without the CSRF token nothing is stored; with bad fields, every one is named
    assert post_page(pat, FIELDS, plain_pdf(), token="forged").status_code == 400
    wrong = post_page(pat, {**FIELDS, "signed_on": "someday", "version_label": ""},
                      b"not a pdf")
    assert wrong.status_code == 400
    for field in ("upload-signed_on", "upload-version_label", "upload-file"):
        assert f'href="#{field}"' in wrong.text, field
    assert 'aria-invalid="true"' in wrong.text

    # a signed PDF, longer than the plugin's usual body limit of 64 KiB
    pdf = signed_pdf(tmp_path)
    big = padded_pdf(100)
    done = post_page(pat, {**FIELDS, "request": asked["reference"]}, pdf)
    assert done.status_code == 303, done.text[:500]
    assert done.headers["Location"].endswith(f"{PAGE}?org=org-acme")
    shown = pat.get(done.headers["Location"]).text
    assert "1 digital signature: Robert Oster, Acme AI Limited (intact)" in shown
    assert f"{asked['reference']} is completed; the customer was told" in shown
    assert post_page(pat, {**FIELDS, "version_label": "Annex with padding"},
                     big).status_code == 303
    duplicate = post_page(pat, FIELDS, pdf)
    assert duplicate.status_code == 409 and "nothing was stored again" in duplicate.text
    overview = pat.api("GET", API + "/support/dpa", csrf=False,
                       params={"org": "org-acme"}).json()
    [acme] = overview["organisations"]
    assert [n["version_label"] for n in acme["negotiated"]] == [
        "Annex with padding", FIELDS["version_label"]]
    assert acme["open_requests"] == [] and [s["version"] for s in acme["signatures"]] == [
        "2026-11-01"]
    kept = pat.api("GET", acme["negotiated"][1]["download_url"], csrf=False)
    assert kept.status_code == 200 and kept.content == pdf
    [entry, _] = sorted(bob.api("GET", API + "/dpa", csrf=False).json()["negotiated"],
                        key=lambda n: n["version_label"] != FIELDS["version_label"])
    assert entry["file_sha256"] == hashlib.sha256(pdf).hexdigest()


@pytest.mark.backends("sqlite")
def test_the_api_uploads_and_refuses_what_the_page_refuses(app: Flask,
                                                            make_person: Any) -> None:
    pat = signed_in(make_person, "pat@example.com")
    pdf = plain_pdf()
    created = post_api(pat, FIELDS, pdf)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["org"] == {"id": "org-acme", "name": "Acme AI"} and body["request"] is None
    assert body["digital_signatures"] == [] and body["size"] == len(pdf)
    assert pat.api("GET", created.headers["Location"], csrf=False).content == pdf
    again = post_api(pat, FIELDS, pdf)
    assert again.status_code == 409 and again.json()["negotiated"]["id"] == body["id"]
    refused = post_api(pat, {"org_id": "org-acme", "signed_on": "2026-13-01"}, b"%PDF-1.7")
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"version_label", "signed_on",
                                                               "file"}
    assert post_api(pat, FIELDS, None).status_code == 422
    # no CSRF header: refused before anything is read
    no_csrf = pat.http.post(pat.app_url + API + "/support/dpa/negotiated", data=FIELDS,
                            files={"file": ("dpa.pdf", plain_pdf("other"))}, timeout=10)
    assert no_csrf.status_code == 403


@pytest.mark.backends("sqlite")
@pytest.mark.settings(SELFSERVICE_DPA_NEGOTIATED_MAX_BYTES=200 * 1024)
def test_the_upload_has_its_own_body_limit(app: Flask, make_person: Any) -> None:
    pat = signed_in(make_person, "pat@example.com")
    fits = post_api(pat, FIELDS, padded_pdf(190))
    assert fits.status_code == 201, fits.text[:300]
    too_long = post_api(pat, FIELDS, padded_pdf(300))  # past 64 KiB + 200 KiB: unread
    assert too_long.status_code == 413
    between = post_api(pat, {**FIELDS, "version_label": "b"}, padded_pdf(220))
    assert between.status_code == 422 and "the most is 204,800" in between.text
    # the other routes keep the usual limit
    request_body = {"type": "correction", "details": {"description": "x" * 70_000}}
    assert pat.api("POST", API + "/requests", json=request_body).status_code == 413


@pytest.mark.backends("sqlite")
def test_support_gets_403_and_customers_404(app: Flask, make_person: Any) -> None:
    sam = signed_in(make_person, "sam@example.com")
    assert sam.get(PAGE).status_code == 403
    assert sam.api("GET", API + "/support/dpa", csrf=False).status_code == 403
    assert post_api(sam, FIELDS, plain_pdf()).status_code == 403
    token = csrf_token(sam.get("/privacy/support").text)
    assert post_page(sam, FIELDS, plain_pdf(), token=token).status_code == 403
    for email in ("bob@example.com", "carol@example.com", "alice@example.com"):
        customer = signed_in(make_person, email)
        assert customer.get(PAGE).status_code == 404, email
        assert customer.api("GET", API + "/support/dpa", csrf=False).status_code == 404
        answer = post_api(customer, FIELDS, plain_pdf())
        assert answer.status_code == 404 and answer.json()["title"] == "Not Found", email
        token = csrf_token(customer.get("/privacy/requests").text)
        assert post_page(customer, FIELDS, plain_pdf(), token=token).status_code == 404
    anonymous = requests.post(app.config["SELFSERVICE_PUBLIC_URL"] + API
                              + "/support/dpa/negotiated", timeout=10,
                              files={"file": ("dpa.pdf", plain_pdf())})
    assert anonymous.status_code == 404
