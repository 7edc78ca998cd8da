"""The sub-processor list and its announced changes: the list in force on any day, the changes
refused at start-up with the reason, the public page and JSON (signed out, inside the host's
layout), and an organisation's subscription to change notices: its owner and admins change it,
members only see it, anyone else gets 404 (or 401 signed out), and each change is audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from selfservice import subprocessors
from selfservice.config import ConfigError, apply_defaults
from selfservice.db import utcnow
from selfservice.models import AuditEvent, SubprocessorSubscription

from .helpers import LiveServer, Person, csrf_token
from .subprocessor_changes import ADD, PAST, SHORT, day, shown

API = "/privacy/api/v1"
SUBSCRIPTION = API + "/dpa/subprocessor-subscription"
BASE = [{"name": "Hoster", "purpose": "Hosting", "location": "EU", "transfer_mechanism": "None"},
        {"name": "Payer", "purpose": "Payments", "location": "US", "transfer_mechanism": "SCC"}]


def config(*changes: dict[str, Any], **more: Any) -> dict[str, Any]:
    settings = {"SELFSERVICE_SUBPROCESSORS": BASE,
                "SELFSERVICE_SUBPROCESSOR_CHANGES": list(changes), **more}
    apply_defaults(settings)
    return settings


def names(settings: dict[str, Any], on: str) -> list[tuple[str, str]]:
    return [(e.name, e.location)
            for e in subprocessors.listed(settings, date.fromisoformat(on))]


def test_the_list_in_force_is_the_configured_one_with_the_changes_effective_by_then() -> None:
    settings = config(
        {"id": "c-add", "action": "add", "announced_at": "2027-01-01",
         "effective_at": "2027-03-01", "name": "Mailer", "purpose": "E-mail",
         "location": "DE", "transfer_mechanism": "None", "description": "EU e-mail"},
        {"id": "c-move", "action": "change", "announced_at": "2027-01-01",
         "effective_at": "2027-02-01", "name": "Payer", "location": "EU",
         "description": "Payments move to the EU"},
        {"id": "c-drop", "action": "remove", "announced_at": "2027-02-15",
         "effective_at": "2027-04-01", "name": "Mailer", "description": "Back in-house"})
    assert names(settings, "2027-01-31") == [("Hoster", "EU"), ("Payer", "US")]
    assert names(settings, "2027-02-01") == [("Hoster", "EU"), ("Payer", "EU")]
    assert names(settings, "2027-03-01") == [("Hoster", "EU"), ("Payer", "EU"), ("Mailer", "DE")]
    assert names(settings, "2027-04-01") == [("Hoster", "EU"), ("Payer", "EU")]
    # announced: public from announced_at; upcoming: until effective_at
    assert [c.id for c in subprocessors.upcoming(settings, date(2027, 1, 15))] == [
        "c-move", "c-add"]
    assert [c.id for c in subprocessors.upcoming(settings, date(2027, 2, 20))] == [
        "c-add", "c-drop"]
    assert subprocessors.find(settings, "c-drop", date(2027, 2, 1)) is None  # not yet public
    move = subprocessors.find(settings, "c-move", date(2027, 3, 1))
    assert move is not None and move.changed_fields() == [("location", "US", "EU")]
    assert move.last_day_to_object == date(2027, 1, 31)
    assert move.objections_until.isoformat() == "2027-02-01T00:00:00+00:00"


@pytest.mark.parametrize("change, fault", [
    (dict(ADD, effective_at=day(20)), "gives 25 days' notice"),
    (dict(ADD, effective_at=day(-6)), "must come after announced_at"),
    (dict(ADD, name="Cloudflare, Inc."), "already listed"),
    (dict(PAST, name="Nobody Ltd."), "not listed"),
    (dict(SHORT, location="Ireland (EU) and United States", short_notice_reason="x"),
     "changes none"),
    (dict(ADD, id="has space"), "needs an id"),
    (dict(ADD, action="rename"), "action must be one of add, remove, change"),
    (dict(ADD, colour="blue"), "unknown keys colour"),
    (dict(PAST, purpose="x"), "unknown keys purpose"),
    (dict(ADD, effective_at="next spring"), "must be a day such as"),
    (dict(ADD, description=" "), "needs description"),
    ({k: v for k, v in ADD.items() if k != "transfer_mechanism"}, "lacks transfer_mechanism"),
])
def test_a_bad_change_stops_the_app_and_says_why(change: dict[str, Any], fault: str) -> None:
    from demo.app import DEFAULTS

    with pytest.raises(ConfigError, match="SELFSERVICE_SUBPROCESSOR_CHANGES") as raised:
        apply_defaults({"SELFSERVICE_SUBPROCESSORS": DEFAULTS["SELFSERVICE_SUBPROCESSORS"],
                        "SELFSERVICE_SUBPROCESSOR_CHANGES": [change]})
    assert fault in str(raised.value)


def test_short_notice_needs_a_reason_and_the_notice_period_a_sane_value() -> None:
    from demo.app import DEFAULTS

    listed = DEFAULTS["SELFSERVICE_SUBPROCESSORS"]
    without = {k: v for k, v in SHORT.items() if k != "short_notice_reason"}
    with pytest.raises(ConfigError, match="or say why in short_notice_reason"):
        apply_defaults({"SELFSERVICE_SUBPROCESSORS": listed,
                        "SELFSERVICE_SUBPROCESSOR_CHANGES": [without]})
    apply_defaults({"SELFSERVICE_SUBPROCESSORS": listed,  # 10 days are enough for 7
                    "SELFSERVICE_SUBPROCESSOR_CHANGES": [without],
                    "SELFSERVICE_SUBPROCESSOR_NOTICE_DAYS": 7})
    apply_defaults({"SELFSERVICE_SUBPROCESSORS": listed,
                    "SELFSERVICE_SUBPROCESSOR_CHANGES": [SHORT, ADD, PAST]})
    for days in (0, 400, "30", True):
        with pytest.raises(ConfigError, match="SUBPROCESSOR_NOTICE_DAYS must be a whole"):
            apply_defaults({"SELFSERVICE_SUBPROCESSOR_NOTICE_DAYS": days})
    with pytest.raises(ConfigError, match="used twice"):
        apply_defaults({"SELFSERVICE_SUBPROCESSORS": listed,
                        "SELFSERVICE_SUBPROCESSOR_CHANGES": [ADD, dict(PAST, id=ADD["id"])]})


@pytest.mark.backends("sqlite")
def test_the_app_does_not_start_with_a_bad_change(app_config: dict[str, Any]) -> None:
    from demo.app import create_app

    with pytest.raises(ConfigError, match="'2026-mailer' gives 25 days' notice"):
        create_app(dict(app_config, SELFSERVICE_SUBPROCESSOR_CHANGES=[
            dict(ADD, effective_at=day(20))]))


@pytest.mark.settings(SELFSERVICE_SUBPROCESSOR_CHANGES=[ADD, PAST, SHORT])
def test_the_public_page_and_json_show_the_list_and_the_announced_changes(
        app: Flask, backend: str, live_server: LiveServer) -> None:
    body = requests.get(live_server.url + API + "/subprocessors", timeout=10)
    assert body.status_code == 200
    assert body.headers["Cache-Control"] == "public, max-age=300"
    listed = body.json()
    assert listed["as_of"] == utcnow().date().isoformat() and listed["notice_days"] == 30
    # the demo's four, less the one removed yesterday; Stripe moves only in 8 days
    assert [e["name"] for e in listed["subprocessors"]] == [
        "Amazon Web Services EMEA SARL", "Stripe Payments Europe Ltd.",
        "Postmark (ActiveCampaign, LLC)"]
    assert listed["subprocessors"][1]["location"] == "Ireland (EU) and United States"
    soonest, later = listed["upcoming"]
    assert (soonest["id"], later["id"]) == (SHORT["id"], ADD["id"])
    assert later == {
        "id": ADD["id"], "action": "add", "name": "Mailer GmbH",
        "announced_at": ADD["announced_at"], "effective_at": ADD["effective_at"],
        "objections_until": f"{ADD['effective_at']}T00:00:00+00:00", "notice_days": 45,
        "short_notice": False, "short_notice_reason": None,
        "description": ADD["description"], "before": None,
        "after": {"name": "Mailer GmbH", "purpose": ADD["purpose"],
                  "location": ADD["location"], "transfer_mechanism": ADD["transfer_mechanism"],
                  "url": None, "data_categories": ADD["data_categories"]}}
    assert soonest["short_notice"] is True and soonest["notice_days"] == 10
    assert soonest["before"]["location"] == "Ireland (EU) and United States"
    assert soonest["after"]["location"] == "United States"

    page = requests.get(live_server.url + "/privacy/subprocessors", timeout=10)
    assert page.status_code == 200
    html = page.text
    assert "EcoHash Console" in html  # inside the host's layout
    assert "Postmark (ActiveCampaign, LLC)" in html and "Cloudflare" not in html
    assert "Adding Mailer GmbH" in html and ADD["description"] in html
    assert f"the end of <time datetime=\"{day(39)}\">{shown(39)}</time> (UTC)" in html
    assert "Changing Stripe Payments Europe Ltd." in html
    assert "Short notice: 10 days instead of our usual 30" in html
    assert SHORT["short_notice_reason"] in html
    assert "Sign in to subscribe" in html and 'id="subscription-toggle"' not in html
    assert "Object to this change" not in html  # only for an organisation's owner or admins


def test_without_announced_changes_the_page_says_so(app: Flask, backend: str,
                                                    live_server: LiveServer) -> None:
    app.config["SELFSERVICE_SUBPROCESSOR_CHANGES"] = []
    html = requests.get(live_server.url + "/privacy/subprocessors", timeout=10).text
    assert "No change is announced." in html
    assert requests.get(live_server.url + API + "/subprocessors",
                        timeout=10).json()["upcoming"] == []


def org_audit(app: Flask, org_id: str = "org-acme") -> list[tuple[str, str | None]]:
    with app.extensions["selfservice"].db.read() as session:
        return [(e.action, e.actor_id) for e in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.stream == f"org:{org_id}",
                                        AuditEvent.action.like("subprocessors.%"))
            .order_by(AuditEvent.seq))]


def subscribed_orgs(app: Flask) -> list[str]:
    with app.extensions["selfservice"].db.read() as session:
        return list(session.scalars(sa.select(SubprocessorSubscription.org_id)))


def signed_in(make_person: Any, email: str) -> Person:
    person: Person = make_person()
    person.login(email)
    return person


def test_owners_and_admins_subscribe_members_see_it_others_get_404(
        app: Flask, backend: str, make_person: Any, live_server: LiveServer) -> None:
    bob, carol, alice = (signed_in(make_person, f"{n}@example.com")
                         for n in ("bob", "carol", "alice"))
    assert bob.api("GET", SUBSCRIPTION, csrf=False).json() == {
        "org": {"id": "org-acme", "name": "Acme AI"}, "subscribed": False,
        "subscribed_at": None, "can_change": True}
    assert bob.api("PUT", SUBSCRIPTION, json={"subscribed": True},
                   csrf=False).status_code == 403  # no CSRF header
    assert carol.api("PUT", SUBSCRIPTION, json={"subscribed": True}).status_code == 403
    assert alice.api("PUT", SUBSCRIPTION, json={"subscribed": True}).status_code == 404
    assert alice.api("GET", SUBSCRIPTION, csrf=False).status_code == 404
    anonymous = requests.Session()
    assert anonymous.get(live_server.url + SUBSCRIPTION, timeout=10).status_code == 401
    assert anonymous.put(live_server.url + SUBSCRIPTION, json={"subscribed": True},
                         timeout=10).status_code == 401
    assert bob.api("PUT", SUBSCRIPTION, json={"subscribed": "yes"}).status_code == 422
    assert subscribed_orgs(app) == [] and org_audit(app) == []

    done = bob.api("PUT", SUBSCRIPTION, json={"subscribed": True})
    assert done.status_code == 200 and done.json()["subscribed"] is True
    assert done.json()["subscribed_at"] is not None
    again = bob.api("PUT", SUBSCRIPTION, json={"subscribed": True})  # nothing new to record
    assert again.json()["subscribed_at"] == done.json()["subscribed_at"]
    member_view = carol.api("GET", SUBSCRIPTION, csrf=False).json()
    assert member_view["subscribed"] is True and member_view["can_change"] is False
    assert subscribed_orgs(app) == ["org-acme"]
    stopped = bob.api("PUT", SUBSCRIPTION, json={"subscribed": False})
    assert stopped.status_code == 200 and stopped.json()["subscribed"] is False
    assert subscribed_orgs(app) == []
    assert org_audit(app) == [("subprocessors.subscribed", "acct-bob"),
                              ("subprocessors.unsubscribed", "acct-bob")]


def test_the_page_form_subscribes_for_admins_only(app: Flask, backend: str, make_person: Any,
                                                  live_server: LiveServer) -> None:
    page = "/privacy/subprocessors"
    bob = signed_in(make_person, "bob@example.com")
    html = bob.get(page).text
    assert "Not subscribed" in html and "Subscribe Acme AI" in html
    assert "Object to this change" in html  # the demo announces one
    token = csrf_token(html)
    posted = bob.http.post(live_server.url + page + "/subscription",
                           data={"csrf_token": token, "subscribed": "yes"},
                           allow_redirects=False, timeout=10)
    assert posted.status_code == 303 and posted.headers["Location"].endswith(page + "#notices")
    html = bob.get(page).text
    assert "Acme AI is subscribed" in html and "Stop change notices" in html
    assert subscribed_orgs(app) == ["org-acme"]
    stale = bob.http.post(live_server.url + page + "/subscription",
                          data={"csrf_token": "forged", "subscribed": "no"},
                          allow_redirects=False, timeout=10)
    assert stale.status_code == 400 and subscribed_orgs(app) == ["org-acme"]

    carol = signed_in(make_person, "carol@example.com")
    html = carol.get(page).text
    assert "Subscribed" in html and "Only the owner or admins of Acme AI" in html
    assert 'id="subscription-toggle"' not in html and "Object to this change" not in html
    token = csrf_token(html)
    assert carol.http.post(live_server.url + page + "/subscription",
                           data={"csrf_token": token, "subscribed": "no"},
                           allow_redirects=False, timeout=10).status_code == 403
    alice = signed_in(make_person, "alice@example.com")
    html = alice.get(page).text
    assert "Change notices are for organisations" in html
    token = csrf_token(html)
    assert alice.http.post(live_server.url + page + "/subscription",
                           data={"csrf_token": token, "subscribed": "yes"},
                           allow_redirects=False, timeout=10).status_code == 404
    signed_out = requests.post(live_server.url + page + "/subscription",
                               data={"subscribed": "yes"}, allow_redirects=False, timeout=10)
    assert signed_out.status_code == 302 and "/auth/login" in signed_out.headers["Location"]
    assert subscribed_orgs(app) == ["org-acme"]


def test_the_privacy_settings_page_links_to_the_list(app: Flask, backend: str,
                                                      make_person: Any) -> None:
    bob = signed_in(make_person, "bob@example.com")
    html = bob.get("/privacy/").text
    assert 'href="/privacy/subprocessors"' in html
    assert ('you can subscribe <span translate="no">Acme AI</span> to e-mail notices'
            in html)
