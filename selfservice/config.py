"""Every ``SELFSERVICE_*`` setting, its default, and a strict reader.

One place for each fact: the README's configuration table is generated from ``DEFAULTS`` and
``DESCRIPTIONS`` (``flask selfservice config``), so the two cannot drift apart. The table itself
is in ``settings_table.py``.
"""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Callable
from typing import Any

from limits import parse_many

from .dpa_versions import fonts_problem, measures_problem, versions_problem
from .settings_table import SETTINGS as SETTINGS
from .storage.factory import ADDRESSING_STYLES, SSE_MODES, parse_url
from .subprocessors import changes_problem as _subprocessor_changes_problem
from .subprocessors import valid_list as _valid_subprocessors

PREFIX = "SELFSERVICE_"
#: the record of requests and responses is kept at least this long (CCPA regulations, 7101)
RECORD_DAYS = 730

#: never printed (``flask selfservice config`` shows "(set)")
SECRET_SETTINGS = frozenset({"OIDC_CLIENT_SECRET", "SERVICE_TOKENS", "ENGINE", "RECEIPT_KEY",
                             "SMTP_PASSWORD", "DPA_SIGNING_KEY",
                             "STORAGE_SECRET_ACCESS_KEY"})

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
             "ERASED_PROOF_RETENTION_DAYS", "STORAGE_TIMEOUT", "EXPORT_ABANDONED_AFTER",
             "MAIL_RETRY_HOURS")


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
    ("ERROR_PAGES", lambda v: v in ("plugin", "app"), "be plugin or app"),
    ("EXPORT_SCHEMA_CHECK", lambda v: v in ("strict", "warn"), "be strict or warn"),
    ("COOKIES", lambda v: isinstance(v, list | tuple), "be a list of cookie entries"),
    ("SMTP_SECURITY", lambda v: v in ("none", "starttls", "ssl"),
     "be none, starttls or ssl"),
    ("POLICY_VERSION", _is_short_text, "be a short non-empty string"),
    ("CONTROLLER", lambda v: isinstance(v, dict), "be a dict (name, email, address...)"),
    ("RECEIPT_RETIRED_KEYS", lambda v: isinstance(v, list | tuple),
     "be a list of PEM public keys"),
    ("SUBPROCESSORS", _valid_subprocessors, "be a list of {name, purpose, location, "
     "transfer_mechanism, url?, data_categories?} with distinct names"),
    ("SUBPROCESSOR_NOTICE_DAYS", lambda v: isinstance(v, int) and not isinstance(v, bool)
     and 1 <= v <= 365, "be a whole number of days from 1 to 365"),
    ("RETENTION_SWEEPS", lambda v: isinstance(v, bool), "be True or False"),
    ("MAX_BODY_BYTES", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1024,
     "be a whole number of bytes, at least 1024"),
    ("DPA_NEGOTIATED_MAX_BYTES", lambda v: isinstance(v, int) and not isinstance(v, bool)
     and 1024 <= v <= 64 * 1024 ** 2, "be a whole number of bytes from 1 KiB to 64 MiB"),
    ("STORAGE_SSE", lambda v: v is None or v in SSE_MODES,
     "be None, " + ", ".join(SSE_MODES[:-1]) + " or " + SSE_MODES[-1]),
    ("STORAGE_ADDRESSING_STYLE", lambda v: v in ADDRESSING_STYLES, "be auto, path or virtual"),
    ("STORAGE_ENDPOINT_URL", lambda v: v is None or isinstance(v, str)
     and v.startswith(("http://", "https://")), "be None or an http:// or https:// URL"),
    ("STORAGE_PART_SIZE", lambda v: isinstance(v, int) and not isinstance(v, bool)
     and 5 * 1024 ** 2 <= v <= 5 * 1024 ** 3, "be a whole number of bytes from 5 MiB to 5 GiB"),
    ("URL_PREFIX", _is_prefix, "start with '/' and not end with it"),
    ("API_URL_PREFIX", _is_prefix, "start with '/' and not end with it"),
    ("AUTH_URL_PREFIX", _is_prefix, "start with '/' and not end with it"),
    *((key, _is_rate, "be None or a rate such as '10/hour'")
      for key in ("RATE_LIMIT_REQUESTS", "RATE_LIMIT_SIGN_IN", "RATE_LIMIT_CALLBACK",
                  "RATE_LIMIT_COOKIE_CONSENT")),
)


