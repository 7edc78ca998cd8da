"""The regulator's numbers match what SQL computes on its own from a spread of requests with
known dates (answered early and late, extended, denied in whole and in part, open past their
deadline, canceled, outside the period), as JSON, as CSV and on the page, on both databases."""

from __future__ import annotations

import csv
import io
import math
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from selfservice.config import ConfigError, apply_defaults
from selfservice.models import PSEUDONYM_PREFIX, STATUTORY_TYPES, PrivacyRequest

from .helpers import Person

API = "/privacy/api/v1/support/metrics"
RECORDS = "/privacy/api/v1/support/records"
START = datetime(2026, 3, 1, tzinfo=UTC)
#: (type, status, received days after START, answered days after receipt, due days after
#:  receipt, extended due days, decision_code)
SPREAD: list[tuple[str, str, float, float | None, int, int | None, str | None]] = [
    ("correction", "completed", 0, 3.5, 30, None, None),
    ("correction", "denied", 1, 10, 30, None, "identity_not_verified"),
    ("correction", "completed", 2, 40, 30, 90, "no_data_held"),   # in part, in time (extended)
    ("correction", "completed", 3, 35.25, 30, None, None),        # late
    ("correction", "received", 4, None, 30, None, None),          # open, overdue now
    ("correction", "canceled", 5, None, 30, None, None),          # neither
    ("export", "completed", 0.5, 0.01, 45, None, None),
    ("export", "completed", 6, 0.02, 45, None, None),
    ("export", "failed", 7, None, 45, None, None),                # unanswered, overdue now
    ("objection", "denied", 8, 44.9, 45, None, "excessive"),
    ("objection", "in_progress", 9, None, 4000, None, None),      # open, not yet due
    ("appeal", "denied", 10, 59, 60, None, "other"),
    ("deletion", "completed", 11, 31, 30, 61, None),
    ("correction", "completed", 40, 1, 30, None, None),           # after the period
    ("correction", "completed", -1, 1, 30, None, None),           # before it
    # an organisation asking for changes to the DPA: a contract negotiation, not a right of
    # the privacy laws, so neither in the numbers nor in the record
    ("dpa", "completed", 12, 5, 30, None, None),
]
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


def seed(app: Flask) -> None:
    with app.extensions["selfservice"].db.transaction() as session:
        for index, (kind, status, received, answered, due, extended, code) in enumerate(SPREAD):
            created = START + timedelta(days=received)
            done = created + timedelta(days=answered) if answered is not None else None
            session.add(PrivacyRequest(
                reference=f"DR-TEST-{index:04d}", account_id=f"acct-metrics-{index}",
                type=kind, status=status, jurisdiction="gdpr", details={},
                created_at=created, updated_at=done or created,
                due_at=created + timedelta(days=due),
                extended_due_at=created + timedelta(days=extended) if extended else None,
                completed_at=done, decision_code=code, progress=0, step="", downloads=0))


