"""The demo console's application factory."""

from __future__ import annotations

import copy
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from selfservice import SelfService
from selfservice.dpa_signing import self_signed_pem
from selfservice.keyfile import read_or_create

#: the file in the instance folder that keeps the session key made on first start
SESSION_KEY_FILE = "secret-key"
#: the file in the instance folder with the demo's self-signed DPA signing key and certificate
DPA_KEY_FILE = "dpa-signing.pem"
#: where Debian keeps the DejaVu fonts
DEJAVU = "/usr/share/fonts/truetype/dejavu"



def announced_change(today: date) -> dict[str, Any]:
    """The demo's announced sub-processor change, upcoming whenever the demo runs: announced on
    the first of this month, in effect on the first of the month after next (59 to 62 days'
    notice, more than the 30 required)."""
    announced = today.replace(day=1)
    month = announced.month + 1  # the month after next, counted from 0
    effective = date(announced.year + month // 12, month % 12 + 1, 1)
    return {
        "id": f"demo-{announced:%Y-%m}-sentry", "action": "add",
        "announced_at": announced.isoformat(), "effective_at": effective.isoformat(),
        "name": "Functional Software, Inc. (Sentry)",
        "purpose": "Error monitoring of the console and the API",
        "location": "Germany (EU)",
        "transfer_mechanism": "None needed for the stored reports (EU); Standard Contractual "
                              "Clauses (module three) for support access from the United "
                              "States",
        "data_categories": "Account id, IP address, technical details of errors",
        "description": "We are adding error monitoring, so that we find and fix failures in "
                       "the console sooner. Error reports are kept in the EU for 30 days and "
                       "never include the content of your prompts or files.",
    }


#: the demo's defaults; environment variables override them, create_app(config) overrides both
DEFAULTS: dict[str, Any] = {
    #: None: a random key kept in the instance folder (DEMO_SECRET_KEY sets one)
    "SECRET_KEY": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    #: SQLAlchemy URL of the console's database; None: demo.sqlite3 in the instance folder
    "DEMO_DATABASE_URL": None,
    #: create the console's tables on start-up (cheap and idempotent)
    "DEMO_CREATE_TABLES": True,
    "SELFSERVICE_OIDC_ISSUER": "http://127.0.0.1:8001",
    "SELFSERVICE_OIDC_CLIENT_ID": "selfservice-demo",
    "SELFSERVICE_OIDC_CLIENT_SECRET": "selfservice-demo-secret",
    "SELFSERVICE_OIDC_POST_LOGOUT_REDIRECT_URI": "http://127.0.0.1:8000/",
    "SELFSERVICE_SERVICE_TOKENS": {"training-pipeline": "demo-pipeline-token"},
    #: the console's own catalogue (domain "messages"): its pages' words and its texts below
    #: (sources, cookies, sub-processors, DPA measures) in German; the plugin shows them through
    #: it. The .po is compiled by make install (python -m devtools.i18n compile)
    "BABEL_TRANSLATION_DIRECTORIES": os.path.join(os.path.dirname(__file__), "translations"),
    "SELFSERVICE_BASE_TEMPLATE": "console/layout.html",
    "SELFSERVICE_HOME_ENDPOINT": "console.home",
    #: the console's own errors (an unknown URL) get the plugin's page inside its layout too
    "SELFSERVICE_ERROR_PAGES": "app",
    "SELFSERVICE_PUBLIC_URL": "http://127.0.0.1:8000",
    "SELFSERVICE_POLICY_URL": "http://127.0.0.1:8000/legal/privacy-policy",
    "SELFSERVICE_CONTROLLER": {
        "name": "EcoHash Technology LLC",
        "email": "info@ecohash.com",
        "contact": "Privacy team",
        "address": "EcoHash Technology LLC, United States",
        "url": "https://ecohash.com",
        "service": "EcoHash Services",
        "jurisdiction": "US",
    },
    "SELFSERVICE_MAIL_FROM": "EcoHash Privacy <privacy@ecohash.example>",
    #: a record that does not match its source's schema stops the export, loudly
    "SELFSERVICE_EXPORT_SCHEMA_CHECK": "strict",
    #: who processes customers' personal data on EcoHash's behalf (DPA Annex III, public page)
    "SELFSERVICE_SUBPROCESSORS": [
        {"name": "Amazon Web Services EMEA SARL", "purpose": "Cloud hosting of the console, "
         "the API and the databases", "location": "Ireland (EU)",
         "transfer_mechanism": "None needed (processing in the EU)",
         "data_categories": "All customer data"},
        {"name": "Stripe Payments Europe Ltd.", "purpose": "Card payments and invoicing",
         "location": "Ireland (EU) and United States",
         "transfer_mechanism": "EU-U.S. Data Privacy Framework; Standard Contractual Clauses",
         "data_categories": "Billing contact, payment status"},
        {"name": "Postmark (ActiveCampaign, LLC)", "purpose": "Sending account and privacy "
         "e-mails", "location": "United States",
         "transfer_mechanism": "Standard Contractual Clauses (module three)",
         "data_categories": "Name, e-mail address, message content"},
        {"name": "Cloudflare, Inc.", "purpose": "Network protection and content delivery",
         "location": "Worldwide (edge network)",
         "transfer_mechanism": "EU-U.S. Data Privacy Framework; Standard Contractual Clauses",
         "data_categories": "IP address, request metadata"},
    ],
    #: the list above is the one before these changes (the page shows what is in force)
    "SELFSERVICE_SUBPROCESSOR_CHANGES": [announced_change(datetime.now(UTC).date())],
    #: the Data Processing Addendum: the plugin's standard template, one version so far
    "SELFSERVICE_DPA_VERSIONS": [
        {"version": "2026-11-01", "effective": "2026-11-01",
         "template": "selfservice/dpa/standard.html",
         "changes": "First version signed in the console (it replaces the DPA sent by "
                    "e-mail on request)."},
    ],
    "SELFSERVICE_DPA_MEASURES": [
        {"title": "Encryption", "description": "Customer data is encrypted in transit (TLS "
         "1.3 or higher, as the privacy policy says) and at rest (AES-256), with keys held "
         "in a managed key service."},
        {"title": "Access control", "description": "Staff reach production systems only "
         "through single sign-on with hardware-key two-factor authentication, on the least "
         "privilege they need; access is reviewed every quarter."},
        {"title": "Logging and monitoring", "description": "Access to customer data is "
         "logged and kept for one year; alerts are watched around the clock."},
        {"title": "Separation", "description": "Each customer's data is kept apart by "
         "tenant; inference requests are not used to train models unless the customer "
         "opts in."},
        {"title": "Resilience and recovery", "description": "Databases are replicated "
         "across availability zones and backed up daily; restores are tested every "
         "quarter."},
        {"title": "Secure development", "description": "Code is reviewed before release, "
         "dependencies are scanned, and an external penetration test runs every year."},
        {"title": "People", "description": "Staff sign confidentiality agreements and take "
         "security and privacy training when they join and every year."},
        {"title": "Incident response", "description": "A written incident response plan "
         "with named roles; personal data breaches are notified as section 7 of the DPA "
         "says."},
    ],
    #: the PDF's fonts: DejaVu Sans where the system has it (Debian: fonts-dejavu-core)
    "SELFSERVICE_DPA_FONTS": ({face: f"{DEJAVU}/DejaVuSans{suffix}.ttf" for face, suffix in
                               (("regular", ""), ("bold", "-Bold"), ("italic", "-Oblique"))}
                              if os.path.isfile(f"{DEJAVU}/DejaVuSans.ttf") else None),
    "SELFSERVICE_COOKIES": [
        {"name": "console_theme", "provider": "EcoHash", "category": "functional",
         "purpose": "Remembers light or dark mode.", "duration": "12 months"},
        {"name": "console_lang", "provider": "EcoHash", "category": "functional",
         "purpose": "Remembers the console's language.", "duration": "12 months"},
        {"name": "_pk_id.*", "provider": "Matomo (self-hosted)", "category": "analytics",
         "purpose": "Tells visits of the same browser apart, to count unique visitors.",
         "duration": "13 months"},
        {"name": "_pk_ses.*", "provider": "Matomo (self-hosted)", "category": "analytics",
         "purpose": "Groups the pages of one visit.", "duration": "30 minutes"},
        {"name": "_gcl_au", "provider": "Google Ads", "category": "marketing",
         "purpose": "Measures which ad campaigns bring sign-ups.", "duration": "90 days"},
        {"name": "li_fat_id", "provider": "LinkedIn", "category": "marketing",
         "purpose": "Attributes sign-ups to LinkedIn campaigns.", "duration": "30 days",
         "party": "third"},
    ],
}

#: the console runs under a strict Content-Security-Policy: scripts only with the request's
#: nonce, no inline styles, forms only to itself and the identity provider
CSP = ("default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self' {issuer}")

#: environment variable -> config key
ENVIRONMENT = {
    "DEMO_DATABASE_URL": "DEMO_DATABASE_URL",
    "DEMO_SECRET_KEY": "SECRET_KEY",
    "SELFSERVICE_REDIS_URL": "SELFSERVICE_REDIS_URL",
    "SELFSERVICE_OIDC_ISSUER": "SELFSERVICE_OIDC_ISSUER",
}


@dataclass(frozen=True)
class DemoConsole:
    """What the console keeps on ``app.extensions["demo"]``."""

    #: the one engine of the console's database, shared with the plugin
    engine: sa.Engine
    selfservice: SelfService


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    settings: dict[str, Any] = {
        key: environ[variable] for variable, key in ENVIRONMENT.items() if environ.get(variable)
    }
    # any other plugin setting may come from the environment too; values are JSON when they
    # parse as JSON (numbers, booleans, objects), else plain strings
    for variable, raw in environ.items():
        if variable.startswith("SELFSERVICE_") and variable not in ENVIRONMENT:
            try:
                settings[variable] = json.loads(raw)
            except ValueError:
                settings[variable] = raw
    if environ.get("DEMO_PIPELINE_TOKEN"):
        settings["SELFSERVICE_SERVICE_TOKENS"] = {
            "training-pipeline": environ["DEMO_PIPELINE_TOKEN"]
        }
    return settings


def instance_secret_key(instance_path: str) -> str:
    """The key that signs the console's sessions: made at random on the first start and kept
    in the instance folder, readable by its owner only, so the web process, the workers and
    every restart share it (and nobody who reads this source can sign a session)."""
    made = read_or_create(os.path.join(instance_path, SESSION_KEY_FILE),
                          lambda: (secrets.token_hex(32) + "\n").encode())
    return made.decode().strip()


def instance_dpa_key(instance_path: str) -> str:
    """The demo's DPA signing key and its self-signed certificate, made on the first start in
    the instance folder (a PDF reader shows the signature intact, by a signer it does not
    know; a real console configures a certificate from a trusted authority)."""
    path = os.path.join(instance_path, DPA_KEY_FILE)
    read_or_create(path, lambda: self_signed_pem("EcoHash DPA countersignature (demo)",
                                                 "EcoHash Technology LLC"))
    return path


def create_app(config: dict[str, Any] | None = None, *,
               instance_path: str | None = None) -> Flask:
    """Build the console: defaults < environment variables < ``config``.

    Environment: ``DEMO_DATABASE_URL``, ``DEMO_SECRET_KEY``, ``SELFSERVICE_REDIS_URL``,
    ``SELFSERVICE_OIDC_ISSUER``, ``DEMO_PIPELINE_TOKEN``. The console opens one engine (from
    ``DEMO_DATABASE_URL``, or the ``SELFSERVICE_ENGINE`` given in ``config``) and shares it with
    the plugin. ``app.extensions["demo"]`` holds that engine and the app's own
    :class:`SelfService` (a fresh one per app, so several apps can live in one process).
    ``instance_path`` is the folder of the console's own files (Flask's default: ``instance/``
    at the repository root).
    """
    from flask_wtf.csrf import generate_csrf

    from selfservice.db import create_engine

    from . import console
    from .cli import cli
    from .deletion import register_deletion_hooks
    from .erasure import register_erasers
    from .identity import account_finder, account_resolver, identity_loader, org_members_loader
    from .marketing import register_marketing
    from .models import create_tables
    from .retention import register_sweepers
    from .sources import register_sources

    app = Flask(__name__, instance_path=instance_path)
    settings = copy.deepcopy(DEFAULTS)
    settings.update(settings_from_environment(os.environ))
    settings.update(config or {})
    app.config.update(settings)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    if not app.config.get("SELFSERVICE_DPA_SIGNING_KEY"):
        key_file = instance_dpa_key(app.instance_path)
        app.config["SELFSERVICE_DPA_SIGNING_KEY"] = key_file
        app.config["SELFSERVICE_DPA_SIGNING_CERT"] = key_file
    app.config.setdefault("SELFSERVICE_CONTENT_SECURITY_POLICY", CSP.replace(
        "{issuer}", app.config["SELFSERVICE_OIDC_ISSUER"].rstrip("/")))

    engine = app.config.get("SELFSERVICE_ENGINE")
    if engine is None:
        url = app.config["DEMO_DATABASE_URL"]
        if not url:
            os.makedirs(app.instance_path, exist_ok=True)
            url = "sqlite:///" + os.path.join(app.instance_path, "demo.sqlite3")
        engine = create_engine(url)
        app.config["SELFSERVICE_ENGINE"] = engine
    if app.config["DEMO_CREATE_TABLES"]:
        create_tables(engine)

    selfservice = SelfService()
    selfservice.identity_loader(identity_loader(
        engine,
        support_role=app.config.get("SELFSERVICE_SUPPORT_ROLE", "support"),
        privacy_officer_role=app.config.get("SELFSERVICE_PRIVACY_OFFICER_ROLE",
                                            "privacy_officer"),
        shared=selfservice.lookup_connection,
    ))
    selfservice.account_resolver(account_resolver(engine))
    selfservice.org_members_loader(org_members_loader(engine))
    selfservice.account_finder(account_finder(engine))
    register_sources(selfservice, engine)
    register_marketing(selfservice, engine)
    register_sweepers(selfservice, engine)
    register_erasers(selfservice, engine)
    register_deletion_hooks(selfservice, engine)
    selfservice.init_app(app)
    app.extensions["demo"] = DemoConsole(engine=engine, selfservice=selfservice)

    app.register_blueprint(console.bp)
    # the layout's sign-out form needs it; CSRFProtect would define it, the console has none
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
    app.cli.add_command(cli)
    return app
