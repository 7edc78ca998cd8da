"""Erasing an organisation admin who asked for changes to the DPA: the text they wrote and the
staff notes on it go with their other requests (the request's record stays, under the
deletion's pseudonym, still the organisation's); the negotiated DPA it led to is the
organisation's contract and stays, for the other admins to download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from selfservice.models import DpaNegotiated, PrivacyRequest, RequestNote
from selfservice.services import dpa_negotiated, privacy_requests, support_actions

from .dpa_pdfs import plain_pdf
from .test_decisions import signed_in
from .test_erasure import app_config, confirm, host, identity, run_jobs, state

__all__ = ["app_config", "host"]  # the erasure tests' fixtures, used here too
DMITRI = "acct-dmitri"


def test_erasure_takes_the_changes_text_and_leaves_the_negotiated_dpa(
        host: Flask, backend: str, make_person: Any, tmp_path: Path) -> None:
    pat = identity(host, "acct-pat")
    with host.app_context():
        asked, _ = privacy_requests.create(identity(host, DMITRI), "dpa", details={
            "changes": "Dmitri Volkov (+31 6 1234 5678) asks: clause 9, yearly audits"})
        support_actions.add_note(pat, asked.reference, "Called Dmitri about clause 9")
        done = dpa_negotiated.upload(pat, "org-acme", plain_pdf(), "Acme AI DPA 2026-11",
                                     "2026-11-20", asked.reference)
    assert done.request is not None and done.request.status == "completed"
    deletion = confirm(host, DMITRI)
    run_jobs(host)
    with state(host).db.read() as session:
        assert session.get(PrivacyRequest, deletion.id).status == "completed"
        kept = session.get(PrivacyRequest, asked.id)
        notes = session.scalars(sa.select(RequestNote)
                                .where(RequestNote.request_id == asked.id)).all()
        negotiated = session.scalars(sa.select(DpaNegotiated)).all()
    assert kept is not None and kept.details == {} and notes == []
    assert kept.account_id.startswith("erased-") and kept.org_id == "org-acme"
    assert kept.type == "dpa" and kept.status == "completed"
    assert [row.request_reference for row in negotiated] == [asked.reference]
    bob = signed_in(make_person, "bob@example.com")
    [entry] = bob.api("GET", "/privacy/api/v1/dpa", csrf=False).json()["negotiated"]
    assert bob.api("GET", entry["download_url"], csrf=False).content == negotiated[0].pdf