def from_sql(app: Flask) -> dict[str, dict[str, Any]]:
    """The numbers, computed with SQL alone (the percentiles from the durations SQL lists)."""
    now = datetime.now(UTC)
    start, end = START, datetime(2026, 4, 1, tzinfo=UTC)
    table = PrivacyRequest.__table__
    deadline = sa.func.coalesce(table.c.extended_due_at, table.c.due_at)
    answered = table.c.status.in_(["completed", "denied"])
    late = sa.or_(sa.and_(answered, table.c.completed_at > deadline),
                  sa.and_(~answered, table.c.status != "canceled", deadline < now))
    counts = sa.select(
        table.c.type, sa.func.count().label("received"),
        sa.func.sum(sa.case((table.c.status == "completed", 1), else_=0)).label("completed"),
        sa.func.sum(sa.case((sa.or_(table.c.status == "denied",
                                    sa.and_(table.c.status == "completed",
                                            table.c.decision_code.is_not(None))), 1),
                            else_=0)).label("denied"),
        sa.func.sum(sa.case((late, 1), else_=0)).label("overdue"),
    ).where(table.c.created_at >= start, table.c.created_at < end,
            table.c.type != "dpa").group_by(table.c.type)
    durations = sa.select(table.c.type, table.c.created_at, table.c.completed_at).where(
        table.c.created_at >= start, table.c.created_at < end, answered,
        table.c.type != "dpa")
    with app.extensions["selfservice"].db.read() as session:
        found = {row.type: {"type": row.type, "received": row.received,
                            "completed": int(row.completed), "denied": int(row.denied),
                            "overdue": int(row.overdue), "days": []}
                 for row in session.execute(counts)}
        for row in session.execute(durations):
            days = (row.completed_at - row.created_at).total_seconds() / 86400
            found[row.type]["days"].append(days)
    result = {}
    for kind in STATUTORY_TYPES:
        item = found.get(kind.value, {"type": kind.value, "received": 0, "completed": 0,
                                      "denied": 0, "overdue": 0, "days": []})
        days = sorted(item.pop("days"))
        item["median_days"] = round(statistics.median(days), 2) if days else None
        item["p95_days"] = round(days[math.ceil(len(days) * 0.95) - 1], 2) if days else None
        result[kind.value] = item
    return result


