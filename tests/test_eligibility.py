"""The training pipeline's question: may these accounts' content be used for training as of
a time? Exact answers from the ledger, behind a service token, with strict input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from selfservice.models import ConsentMethod, OrgPolicy
from selfservice.services import consent
from selfservice.services.org_training_policy import set_org_policy

from .helpers import LiveServer, Person

TOKEN = {"Authorization": "Bearer demo-pipeline-token"}
PATH = "/privacy/api/v1/training-eligibility"
#: how long a moment takes to settle in these tests (the default is 2 s): a microsecond, so
#: every moment a test took before it asks has settled (one test shows the wait itself)
SETTLE = 0.000_001


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return dict(app_config, SELFSERVICE_ELIGIBILITY_SETTLE=SETTLE,
                SELFSERVICE_SERVICE_TOKENS={"training-pipeline": "demo-pipeline-token"})


def ask(live_server: LiveServer, body: Any, headers: dict[str, str] | None = None
        ) -> requests.Response:
    return requests.post(live_server.url + PATH, json=body, timeout=20,
                         headers=TOKEN if headers is None else headers)


def change(app: Flask, account_id: str, **changes: bool) -> datetime:
    """Make a change and return a moment after it (and before the next one)."""
    with app.app_context():
        who = app.extensions["selfservice"].extension.load_identity(account_id)
        consent.change_preferences(who, changes, method=ConsentMethod.API)
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_answers_as_of_before_between_and_after_changes(app: Flask,
                                                        live_server: LiveServer) -> None:
    before = datetime.now(UTC)
    opted_in = change(app, "acct-alice", training_opt_in=True)
    withdrawn = change(app, "acct-alice", training_opt_in=False)
    again = change(app, "acct-alice", training_opt_in=True)
    ids = ["acct-alice", "acct-bob", "acct-nobody"]
    answers = {}
    for name, moment in [("before", before), ("opted in", opted_in),
                         ("withdrawn", withdrawn), ("again", again)]:
        response = ask(live_server, {"account_ids": ids, "as_of": iso(moment)})
        assert response.status_code == 200, response.text
        body = response.json()
        assert datetime.fromisoformat(body["as_of"]) == moment
        answers[name] = body["eligible"]
    assert [answers[n]["acct-alice"] for n in ("before", "opted in", "withdrawn", "again")] == [
        False, True, False, True]
    assert all(a["acct-bob"] is False and a["acct-nobody"] is False for a in answers.values())
    # without as_of: now
    now = ask(live_server, {"account_ids": ["acct-alice"]})
    assert now.json()["eligible"] == {"acct-alice": True}
    # the other preferences never make anyone eligible
    change(app, "acct-bob", marketing_emails=True)
    assert ask(live_server, {"account_ids": ["acct-bob"], "as_of": None}).json()[
        "eligible"] == {"acct-bob": False}


def test_the_organisations_policy_counts(app: Flask, live_server: LiveServer) -> None:
    change(app, "acct-carol", training_opt_in=True)
    with app.app_context():
        bob = app.extensions["selfservice"].extension.load_identity("acct-bob")
        set_org_policy(bob, OrgPolicy.OPTED_OUT, method=ConsentMethod.API)
    locked = datetime.now(UTC)
    body = ask(live_server, {"account_ids": ["acct-carol", "acct-bob"],
                             "as_of": iso(locked)}).json()
    assert body["eligible"] == {"acct-carol": False, "acct-bob": False}
    with app.app_context():
        set_org_policy(bob, OrgPolicy.OPTED_IN, method=ConsentMethod.API)
    body = ask(live_server, {"account_ids": ["acct-carol", "acct-bob"]}).json()
    assert body["eligible"] == {"acct-carol": True, "acct-bob": True}
    # the past does not change
    body = ask(live_server, {"account_ids": ["acct-carol"], "as_of": iso(locked)}).json()
    assert body["eligible"] == {"acct-carol": False}


def test_unknown_ids_are_false_and_10000_ids_are_answered(app: Flask,
                                                          live_server: LiveServer) -> None:
    change(app, "acct-alice", training_opt_in=True)
    ids = [f"acct-unknown-{n}" for n in range(9999)] + ["acct-alice"]
    response = ask(live_server, {"account_ids": ids, "as_of": None})
    assert response.status_code == 200
    eligible = response.json()["eligible"]
    assert len(eligible) == 10000
    assert [k for k, v in eligible.items() if v] == ["acct-alice"]


def test_the_service_token_is_required(app: Flask, live_server: LiveServer,
                                       person: Person) -> None:
    body = {"account_ids": ["acct-alice"], "as_of": None}
    missing = ask(live_server, body, headers={})
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = ask(live_server, body, headers={"Authorization": "Bearer not-the-pipeline-token"})
    assert wrong.status_code == 401
    assert wrong.headers["Content-Type"] == "application/problem+json"
    # a logged-in customer's session is not a service token either
    person.login("alice@example.com")
    assert person.api("POST", PATH, json=body).status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"account_ids": [f"acct-{n}" for n in range(11000)], "as_of": None}, "account_ids"),
    ({"account_ids": ["acct-alice"], "as_of": "last March"}, "as_of"),
    ({"account_ids": ["acct-alice"], "as_of": "2026-03-01T00:00:00"}, "as_of"),
    ({"account_ids": ["acct-alice"], "as_of": 1772323200}, "as_of"),
    ({"account_ids": ["acct-alice"], "as_of": "2999-01-01T00:00:00Z"}, "as_of"),
    ({"account_ids": ["acct-alice"], "as_of": None, "include_orgs": True}, "include_orgs"),
    ({"account_ids": "acct-alice"}, "account_ids"),
    ({"account_ids": ["acct-alice", 7]}, "account_ids"),
    ({"account_ids": ["x" * 65]}, "account_ids"),
    ({"account_ids": ["acct-\u0000alice"]}, "account_ids"),
    ({"account_ids": ["acct-\ud800"]}, "account_ids"),
    ({"account_ids": [["acct-alice"]]}, "account_ids"),
    ({"account_ids": ["acct-alice"], "as_of": "0001-01-01T00:00:00+01:00"}, "as_of"),
    ({"account_ids": ["acct-alice"], "as_of": ["2026-03-01T00:00:00Z"]}, "as_of"),
    (["acct-alice"], "body"),
])
def test_bad_input_is_a_clear_422(app: Flask, live_server: LiveServer, body: Any,
                                  field: str) -> None:
    response = ask(live_server, body)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_moment_is_answered_once_it_has_settled(app: Flask, live_server: LiveServer) -> None:
    app.config["SELFSERVICE_ELIGIBILITY_SETTLE"] = 60.0
    change(app, "acct-alice", training_opt_in=True)
    just_now = datetime.now(UTC)
    response = ask(live_server, {"account_ids": ["acct-alice"], "as_of": iso(just_now)})
    assert response.status_code == 422
    assert "in the past" in response.json()["errors"][0]["message"]
    asked = datetime.now(UTC)
    answered = ask(live_server, {"account_ids": ["acct-alice"], "as_of": None}).json()
    minute, settled = timedelta(seconds=60), datetime.fromisoformat(answered["as_of"])
    assert asked - minute <= settled <= datetime.now(UTC) - minute
    assert answered["eligible"] == {"acct-alice": False}  # the change has not settled yet
    # a minute on the moment has settled: the same as a settling window a minute shorter
    app.config["SELFSERVICE_ELIGIBILITY_SETTLE"] = SETTLE
    assert ask(live_server, {"account_ids": ["acct-alice"],
                             "as_of": iso(just_now)}).json()["eligible"] == {"acct-alice": True}


def test_an_event_counts_from_its_own_moment(app: Flask, live_server: LiveServer) -> None:
    change(app, "acct-alice", training_opt_in=True)
    with app.app_context():
        events, _ = consent.list_events("acct-alice")
    at = events[-1].at
    body = ask(live_server, {"account_ids": ["acct-alice"], "as_of": iso(at)}).json()
    assert body["eligible"] == {"acct-alice": True}
    earlier = at - timedelta(microseconds=1)
    body = ask(live_server, {"account_ids": ["acct-alice"], "as_of": iso(earlier)}).json()
    assert body["eligible"] == {"acct-alice": False}


def test_the_cli_writes_the_eligible_ids_as_of_a_time(app: Flask, tmp_path: Path) -> None:
    change(app, "acct-alice", training_opt_in=True)
    middle = change(app, "acct-carol", training_opt_in=True)
    change(app, "acct-alice", training_opt_in=False)
    runner = app.test_cli_runner()
    output = tmp_path / "eligible.txt"
    result = runner.invoke(args=["selfservice", "consent", "eligible", "--as-of", iso(middle),
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text().splitlines() == ["acct-alice", "acct-carol"]
    now = runner.invoke(args=["selfservice", "consent", "eligible", "--output", str(output)])
    assert now.exit_code == 0
    assert output.read_text().splitlines() == ["acct-carol"]
    bad = runner.invoke(args=["selfservice", "consent", "eligible", "--as-of", "yesterday",
                              "--output", str(output)])
    assert bad.exit_code != 0
    assert output.read_text().splitlines() == ["acct-carol"]  # untouched
    assert list(tmp_path.glob(".eligible-*")) == []


def test_as_of_a_time_before_any_event_is_false_for_everyone(app: Flask,
                                                             live_server: LiveServer) -> None:
    change(app, "acct-alice", training_opt_in=True)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    body = ask(live_server, {"account_ids": ["acct-alice"], "as_of": iso(long_ago)}).json()
    assert body["eligible"] == {"acct-alice": False}
