"""Privacy preferences: defaults, the informed training opt-in, withdrawal, the JSON API,
organisation policies and Global Privacy Control, through the real SSO login."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from devtools.mailcapture import MailCapture
from selfservice.models import ConsentEvent, PrivacyPreferences
from selfservice.services import consent, eligibility, outbox

from .helpers import Person, forms_of

OFF = {"training_opt_in": False, "training_locked_by_org": False, "marketing_emails": False,
       "limit_sensitive_data": False, "do_not_sell_or_share": False}
VERSION = "2026-05-08"


def events_of(app: Flask, account_id: str) -> list[ConsentEvent]:
    with app.app_context(), app.extensions["selfservice"].db.transaction() as session:
        return list(session.scalars(sa.select(ConsentEvent)
                                    .where(ConsentEvent.subject_id == account_id)
                                    .order_by(ConsentEvent.seq)))


def prefs(person: Person) -> dict[str, Any]:
    response = person.api("GET", "/privacy/api/v1/preferences", csrf=False)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def submit(person: Person, page: str, action: str | None = None, **fields: Any) -> Any:
    """Fill and post a form of a page (the one posting to ``action``, else the page's own), as
    a browser without JavaScript would."""
    html = person.get(page)
    forms = [f for f in forms_of(html.text) if f["method"] == "post"
             and f["action"].endswith(action or page)]
    assert len(forms) == 1, forms
    form = forms[0]
    data = {k: v for k, v in form["fields"].items()
            if k in ("csrf_token", "policy_version", "head")}  # the hidden ones
    data.update({k: v for k, v in fields.items() if v is not None})
    response = person.http.post(person.app_url + form["action"], data=data,
                                allow_redirects=False, timeout=10)
    return person.follow(response)


def opt_in(person: Person) -> Any:
    return submit(person, "/privacy/preferences/training", confirm="y")


def run_jobs(app: Flask) -> None:
    with app.app_context():
        outbox.work(burst=True)


def test_every_preference_is_off_by_default_for_existing_and_new_accounts(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    body = prefs(person)
    assert {k: body[k] for k in OFF} == OFF
    assert body["updated_at"] is None
    # an account the console creates after the plugin was installed
    from demo.models import Account

    with app.extensions["demo"].engine.begin() as connection:
        connection.execute(sa.insert(Account).values(
            id="acct-newcomer", email="newcomer@example.com", name="New Comer",
            billing_country="DE", created_at=datetime.now(UTC)))
    with app.app_context():
        identity = app.extensions["selfservice"].extension.load_identity("acct-newcomer")
        view = consent.get_preferences(identity)
        assert not any([view.training_opt_in, view.marketing_emails, view.limit_sensitive_data,
                        view.do_not_sell_or_share])
        assert eligibility.training_eligibility(["acct-newcomer", "acct-alice"],
                                            datetime.now(UTC)) == {
            "acct-newcomer": False, "acct-alice": False}
    page = person.get("/privacy/preferences")
    assert 'id="training-state">Not used for training' in page.text


def test_opting_in_needs_the_informed_confirmation(app: Flask, person: Person,
                                                   mailbox: MailCapture) -> None:
    person.login("alice@example.com")
    page = person.get("/privacy/preferences/training")
    for promise in ("Customer Content", "To train and improve models", "How to withdraw",
                    "one click", VERSION):
        assert promise in page.text
    refused = submit(person, "/privacy/preferences/training", confirm=None)
    assert refused.status_code == 400
    assert "Nothing was changed" in refused.text
    assert prefs(person)["training_opt_in"] is False
    assert events_of(app, "acct-alice") == []

    done = opt_in(person)
    assert done.status_code == 200 and "You opted in to model training" in done.text
    assert prefs(person)["training_opt_in"] is True
    [event] = events_of(app, "acct-alice")
    assert (event.purpose, event.granted, event.method, event.policy_version,
            event.actor_type, event.actor_id) == (
        "training", True, "console", VERSION, "account", "acct-alice")

    run_jobs(app)
    [message] = mailbox.to("alice@example.com")
    assert message["Subject"] == "You opted in to model training"
    body = message.get_content()
    assert VERSION in body and "/privacy/preferences" in body and event.id in body


def test_withdrawing_is_one_click_and_keeps_the_history(app: Flask, person: Person,
                                                        mailbox: MailCapture) -> None:
    person.login("alice@example.com")
    opt_in(person)
    page = person.get("/privacy/preferences")
    [withdraw] = [f for f in forms_of(page.text) if f["action"].endswith("/withdraw")]
    assert set(withdraw["fields"]) == {"csrf_token"}  # nothing to tick, nothing to type
    done = submit(person, "/privacy/preferences", "/withdraw")
    assert "You withdrew your consent" in done.text
    assert prefs(person)["training_opt_in"] is False
    assert [(e.granted, e.method) for e in events_of(app, "acct-alice")] == [
        (True, "console"), (False, "console")]
    run_jobs(app)
    subjects = [m["Subject"] for m in mailbox.to("alice@example.com")]
    assert sorted(subjects) == ["You opted in to model training",
                                "Your content will not be used for model training"]
    history = person.api("GET", "/privacy/api/v1/consent-events?purpose=training", csrf=False)
    assert history.status_code == 200
    assert [e["granted"] for e in history.json()["events"]] == [True, False]
    assert history.json()["chain_valid"] is True


def test_the_other_preferences_save_from_a_plain_form(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    done = submit(person, "/privacy/preferences", marketing_emails="y",
                  do_not_sell_or_share="y")
    assert "Your choices are saved" in done.text
    body = prefs(person)
    assert (body["marketing_emails"], body["limit_sensitive_data"],
            body["do_not_sell_or_share"], body["training_opt_in"]) == (True, False, True, False)
    assert sorted(e.purpose for e in events_of(app, "acct-alice")) == [
        "do_not_sell_or_share", "marketing_emails"]
    # a form without its CSRF token changes nothing
    response = person.http.post(person.app_url + "/privacy/preferences",
                                data={"limit_sensitive_data": "y"}, timeout=10)
    assert response.status_code == 400
    assert prefs(person)["limit_sensitive_data"] is False


def test_a_form_from_a_stale_tab_does_not_undo_a_later_change(app: Flask,
                                                               person: Person) -> None:
    person.login("alice@example.com")
    stale = forms_of(person.get("/privacy/preferences").text)
    [form] = [f for f in stale if f["action"].endswith("/privacy/preferences")]
    # meanwhile, in another tab: marketing e-mails on
    assert person.api("PATCH", "/privacy/api/v1/preferences",
                      json={"marketing_emails": True}).status_code == 200
    # the stale tab saves with marketing unticked
    response = person.http.post(person.app_url + form["action"], timeout=10, data={
        "csrf_token": form["fields"]["csrf_token"], "head": form["fields"]["head"],
        "do_not_sell_or_share": "y"})
    assert response.status_code == 409
    assert "changed elsewhere" in response.text
    body = prefs(person)
    assert body["marketing_emails"] is True and body["do_not_sell_or_share"] is False


def test_the_api_changes_preferences_and_records_the_policy_version(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    response = person.api("PATCH", "/privacy/api/v1/preferences",
                          json={"training_opt_in": True, "marketing_emails": True})
    assert response.status_code == 200, response.text
    assert response.json()["training_opt_in"] is True
    events = events_of(app, "acct-alice")
    assert {(e.purpose, e.method, e.policy_version) for e in events} == {
        ("training", "api", VERSION), ("marketing_emails", "api", VERSION)}
    # the same values again: nothing new in the ledger
    again = person.api("PATCH", "/privacy/api/v1/preferences",
                       json={"training_opt_in": True, "policy_version": VERSION})
    assert again.status_code == 200
    assert len(events_of(app, "acct-alice")) == 2


def test_bad_preference_input_is_a_422_that_changes_nothing(app: Flask,
                                                            person: Person) -> None:
    person.login("alice@example.com")
    for body, fields in [
        ({"training_opt_in": True, "colour": "blue"}, {"colour"}),
        ({"training_opt_in": "yes"}, {"training_opt_in"}),
        ({"training_opt_in": 1, "marketing_emails": None}, {"training_opt_in",
                                                             "marketing_emails"}),
        ({"training_opt_in": True, "policy_version": "2020-01-01"}, {"policy_version"}),
        (["training_opt_in"], {"body"}),
    ]:
        response = person.api("PATCH", "/privacy/api/v1/preferences", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert {e["field"] for e in response.json()["errors"]} == fields
    no_csrf = person.api("PATCH", "/privacy/api/v1/preferences", csrf=False,
                         json={"training_opt_in": True})
    assert no_csrf.status_code == 403
    assert events_of(app, "acct-alice") == []
    assert prefs(person)["training_opt_in"] is False


def test_an_organisation_lock_shows_who_set_it_and_refuses_changes(
        app: Flask, make_person: Any) -> None:
    bob, carol, alice = make_person(), make_person(), make_person()
    bob.login("bob@example.com")
    carol.login("carol@example.com")
    alice.login("alice@example.com")
    assert carol.api("PUT", "/privacy/api/v1/org/training-policy",
                     json={"policy": "opted_out"}).status_code == 403
    assert alice.api("GET", "/privacy/api/v1/org/training-policy",
                     csrf=False).status_code == 404
    bad = bob.api("PUT", "/privacy/api/v1/org/training-policy", json={"policy": "sometimes"})
    assert bad.status_code == 422
    set_ = bob.api("PUT", "/privacy/api/v1/org/training-policy", json={"policy": "opted_out"})
    assert set_.status_code == 200, set_.text
    assert set_.json()["policy"] == "opted_out" and set_.json()["set_by"] == "acct-bob"
    seen = carol.api("GET", "/privacy/api/v1/org/training-policy", csrf=False).json()
    assert seen["policy"] == "opted_out" and seen["set_by"] == "acct-bob"

    assert prefs(carol)["training_locked_by_org"] is True
    refused = carol.api("PATCH", "/privacy/api/v1/preferences", json={"training_opt_in": True})
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/org-policy-locked")
    assert prefs(carol)["training_opt_in"] is False
    page = carol.get("/privacy/preferences")
    assert 'id="training-locked"' in page.text and "Bob" in page.text
    assert 'id="training-opt-in"' not in page.text
    # the opt-in page sends a locked member back
    assert carol.get("/privacy/preferences/training").url.endswith("/privacy/preferences")
    # the organisation page: members read, admins change
    assert 'id="save-org-policy"' not in carol.get("/privacy/organisation").text
    assert carol.http.post(carol.app_url + "/privacy/organisation", data={"policy": "opted_in"},
                           timeout=10).status_code == 403
    # carol's chain says why, with the organisation and the admin who set it
    [event] = [e for e in events_of(app, "acct-carol") if e.method == "org_policy"]
    assert (event.granted, event.actor_id, event.details["org_id"]) == (
        False, "acct-bob", "org-acme")


def test_opting_a_whole_organisation_in_needs_the_admins_confirmation(
        app: Flask, make_person: Any) -> None:
    bob, carol = make_person(), make_person()
    bob.login("bob@example.com")
    refused = submit(bob, "/privacy/organisation", policy="opted_in")
    assert refused.status_code == 400 and "needs this confirmation" in refused.text
    assert bob.api("GET", "/privacy/api/v1/org/training-policy",
                   csrf=False).json()["policy"] == "members_choose"
    done = submit(bob, "/privacy/organisation", policy="opted_in", confirm="y")
    assert "training policy is now" in done.text
    carol.login("carol@example.com")
    body = prefs(carol)
    assert body["training_opt_in"] is True and body["training_locked_by_org"] is True
    with app.app_context():
        assert eligibility.training_eligibility(["acct-carol", "acct-bob"], datetime.now(UTC)) == {
            "acct-carol": True, "acct-bob": True}


def test_leaving_the_organisation_restores_the_members_own_choice(
        app: Flask, make_person: Any) -> None:
    bob, carol = make_person(), make_person()
    carol.login("carol@example.com")
    opt_in(carol)
    bob.login("bob@example.com")
    before_lock = datetime.now(UTC)
    bob.api("PUT", "/privacy/api/v1/org/training-policy", json={"policy": "opted_out"})
    during_lock = datetime.now(UTC)
    assert prefs(carol)["training_opt_in"] is False

    team = carol.get("/console/team")
    [leave] = [f for f in forms_of(team.text) if f["action"].endswith("/leave")]
    left = carol.follow(carol.http.post(carol.app_url + leave["action"],
                                        data=leave["fields"], allow_redirects=False))
    assert "You left Acme AI" in left.text
    after_leaving = datetime.now(UTC)
    body = prefs(carol)
    assert body["training_opt_in"] is True and body["training_locked_by_org"] is False
    last = events_of(app, "acct-carol")[-1]
    assert (last.method, last.granted, last.details["member"]) == ("org_policy", True, False)
    with app.app_context():
        answers = [eligibility.training_eligibility(["acct-carol"], t)["acct-carol"]
                   for t in (before_lock, during_lock, after_leaving)]
    assert answers == [True, False, True]


def test_joining_a_locked_organisation_applies_its_policy(app: Flask, make_person: Any) -> None:
    alice, bob = make_person(), make_person()
    alice.login("alice@example.com")
    opt_in(alice)
    bob.login("bob@example.com")
    bob.api("PUT", "/privacy/api/v1/org/training-policy", json={"policy": "opted_out"})
    from demo.models import Membership

    with app.extensions["demo"].engine.begin() as connection:
        connection.execute(sa.insert(Membership).values(
            account_id="acct-alice", org_id="org-acme", role="member",
            joined_at=datetime.now(UTC)))
    with app.app_context():
        app.extensions["demo"].selfservice.membership_changed("acct-alice")
    body = prefs(alice)
    assert body["training_opt_in"] is False and body["training_locked_by_org"] is True
    # members choose again: alice's own choice is back
    bob.api("PUT", "/privacy/api/v1/org/training-policy", json={"policy": "members_choose"})
    assert prefs(alice)["training_opt_in"] is True


def test_global_privacy_control_is_honoured_once_and_shown(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    person.http.headers["Sec-GPC"] = "1"
    page = person.get("/privacy/preferences")
    assert 'id="gpc-honoured"' in page.text
    assert prefs(person)["do_not_sell_or_share"] is True
    person.get("/console")
    person.get("/privacy/preferences")
    gpc = [e for e in events_of(app, "acct-alice") if e.method == "gpc"]
    assert [(e.purpose, e.granted) for e in gpc] == [("do_not_sell_or_share", True)]
    # a new session of the same account: still recorded once
    second = Person(person.app_url, person.issuer)
    second.http.headers["Sec-GPC"] = "1"
    second.login("alice@example.com")
    second.get("/privacy/preferences")
    assert len([e for e in events_of(app, "acct-alice") if e.method == "gpc"]) == 1
    with app.app_context(), app.extensions["selfservice"].db.transaction() as session:
        row = session.get(PrivacyPreferences, "acct-alice")
        assert row is not None and row.gpc_honoured_at is not None


def test_no_gpc_header_records_nothing(app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    person.http.headers["Sec-GPC"] = "0"
    person.get("/privacy/preferences")
    assert events_of(app, "acct-alice") == []
