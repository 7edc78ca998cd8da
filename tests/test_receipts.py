"""Consent receipts: downloaded by their owner, verified offline against the published key,
and refused when anything in them was changed."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask

from selfservice import receipts

from .helpers import Person


def opt_in_by_api(person: Person) -> dict[str, Any]:
    response = person.api("PATCH", "/privacy/api/v1/preferences", json={"training_opt_in": True})
    assert response.status_code == 200, response.text
    events = person.api("GET", "/privacy/api/v1/consent-events", csrf=False).json()["events"]
    return events[-1]  # type: ignore[no-any-return]


def download(person: Person, event: dict[str, Any]) -> dict[str, Any]:
    response = person.http.get(person.app_url + event["receipt_url"], timeout=10)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["Content-Disposition"]
    return response.json()  # type: ignore[no-any-return]


def published_keys(person: Person) -> dict[str, Any]:
    anonymous = Person(person.app_url, person.issuer)
    response = anonymous.http.get(person.app_url + "/privacy/api/v1/consent-receipts/jwks.json",
                                  timeout=10)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_a_receipt_verifies_with_the_published_key(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    event = opt_in_by_api(person)
    document = download(person, event)
    receipt = receipts.verify(document, published_keys(person))
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["consentReceiptID"] == event["id"]
    assert receipt["piiPrincipalId"] == "acct-alice"
    assert receipt["piiControllers"][0]["piiController"] == "EcoHash Technology LLC"
    assert receipt["publicKey"].endswith("/privacy/api/v1/consent-receipts/jwks.json")
    assert receipt["services"][0]["purposes"][0]["consentType"] == "EXPLICIT"
    ledger = receipt["ledger"]
    assert (ledger["granted"], ledger["method"], ledger["hash"], ledger["policy_version"]) == (
        True, "api", event["hash"], event["policy_version"])


@pytest.mark.parametrize("change", [
    lambda d: d["receipt"]["ledger"].__setitem__("granted", False),
    lambda d: d["receipt"].__setitem__("piiPrincipalId", "acct-mallory"),
    lambda d: d.__setitem__("jws", d["jws"][:-4] + ("AAAA" if d["jws"][-4:] != "AAAA"
                                                       else "BBBB")),
])
@pytest.mark.backends("sqlite")
def test_an_altered_receipt_fails(app: Flask, person: Person, change: Any) -> None:
    person.login("alice@example.com")
    document = download(person, opt_in_by_api(person))
    keys = published_keys(person)
    receipts.verify(document, keys)
    altered = copy.deepcopy(document)
    change(altered)
    with pytest.raises(receipts.InvalidReceipt):
        receipts.verify(altered, keys)


@pytest.mark.backends("sqlite")
def test_a_receipt_signed_with_another_key_fails(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    document = download(person, opt_in_by_api(person))
    stranger = receipts.load_private_key(receipts.generate_pem())
    forged = dict(document, jws=stranger.sign(receipts.canonical(document["receipt"])))
    with pytest.raises(receipts.InvalidReceipt, match="not in this key set"):
        receipts.verify(forged, published_keys(person))


@pytest.mark.backends("sqlite")
def test_the_offline_verifier_needs_only_the_files(app: Flask, person: Person,
                                                   tmp_path: Path) -> None:
    person.login("alice@example.com")
    document = download(person, opt_in_by_api(person))
    receipt_file, keys_file = tmp_path / "receipt.json", tmp_path / "jwks.json"
    receipt_file.write_text(json.dumps(document))
    keys_file.write_text(json.dumps(published_keys(person)))
    command = [sys.executable, "-m", "selfservice.receipts", "verify", str(receipt_file),
               str(keys_file)]
    ok = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("valid: receipt")
    document["receipt"]["ledger"]["granted"] = False
    receipt_file.write_text(json.dumps(document))
    bad = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "INVALID" in bad.stderr


def test_someone_elses_receipt_is_404(app: Flask, make_person: Any) -> None:
    alice, carol = make_person(), make_person()
    alice.login("alice@example.com")
    event = opt_in_by_api(alice)
    carol.login("carol@example.com")
    response = carol.http.get(carol.app_url + event["receipt_url"], timeout=10)
    assert response.status_code == 404
    assert carol.http.get(carol.app_url + "/privacy/api/v1/consent-events/nope/receipt",
                          timeout=10).status_code == 404
    anonymous = make_person()
    assert anonymous.http.get(anonymous.app_url + event["receipt_url"],
                              timeout=10).status_code == 401


@pytest.mark.backends("sqlite")
def test_retired_keys_stay_published_and_a_key_file_is_made_once(
        app_config: dict[str, Any], tmp_path: Path) -> None:
    from demo.app import create_app
    from selfservice.services import consent_receipts as receipt_service

    old = receipts.load_private_key(receipts.generate_pem())
    old_public = old.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    config = dict(app_config, SELFSERVICE_RECEIPT_KEY=None,
                  SELFSERVICE_RECEIPT_RETIRED_KEYS=[old_public])
    first = create_app(config)
    first.instance_path = str(tmp_path / "keys")
    first.extensions["selfservice"].instance_path = first.instance_path
    with first.app_context():
        keys = receipt_service.published_keys()
    made = Path(first.instance_path) / "selfservice-receipt-key.pem"
    assert made.exists() and oct(made.stat().st_mode & 0o777) == "0o600"
    assert [k["kid"] for k in keys["keys"]][1:] == [old.kid]
    second = create_app(dict(config, SELFSERVICE_RECEIPT_KEY=str(made)))
    with second.app_context():
        assert receipt_service.published_keys()["keys"][0]["kid"] == keys["keys"][0]["kid"]
