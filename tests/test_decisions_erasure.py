"""A privacy officer confirms a deletion's manual step from the console's API: the erasure
completes, and the customer's audit stream records who did it, with the role and the note."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from selfservice.models import AuditEvent, PrivacyRequest

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