def test_the_numbers_match_sql_as_json_csv_and_on_the_page(
        app: Flask, backend: str, make_person: Any) -> None:
    seed(app)
    expected = from_sql(app)
    # the spread covers every case: spot-check SQL's view against the table above
    assert expected["correction"] == {"type": "correction", "received": 6, "completed": 3,
                                      "denied": 2, "overdue": 2, "median_days": 22.62,
                                      "p95_days": 40.0}
    assert expected["export"]["overdue"] == 1 and expected["objection"]["denied"] == 1
    assert expected["deletion"]["overdue"] == 0  # answered late, but within the extension
    sam = make_person()
    sam.login("sam@example.com")
    response = sam.api("GET", API, csrf=False, params=PERIOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-03-01T00:00:00+00:00",
                                          "2026-04-01T00:00:00+00:00")
    assert {row["type"]: row for row in body["types"]} == expected
    assert [row["type"] for row in body["types"]] == list(STATUTORY_TYPES)
    assert "dpa" not in [row["type"] for row in body["types"]]

    as_csv = sam.api("GET", API, csrf=False, params={**PERIOD, "format": "csv"})
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert "request-metrics-2026-03-01-to-2026-03-31.csv" in as_csv.headers[
        "Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["type"] for row in rows] == list(STATUTORY_TYPES)
    for row in rows:
        wanted = expected[row["type"]]
        for column, value in row.items():
            number = wanted[column]
            assert value == ("" if number is None else str(number)), (row["type"], column)

    page = sam.get("/privacy/support/metrics?from=2026-03-01&to=2026-03-31").text
    assert 'id="metrics-csv"' in page and "format=csv" in page
    assert ('<tr data-type="correction">' in page
            and '<td data-label="Median days">22.62</td>' in page)


def test_a_period_outside_the_calendar_is_refused(app: Flask, backend: str,
                                                  person: Person) -> None:
    person.login("pat@example.com")
    for params, field in (({"from": "2026-02-30"}, "from"), ({"to": "tomorrow"}, "to"),
                          ({"from": "2026-04-01", "to": "2026-03-01"}, "from"),
                          ({"format": "xlsx"}, "format")):
        response = person.api("GET", API, csrf=False, params=params)
        assert response.status_code == 422, params
        assert [e["field"] for e in response.json()["errors"]] == [field]
    page = person.http.get(person.app_url + "/privacy/support/metrics?from=x", timeout=10)
    assert page.status_code == 400 and 'id="metrics-error"' in page.text


def test_the_record_of_requests_and_responses_lists_every_request_of_the_period(
        app: Flask, backend: str, make_person: Any) -> None:
    seed(app)
    with app.extensions["selfservice"].db.transaction() as session:
        # one request came by e-mail and was denied with a message; one was an erased
        # account's; one appeals the denial
        denied = session.scalar(sa.select(PrivacyRequest)
                                .where(PrivacyRequest.reference == "DR-TEST-0001"))
        denied.channel, denied.reason = "email", "We could not confirm it was you."
        erased = session.scalar(sa.select(PrivacyRequest)
                                .where(PrivacyRequest.reference == "DR-TEST-0002"))
        erased.account_id = f"{PSEUDONYM_PREFIX}0123abcd"
        appeal = session.scalar(sa.select(PrivacyRequest)
                                .where(PrivacyRequest.reference == "DR-TEST-0011"))
        appeal.appeal_of = denied.id
    pat = make_person()
    pat.login("pat@example.com")
    response = pat.api("GET", RECORDS, csrf=False, params=PERIOD)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "request-records-2026-03-01-to-2026-03-31.csv" in response.headers[
        "Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    inside = [i for i, row in enumerate(SPREAD) if 0 <= row[2] < 31 and row[0] != "dpa"]
    # every request received in the period, oldest first, and nothing else
    assert [row["reference"] for row in rows] == [
        f"DR-TEST-{i:04d}" for i in sorted(inside, key=lambda i: SPREAD[i][2])]
    by_reference = {row["reference"]: row for row in rows}
    first = by_reference["DR-TEST-0000"]
    assert (first["type"], first["response"], first["denial_reason_code"]) == (
        "correction", "complied", "")
    assert first["received_at"] == "2026-03-01T00:00:00+00:00"
    assert first["responded_at"] == "2026-03-04T12:00:00+00:00"
    no = by_reference["DR-TEST-0001"]
    assert (no["channel"], no["response"], no["denial_reason_code"], no["denial_reason"]) == (
        "email", "denied", "identity_not_verified", "We could not confirm it was you.")
    part = by_reference["DR-TEST-0002"]
    assert (part["response"], part["denial_reason_code"], part["account_erased"]) == (
        "complied in part", "no_data_held", "yes")
    assert part["extended_due_at"] != "" and first["extended_due_at"] == ""
    assert by_reference["DR-TEST-0004"]["response"] == "open"
    assert by_reference["DR-TEST-0004"]["responded_at"] == ""
    assert by_reference["DR-TEST-0005"]["response"] == "withdrawn"
    assert by_reference["DR-TEST-0011"]["appeal_of"] == "DR-TEST-0001"
    assert {row["account_erased"] for row in rows} == {"yes", "no"}
    assert "acct-metrics" not in response.text  # the record names no account
    assert ",dpa," not in response.text  # nor the organisation's DPA negotiation
    # the privacy officer's metrics page links to it; support gets neither
    page = pat.get("/privacy/support/metrics?from=2026-03-01&to=2026-03-31").text
    assert 'id="records-csv"' in page
    sam = make_person()
    sam.login("sam@example.com")
    assert sam.api("GET", RECORDS, csrf=False, params=PERIOD).status_code == 403
    assert 'id="records-csv"' not in sam.get("/privacy/support/metrics").text
    alice = make_person()
    alice.login("alice@example.com")
    assert alice.api("GET", RECORDS, csrf=False, params=PERIOD).status_code == 404


def test_the_proof_and_the_record_cannot_be_kept_shorter_than_24_months() -> None:
    with pytest.raises(ConfigError, match="at least 730"):
        apply_defaults({"SELFSERVICE_ERASED_PROOF_RETENTION_DAYS": 729})
    config: dict[str, Any] = {"SELFSERVICE_ERASED_PROOF_RETENTION_DAYS": 730}
    apply_defaults(config)
    assert config["SELFSERVICE_ERASED_PROOF_RETENTION_DAYS"] == 730