#: (setting, what is wrong with its value or None) for settings that say what is wrong
_EXPLAINED: tuple[tuple[str, Callable[[Any], str | None]], ...] = (
    ("DPA_VERSIONS", versions_problem),
    ("DPA_MEASURES", measures_problem),
    ("DPA_FONTS", fonts_problem),
)


def _validate_explained(config: dict[str, Any]) -> None:
    for key, problem_of in _EXPLAINED:
        problem = problem_of(config[PREFIX + key])
        if problem:
            raise ConfigError(f"{PREFIX}{key} {problem}.")
    if (config[PREFIX + "DPA_SIGNING_KEY"] is None) != (config[PREFIX + "DPA_SIGNING_CERT"]
                                                        is None):
        raise ConfigError(f"{PREFIX}DPA_SIGNING_KEY and {PREFIX}DPA_SIGNING_CERT go together: "
                          "set both (the key and its certificate) or neither.")


def _validate(config: dict[str, Any]) -> None:
    for key in _POSITIVE:
        value = config[PREFIX + key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{PREFIX}{key} must be a positive number, not {value!r}.")
    if config[PREFIX + "JOB_STALE_AFTER"] < 3 * config[PREFIX + "JOB_HEARTBEAT"]:
        raise ConfigError(f"{PREFIX}JOB_STALE_AFTER must be at least three heartbeats "
                          f"({PREFIX}JOB_HEARTBEAT), or live jobs would look abandoned.")
    proof = config[PREFIX + "ERASED_PROOF_RETENTION_DAYS"]
    if proof < RECORD_DAYS:
        raise ConfigError(f"{PREFIX}ERASED_PROOF_RETENTION_DAYS must be at least {RECORD_DAYS} "
                          "days: the record of an erased account's requests is kept that long "
                          "(CCPA regulations, section 7101), and goes with the proof.")
    grace = config[PREFIX + "DELETION_GRACE_DAYS"]
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 365:
        raise ConfigError(f"{PREFIX}DELETION_GRACE_DAYS must be a whole number of days from 0 "
                          f"to 365, not {grace!r}.")
    for key, test, must in _SHAPES:
        if not test(config[PREFIX + key]):
            shown = "" if key == "SERVICE_TOKENS" else f", not {config[PREFIX + key]!r}"
            raise ConfigError(f"{PREFIX}{key} must {must}{shown}.")
    problem = _subprocessor_changes_problem(config)
    if problem:
        raise ConfigError(f"{PREFIX}SUBPROCESSOR_CHANGES: {problem}.")
    _validate_explained(config)
    _validate_storage(config)


def _validate_storage(config: dict[str, Any]) -> None:
    """The archive store's settings; the store itself is not contacted here (its health is
    /health's, and an export that cannot reach it fails with a reason)."""
    if config[PREFIX + "EXPORT_ABANDONED_AFTER"] <= config[PREFIX + "JOB_TIMEOUT"]:
        raise ConfigError(f"{PREFIX}EXPORT_ABANDONED_AFTER must be longer than "
                          f"{PREFIX}JOB_TIMEOUT, or the sweep could delete a running "
                          "export's upload.")
    if config[PREFIX + "STORAGE_SSE_KMS_KEY_ID"] and not str(
            config[PREFIX + "STORAGE_SSE"] or "").startswith("aws:kms"):
        raise ConfigError(f"{PREFIX}STORAGE_SSE_KMS_KEY_ID needs {PREFIX}STORAGE_SSE "
                          "aws:kms or aws:kms:dsse.")
    url = config[PREFIX + "STORAGE_URL"]
    if url is None:
        return
    try:
        parse_url(url if isinstance(url, str) else "")
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}STORAGE_URL must be None or s3://bucket/prefix ({exc}), "
                          f"not {url!r}.") from None
    if importlib.util.find_spec("boto3") is None:
        raise ConfigError(f"{PREFIX}STORAGE_URL names S3 storage, which needs boto3: install "
                          "flask-privacy-selfservice[s3].")


def setting(config: Any, key: str) -> Any:
    """Read one setting by its short name; a misspelt name is an error, not None."""
    if key not in DEFAULTS:
        raise ConfigError(f"Unknown setting {PREFIX}{key}.")
    return config[PREFIX + key]
