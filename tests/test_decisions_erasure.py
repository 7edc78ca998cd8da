"""A privacy officer confirms a deletion's manual step from the console's API: the erasure
completes, and the customer's audit stream records who did it, with the role and the note."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from selfservice.models import AuditEvent, PrivacyRequest
from selfservice.services import privacy_requests

from . import erasure_app
from .helpers import Person
from .test_erasure import CAROL, app_config, confirm, host, row, run_jobs, state, steps

__all__ = ["app_config", "host"]  # the erasure tests' fixtures, used here too
SUPPORT = "/privacy/api/v1/support/requests"


def test_a_manual_step_is_confirmed_through_the_api_and_the_erasure_completes(
        host: Flask, backend: str, make_person: Any) -> None:
    state(host).extension.register_source(erasure_app.DataSource(
        name="paper_files", description="Signed paper forms in the archive room",
        purpose="Contracts", legal_basis="contract", retention="As long as the account exists",
        schema={"type": "object", "properties": {}}, export=lambda subject: iter(())))
    request = confirm(host, CAROL)
    run_jobs(host)
    assert row(host, PrivacyRequest, request.id).step.startswith("Waiting for a privacy")
    url = f"{SUPPORT}/{request.reference}/deletion-steps/paper_files/confirm"
    sam: Person = make_person()
    sam.login("sam@example.com")
    assert sam.api("POST", url, json={"note": "Shredded"}).status_code == 403
    pat: Person = make_person()
    pat.login("pat@example.com")
    wrong = pat.api("POST", url.replace("paper_files", "inference_logs"), json={})
    assert wrong.status_code == 409 and "not a manual step" in wrong.json()["detail"]
    response = pat.api("POST", url, json={"note": "Shredded, certificate 4411"})
    assert response.status_code == 200, response.text
    assert response.json()["step"] == "paper_files" and response.json()["status"] == "done"
    again = pat.api("POST", url, json={})
    assert again.status_code == 409 and "confirmed already" in again.json()["detail"]
    run_jobs(host)
    assert row(host, PrivacyRequest, request.id).status == "completed"
    step = steps(host, request.id)["paper_files"]
    assert (step.note, step.confirmed_by) == ("Shredded, certificate 4411", "acct-pat")
    with state(host).db.read() as session:
        recorded = session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "staff.step_confirmed")).all()
    assert [(e.details["role"], e.details["reason"], e.details["step"]) for e in recorded] == [
        ("privacy_officer", "Shredded, certificate 4411", "paper_files")]


def test_an_erased_accounts_requests_are_found_by_reference_only(
        host: Flask, backend: str, make_person: Any) -> None:
    carol = state(host).extension.load_identity(CAROL)
    with host.app_context():
        asked, _ = privacy_requests.create(carol, "correction",
                                           details={"description": "My title is wrong"})
    request = confirm(host, CAROL)
    run_jobs(host)
    assert row(host, PrivacyRequest, request.id).status == "completed"
    for email in ("sam@example.com", "pat@example.com"):
        staff: Person = make_person()
        staff.login(email)
        for reference, kind in ((request.reference, "deletion"), (asked.reference,
                                                                  "correction")):
            # the status in one step, lower case and spaces forgiven
            found = staff.api("GET", SUPPORT, csrf=False,
                              params={"q": f" {reference.lower()} "}).json()["requests"]
            assert [(r["reference"], r["type"], r["account"]["erased"]) for r in found] == [
                (reference, kind, True)], email
            assert found[0]["account"]["email_masked"] == "Erased account"
            detail = staff.api("GET", f"{SUPPORT}/{reference}", csrf=False).json()
            assert detail["account"]["erased"] is True and detail["notes"] == []
            page = staff.get(f"/privacy/support/requests/{reference}").text
            assert "Erased account" in page and "carol" not in page.lower()
        deletion_detail = staff.api("GET", f"{SUPPORT}/{request.reference}", csrf=False).json()
        assert deletion_detail["status"] == "completed"
        assert deletion_detail["certificate"] is not None
        # never by the address the account had, and there is nobody left to reveal
        assert staff.api("GET", SUPPORT, csrf=False,
                         params={"q": "carol@example.com"}).json()["requests"] == []
        reveal = staff.api("POST", f"{SUPPORT}/{asked.reference}/reveal",
                           json={"reason": "Who was it?"})
        assert reveal.status_code == 404
