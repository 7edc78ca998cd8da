"""Every ``SELFSERVICE_*`` setting, its default, and a strict reader.

One place for each fact: the README's configuration table is generated from ``DEFAULTS`` and
``DESCRIPTIONS`` (``flask selfservice config``), so the two cannot drift apart.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from limits import parse_many

PREFIX = "SELFSERVICE_"

#: name (without prefix) -> (default, description)
SETTINGS: dict[str, tuple[Any, str]] = {
    # -- database -----------------------------------------------------------------------------
    "DATABASE_URL": (
        None,
        "SQLAlchemy URL of the plugin's own engine. None: use the host's engine "
        "(SELFSERVICE_ENGINE) or, failing that, sqlite in the instance folder.",
    ),
    "ENGINE": (None, "An existing SQLAlchemy Engine of the host to share instead of a URL."),
    "ENGINE_OPTIONS": ({}, "Extra keyword arguments for sqlalchemy.create_engine."),
    "VERSION_TABLE": ("selfservice_alembic_version", "Alembic version table of the plugin."),
    # -- mount points ---------------------------------------------------------------------------
    "REGISTER_BLUEPRINTS": (True, "Mount the plugin's blueprints in init_app; False: the host "
                            "mounts them itself (SelfService.blueprints())."),
    "URL_PREFIX": ("/privacy", "Customer pages."),
    "API_URL_PREFIX": ("/privacy/api/v1", "JSON API."),
    "AUTH_URL_PREFIX": ("/auth", "SSO: login, callback, reauth, logout."),
    "BASE_TEMPLATE": ("selfservice/standalone.html", "Template the plugin's pages extend; set "
                      "it to the console's layout (it must define blocks title and content)."),
    "HOME_ENDPOINT": (None, "Endpoint to land on after logout or when `next` is unusable; "
                      "None: the privacy index page."),
    "MAX_BODY_BYTES": (65536, "Largest request body, in bytes, of the plugin's pages and API: "
                       "a longer one is refused with 413 before it is read (a chunked one when "
                       "it gets there). The training-eligibility call may be 100 bytes longer "
                       "per id it may ask about (ELIGIBILITY_MAX_IDS). The host's own routes "
                       "keep Flask's MAX_CONTENT_LENGTH."),
    # -- identity and SSO -----------------------------------------------------------------------
    "SSO_ENABLED": (True, "Serve the OpenID Connect login at AUTH_URL_PREFIX. False: the host "
                    "logs users in itself and calls selfservice.record_authentication()."),
    "OIDC_ISSUER": ("http://127.0.0.1:8001", "Issuer URL of the OpenID provider (discovery is "
                    "read from ISSUER/.well-known/openid-configuration)."),
    "OIDC_CLIENT_ID": ("selfservice-demo", "OAuth client id registered at the provider."),
    "OIDC_CLIENT_SECRET": ("selfservice-demo-secret", "OAuth client secret."),
    "OIDC_SCOPE": ("openid email profile", "Scopes requested at login."),
    "OIDC_REDIRECT_URI": (None, "Absolute callback URL registered at the provider; None: "
                          "derived from the request (url_for(..., _external=True))."),
    "OIDC_POST_LOGOUT_REDIRECT_URI": (None, "Where the provider sends the user after logout "
                                      "(must be registered there); None: log out locally only."),
    "OIDC_TIMEOUT": (10, "Seconds to wait for the provider's token and discovery endpoints."),
    "REAUTH_MAX_AGE": (300, "Seconds an authentication counts as fresh for dangerous actions "
                      "(export download, deletion, signing)."),
    "REAUTH_ENDPOINT": (None, "Endpoint of the host's own re-authentication view when "
                        "SSO_ENABLED is False; it receives ?next=."),
    "SESSION_IDLE_DAYS": (30, "Days a sign-in session may go unused before it ends (the next "
                          "request with it is signed out); ended sessions are deleted this "
                          "many days later by a daily job."),
    "CSRF_HEADER": ("X-CSRF-Token", "Header carrying the CSRF token on unsafe API calls."),
    "SERVICE_TOKENS": ({}, "Machine-to-machine bearer tokens: {name: token}. The demo sets "
                       "{'training-pipeline': 'demo-pipeline-token'}."),
    "SUPPORT_ROLE": ("support", "Role name that grants the support console."),
    "PRIVACY_OFFICER_ROLE": ("privacy_officer", "Role name of privacy officers."),
    # -- privacy policy, consent and receipts ---------------------------------------------------
    "POLICY_VERSION": ("2026-05-08", "Version of the privacy policy in force (its \"Last updated\" "
                       "date). Every consent event records it; an API change naming another "
                       "version is refused."),
    "POLICY_URL": (None, "Where the privacy policy is published (shown on the consent pages "
                   "and in receipts)."),
    "CONTROLLER": ({}, "The data controller as receipts name it: {name, email, address, phone, "
                   "url}."),
    "RECEIPT_KEY": (None, "Ed25519 private key that signs consent receipts: PEM text or a path "
                    "to a PEM file. None: a key kept in the instance folder, made on first "
                    "use."),
    "RECEIPT_RETIRED_KEYS": ([], "Public keys (PEM) of earlier receipt keys, still published so "
                             "old receipts keep verifying."),
    "ELIGIBILITY_MAX_IDS": (10000, "Most account ids one training-eligibility call may ask "
                            "about."),
    "ELIGIBILITY_SETTLE": (2.0, "Seconds a moment must lie in the past before eligibility is "
                           "answered as of it (changes still committing get their time "
                           "before they become visible); as_of null means now minus this."),
    "PUBLIC_URL": (None, "The console's external base URL, for links in e-mails (sent by "
                   "workers, outside any request), e.g. https://console.example.com."),
    # -- cookie consent -------------------------------------------------------------------------
    "COOKIES": ([], "The console's cookie registry: a list of {name, provider, purpose, "
                "category (necessary|functional|analytics|marketing), duration, party "
                "(first|third)}; a name ending in * matches a prefix. The plugin adds its own "
                "necessary cookies."),
    "COOKIE_CONSENT_NAME": ("selfservice_consent", "Name of the first-party consent cookie."),
    "COOKIE_CONSENT_ACCEPT_DAYS": (365, "Days a decision that accepts something is kept "
                                   "before the visitor is asked again."),
    "COOKIE_CONSENT_REJECT_DAYS": (182, "Days a refusal of everything optional is kept "
                                   "before the visitor is asked again."),
    "COOKIE_CONSENT_RETENTION_DAYS": (1095, "Days the server keeps a consent id's records "
                                      "after its last decision (proof of consent)."),
    "COOKIE_UNKNOWN": ("block", "What to do with a Set-Cookie whose name is not in the "
                       "registry: block (drop it and log its name) or allow."),
    "COOKIE_TEXTS": ({}, "Banner texts to add or override, {language: {key: text}} (see "
                     "selfservice/i18n.py for the keys)."),
    "COOKIE_BANNER": (True, "Show the banner and enforce consent on every response of the "
                      "app. False: the plugin only serves the settings and policy pages."),
    "CONTENT_SECURITY_POLICY": (None, "A Content-Security-Policy to send with every response "
                                "that has none, where {nonce} is the request's script nonce "
                                "(csp_nonce() in templates). None: the host sets its own."),
    "GPC_WELL_KNOWN": (True, "Serve /.well-known/gpc.json (the site honours Global Privacy "
                       "Control)."),
    # -- exports ------------------------------------------------------------------------------
    "EXPORT_DIR": (None, "Folder of export archives (unguessable names). None: exports/ in "
                   "the instance folder."),
    "EXPORT_TTL_DAYS": (7, "Days an export archive can be downloaded; a daily job deletes it "
                        "after."),
    "EXPORT_INTERVAL_HOURS": (24, "At most one export per account in this many hours (failed "
                              "and canceled ones do not count)."),
    "EXPORT_SCHEMA_CHECK": ("warn", "What an export does when a sampled record (the first 50 "
                            "of each source, then every 1,000th) does not match its source's "
                            "schema: strict (the export fails, naming the source, field and "
                            "rule, never the value) or warn (log an error and note it under "
                            "the source in manifest.json; the customer still gets the data)."),
    # -- deletion and retention ---------------------------------------------------------------
    "DELETION_GRACE_DAYS": (30, "Days between the customer's confirmation and the start of "
                            "erasure; the customer can cancel until then. 0: erase right "
                            "after confirmation."),
    "DELETION_REMINDER_DAYS": (7, "Days before erasure starts that the reminder e-mail goes "
                               "out (none when the grace period is shorter)."),
    "ERASURE_BATCH": (5000, "Records an eraser or retention sweeper is asked to remove per "
                      "call (each call is one short transaction)."),
    "RETENTION_SWEEPS": (True, "Run the host's retention sweepers in the daily job. False: "
                         "only `flask selfservice retention sweep` runs them (for example to "
                         "review `retention plan` first on a console with years of data)."),
    "ERASED_PROOF_RETENTION_DAYS": (1095, "Days the pseudonymised consent ledger and audit "
                                    "trail of an erased account are kept as proof (a legal "
                                    "obligation), after which a daily sweep deletes them."),
    # -- rate limits --------------------------------------------------------------------------
    "RATE_LIMIT_REQUESTS": ("10/hour", "Privacy requests one account may send (the API and "
                            "the page together); a Flask-Limiter rate such as '10/hour' or "
                            "'10/hour;30/day'. None: no limit."),
    "RATE_LIMIT_SIGN_IN": ("30/minute", "Sign-ins (/auth/login and /auth/reauth together) one "
                           "client address may start (a signed-in visitor: one account). "
                           "None: no limit."),
    "RATE_LIMIT_CALLBACK": ("30/minute", "Returns from the identity provider (/auth/callback) "
                            "per client address (a signed-in visitor: per account). None: no "
                            "limit."),
    "RATE_LIMIT_COOKIE_CONSENT": ("60/minute", "Cookie decisions (PUT /cookie-consent and the "
                                  "banner's form together) per client address, or per account "
                                  "when signed in. None: no limit."),
    # -- e-mail ---------------------------------------------------------------------------------
    "SMTP_HOST": (None, "SMTP server for the plugin's e-mails. None: send no e-mail."),
    "SMTP_PORT": (25, "SMTP port."),
    "SMTP_SECURITY": ("none", "none, starttls or ssl."),
    "SMTP_USERNAME": (None, "SMTP login, if the server wants one."),
    "SMTP_PASSWORD": (None, "SMTP password."),
    "SMTP_TIMEOUT": (10, "Seconds to wait for the SMTP server."),
    "MAIL_FROM": ("Privacy <privacy@localhost>", "From: of the plugin's e-mails."),
    # -- background work ------------------------------------------------------------------------
    "REDIS_URL": ("redis://127.0.0.1:6379/0", "Redis used by RQ."),
    "QUEUE_NAME": ("selfservice", "RQ queue the plugin's jobs run on."),
    "QUEUE_PREFIX": ("selfservice", "Prefix of the plugin's own Redis keys (heartbeats, rate "
                     "limits)."),
    "JOB_TIMEOUT": (3600, "Seconds a job may run before RQ stops it."),
    "JOB_MAX_ATTEMPTS": (3, "Attempts before a job is marked failed."),
    "JOB_HEARTBEAT": (10, "Seconds between a running job's heartbeats to SQL."),
    "JOB_STALE_AFTER": (60, "Seconds without a heartbeat after which a running job counts as "
                        "abandoned and is retried (or failed after the last attempt)."),
    "DISPATCH_INTERVAL": (5, "Seconds between the worker's outbox sweeps (re-enqueue what "
                          "Redis missed, reap abandoned jobs)."),
    "REDIS_SOCKET_TIMEOUT": (5, "Seconds before a Redis call is given up (the outbox keeps "
                             "the work)."),
    "WORKER_HEARTBEAT_TTL": (60, "Seconds a worker heartbeat stays valid for /health."),
    "ENQUEUE_ON_COMMIT": (True, "Try to enqueue a job right after the transaction that created "
                          "it commits. False: leave all enqueuing to the dispatcher."),
}

#: never printed (``flask selfservice config`` shows "(set)")
SECRET_SETTINGS = frozenset({"OIDC_CLIENT_SECRET", "SERVICE_TOKENS", "ENGINE", "RECEIPT_KEY",
                             "SMTP_PASSWORD"})

DEFAULTS: dict[str, Any] = {key: value for key, (value, _) in SETTINGS.items()}
DESCRIPTIONS: dict[str, str] = {key: text for key, (_, text) in SETTINGS.items()}


class ConfigError(RuntimeError):
    """A SELFSERVICE_* key is unknown or has a value of the wrong kind."""


#: how to make a good SECRET_KEY, as the start-up error says it
NEW_KEY_COMMAND = 'python -c "import secrets; print(secrets.token_hex(32))"'
#: shorter keys are refused outside development (characters, or bytes for a bytes key)
MIN_SECRET_KEY_LENGTH = 32
#: keys printed in tutorials, examples and this project's own demo: never secret (compared
#: in lower case)
PUBLISHED_SECRET_KEYS = frozenset(key.lower() for key in (
    "ecohash-demo-console-dev-only-secret",  # the demo console's key until 0.1.x
    "dev", "development", "secret", "secret-key", "secret_key", "secretkey", "change-me",
    "changeme", "change_me", "change-this", "changethis", "your-secret-key",
    "your_secret_key", "yoursecretkey", "my-secret-key", "mysecretkey", "super-secret",
    "supersecret", "super-secret-key", "default", "test", "testing", "flask", "password",
    "replace-me", "please-change-me", "insecure", "not-secret", "s3cr3t",
    '_5#y2L"F4Q8z\n\xec]/',  # Flask's quickstart example
))


def _secret_key_flaw(key: Any) -> str | None:
    if not key:
        return "is not set"
    text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
    if text.strip().lower() in PUBLISHED_SECRET_KEYS:
        return "is a published example key"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    return None


def check_secret_key(key: Any, *, development: bool) -> str | None:
    """Refuse the app's SECRET_KEY if it is missing, or (outside development: debug or testing)
    short or published: whoever knows it can sign a session cookie for any account, a freshly
    authenticated one included. Returns what is wrong with a key development may use."""
    flaw = _secret_key_flaw(key)
    if flaw is None or (development and flaw != "is not set"):
        return flaw
    raise ConfigError(
        f"app.config['SECRET_KEY'] {flaw}: anyone who knows it can sign a session cookie for "
        f"any account. Make a random one with\n    {NEW_KEY_COMMAND}\nand give it to the "
        "app from outside the source (an environment variable, or a file only the console "
        "can read).")


def apply_defaults(config: dict[str, Any]) -> None:
    """Fill in every default and refuse a misspelt key (a silent default hides mistakes)."""
    for key in config:
        if key.startswith(PREFIX) and key[len(PREFIX):] not in DEFAULTS:
            name = key[len(PREFIX):]
            close = difflib.get_close_matches(name, DEFAULTS, n=1)
            hint = f" Did you mean {PREFIX}{close[0]}?" if close else ""
            raise ConfigError(f"Unknown setting {key}.{hint}")
    for key, value in DEFAULTS.items():
        config.setdefault(PREFIX + key, _copy(value))
    _validate(config)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    return list(value) if isinstance(value, list) else value


_POSITIVE = ("REAUTH_MAX_AGE", "JOB_TIMEOUT", "JOB_MAX_ATTEMPTS", "JOB_HEARTBEAT",
             "JOB_STALE_AFTER", "DISPATCH_INTERVAL", "WORKER_HEARTBEAT_TTL", "OIDC_TIMEOUT",
             "SMTP_TIMEOUT", "ELIGIBILITY_MAX_IDS", "SMTP_PORT", "ELIGIBILITY_SETTLE",
             "COOKIE_CONSENT_ACCEPT_DAYS", "COOKIE_CONSENT_REJECT_DAYS",
             "COOKIE_CONSENT_RETENTION_DAYS", "EXPORT_TTL_DAYS", "EXPORT_INTERVAL_HOURS",
             "SESSION_IDLE_DAYS", "DELETION_REMINDER_DAYS", "ERASURE_BATCH",
             "ERASED_PROOF_RETENTION_DAYS")


def _is_short_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= 40


def _are_tokens(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(t, str) and len(t) >= 16
                                           for t in value.values())


def _is_prefix(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/") and not value.endswith("/")


def _is_rate(value: Any) -> bool:
    """None, or rates Flask-Limiter reads ('10/hour', '10 per hour;30/day')."""
    if value is None:
        return True
    try:
        rates = parse_many(value) if isinstance(value, str) else []
    except ValueError:
        return False
    return bool(rates) and all(rate.amount > 0 for rate in rates)


#: (setting, test, what it must be) for the settings with a shape of their own
_SHAPES: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("SERVICE_TOKENS", _are_tokens, "map names to tokens of 16+ characters"),
    ("COOKIE_UNKNOWN", lambda v: v in ("block", "allow"), "be block or allow"),
    ("EXPORT_SCHEMA_CHECK", lambda v: v in ("strict", "warn"), "be strict or warn"),
    ("COOKIES", lambda v: isinstance(v, list | tuple), "be a list of cookie entries"),
    ("SMTP_SECURITY", lambda v: v in ("none", "starttls", "ssl"),
     "be none, starttls or ssl"),
    ("POLICY_VERSION", _is_short_text, "be a short non-empty string"),
    ("CONTROLLER", lambda v: isinstance(v, dict), "be a dict (name, email, address...)"),
    ("RECEIPT_RETIRED_KEYS", lambda v: isinstance(v, list | tuple),
     "be a list of PEM public keys"),
    ("RETENTION_SWEEPS", lambda v: isinstance(v, bool), "be True or False"),
    ("MAX_BODY_BYTES", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1024,
     "be a whole number of bytes, at least 1024"),
    ("URL_PREFIX", _is_prefix, "start with '/' and not end with it"),
    ("API_URL_PREFIX", _is_prefix, "start with '/' and not end with it"),
    ("AUTH_URL_PREFIX", _is_prefix, "start with '/' and not end with it"),
    *((key, _is_rate, "be None or a rate such as '10/hour'")
      for key in ("RATE_LIMIT_REQUESTS", "RATE_LIMIT_SIGN_IN", "RATE_LIMIT_CALLBACK",
                  "RATE_LIMIT_COOKIE_CONSENT")),
)


def _validate(config: dict[str, Any]) -> None:
    for key in _POSITIVE:
        value = config[PREFIX + key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{PREFIX}{key} must be a positive number, not {value!r}.")
    if config[PREFIX + "JOB_STALE_AFTER"] < 3 * config[PREFIX + "JOB_HEARTBEAT"]:
        raise ConfigError(f"{PREFIX}JOB_STALE_AFTER must be at least three heartbeats "
                          f"({PREFIX}JOB_HEARTBEAT), or live jobs would look abandoned.")
    grace = config[PREFIX + "DELETION_GRACE_DAYS"]
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 365:
        raise ConfigError(f"{PREFIX}DELETION_GRACE_DAYS must be a whole number of days from 0 "
                          f"to 365, not {grace!r}.")
    for key, test, must in _SHAPES:
        if not test(config[PREFIX + key]):
            shown = "" if key == "SERVICE_TOKENS" else f", not {config[PREFIX + key]!r}"
            raise ConfigError(f"{PREFIX}{key} must {must}{shown}.")


def setting(config: Any, key: str) -> Any:
    """Read one setting by its short name; a misspelt name is an error, not None."""
    if key not in DEFAULTS:
        raise ConfigError(f"Unknown setting {PREFIX}{key}.")
    return config[PREFIX + key]
