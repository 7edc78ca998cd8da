"""The Flask extension object."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import jinja2
from flask import Blueprint, Flask
from flask_login import LoginManager, user_logged_out
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.engine import Connection

# the composition root: the only core module that imports the HTTP and job layers
from . import config as config_module
from . import formatting, subprocessors, translation
from . import jobs as job_functions
from .auth import check_session, current_identity, end_on_logout, note_language
from .blueprints import api, error_pages, pages, rate_limits, sso, well_known
from .cli import cli
from .db import Database, utcnow
from .deletion_hooks import Blocker, DeletionHooks, Recipient, RetentionRule, SweepCount
from .dpa_signing import load as load_countersigner
from .identity import (
    AccountResolver,
    Identity,
    IdentityLoader,
    OrgMembersLoader,
    PrivacyUser,
)
from .paths import TEMPLATE_FOLDER
from .queue import JobQueue
from .receipts import key_from_setting
from .services import org_training_policy, outbox
from .services.cookie_consent import registry as cookie_registry
from .services.own_erasure import erasers as own_erasers
from .services.own_sources import own_sources
from .sources import DataSource, Eraser, Exporter, SourceRegistry
from .state import SelfServiceState, get_state

EXTENSION_KEY = "selfservice"

logger = logging.getLogger(__name__)


class SelfService:
    """Privacy self-service for a Flask console.

    ``SelfService(app)`` or ``ss = SelfService(); ss.init_app(app)``. The host tells the plugin
    who its users are (``identity_loader``, ``account_resolver``) and registers its data sources
    (``register_source`` / ``source``).
    """

    def __init__(self, app: Flask | None = None, *,
                 identity_loader: IdentityLoader | None = None,
                 account_resolver: AccountResolver | None = None,
                 org_members_loader: OrgMembersLoader | None = None) -> None:
        self.sources = SourceRegistry()
        self.deletion = DeletionHooks()
        self._identity_loader = identity_loader
        self._account_resolver = account_resolver
        self._org_members_loader = org_members_loader
        self._account_finder: Callable[[str], str | None] | None = None
        if app is not None:
            self.init_app(app)

    # -- host callbacks -------------------------------------------------------------------------

    def identity_loader(self, func: IdentityLoader) -> IdentityLoader:
        """Register ``func(account_id) -> Identity | None`` (usable as a decorator)."""
        self._identity_loader = func
        return func

    def account_resolver(self, func: AccountResolver) -> AccountResolver:
        """Register ``func(oidc_claims) -> account_id | None`` for the plugin's SSO login."""
        self._account_resolver = func
        return func

    def org_members_loader(self, func: OrgMembersLoader) -> OrgMembersLoader:
        """Register ``func(org_id) -> iterable of account ids``: who an organisation's training
        policy applies to (usable as a decorator)."""
        self._org_members_loader = func
        return func

    def account_finder(self, func: Callable[[str], str | None]) -> Callable[[str], str | None]:
        """Register ``func(email) -> account_id | None``: the account whose e-mail address is
        exactly this one (support's search by e-mail; without it, staff search by reference
        only). Usable as a decorator."""
        self._account_finder = func
        return func

    def find_account(self, email: str) -> str | None:
        """The account with this exact e-mail address, if the host registered a finder."""
        if self._account_finder is None:
            return None
        found = self._account_finder(email)
        return str(found) if found is not None else None

    def org_members(self, org_id: str) -> list[str]:
        if self._org_members_loader is None:
            raise RuntimeError("Organisation training policies need an org_members_loader: "
                               "register one with @selfservice.org_members_loader")
        return [str(account_id) for account_id in self._org_members_loader(org_id)]

    def membership_changed(self, account_id: str) -> None:
        """Tell the plugin an account joined or left an organisation (or changed role there),
        so the organisation's training policy starts or stops applying to it now. Call it in
        an application context, after the host's change is committed."""
        org_training_policy.sync_membership(account_id)

    def lookup_connection(self) -> AbstractContextManager[Connection]:
        """A connection to the plugin's database for a few plain reads by key, shared during a
        request with the plugin's own lookups (the sign-in session, the preferences): a host
        that gave the plugin its engine (``SELFSERVICE_ENGINE``) can load its user on it, one
        pooled connection per request instead of one per lookup. Use it as a context manager,
        in an application context; outside a request it checks out a connection of its own.
        """
        return get_state().db.lookup_connection()

    def load_identity(self, account_id: str) -> Identity | None:
        if self._identity_loader is None:
            raise RuntimeError("SelfService needs an identity_loader: register one with "
                               "@selfservice.identity_loader")
        return self._identity_loader(account_id)

    def resolve_account(self, claims: Mapping[str, Any]) -> str | None:
        if self._account_resolver is None:
            raise RuntimeError("SelfService's SSO needs an account_resolver: register one with "
                               "@selfservice.account_resolver")
        return self._account_resolver(claims)

    def register_source(self, source: DataSource) -> DataSource:
        return self.sources.register(source)

    def source(self, **attrs: Any) -> Callable[[Exporter], Exporter]:
        return self.sources.source(**attrs)

    # -- deletion and retention (see deletion_hooks.py) ------------------------------------------

    def eraser(self, source_name: str) -> Callable[[Eraser], Eraser]:
        """Register ``fn(subject) -> int`` as the eraser of a source: it erases (or, for a
        source declared ``erasure="anonymise"``, anonymises) one bounded batch of the subject's
        records and returns how many; it is called until it returns 0."""
        return self.sources.eraser(source_name)

    def account_eraser(self, func: Callable[[str], None]) -> Callable[[str], None]:
        """Register ``fn(account_id)``: delete the account itself, after every source."""
        self.deletion.account_eraser = func
        return func

    def deletion_lock(self, func: Callable[[str], None]) -> Callable[[str], None]:
        """Register ``fn(account_id)``, called when a deletion is confirmed (revoke API keys,
        stop running work). The plugin ends the account's sessions itself."""
        self.deletion.lock = func
        return func

    def deletion_restore(self, func: Callable[[str], None]) -> Callable[[str], None]:
        """Register ``fn(account_id)``: undo the lock when the customer cancels in time."""
        self.deletion.restore = func
        return func

    def deletion_blockers(self, func: Callable[[str], Iterable[Blocker]]
                          ) -> Callable[[str], Iterable[Blocker]]:
        """Register ``fn(account_id) -> iterable of Blocker``: what stops a deletion now
        (several may be registered)."""
        self.deletion.blocker_checks.append(func)
        return func

    def erasure_recipient(self, name: str, description: str
                          ) -> Callable[[Callable[[str], str | None]],
                                        Callable[[str], str | None]]:
        """Decorator: ``fn(account_id) -> reference | None`` tells a processor (CRM, e-mail
        service...) to erase the account; it must be idempotent."""

        def decorator(func: Callable[[str], str | None]) -> Callable[[str], str | None]:
            self.deletion.add_recipient(Recipient(name, description, func))
            return func

        return decorator

    def sweeper(self, source_name: str, rule: str, *, days: int, description: str,
                count: SweepCount) -> Callable[[Any], Any]:
        """Decorator: ``fn(cutoff, held_account_ids, batch) -> int`` deletes up to ``batch``
        records of the rule older than ``cutoff`` (``days`` ago), sparing held accounts;
        ``count(cutoff, held_account_ids)`` says how many it would (for the plan)."""

        def decorator(func: Any) -> Any:
            self.deletion.add_rule(RetentionRule(source_name, rule, days, description, func,
                                                 count))
            return func

        return decorator

    # -- set-up ---------------------------------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        """Set the plugin up on ``app``.

        Reads the ``SELFSERVICE_*`` keys (``flask selfservice config`` and README list every one
        with its default; an unknown key is an error): database (``DATABASE_URL``, ``ENGINE``,
        ``ENGINE_OPTIONS``, ``VERSION_TABLE``), mount points (``REGISTER_BLUEPRINTS``,
        ``URL_PREFIX``, ``API_URL_PREFIX``, ``AUTH_URL_PREFIX``, ``BASE_TEMPLATE``,
        ``HOME_ENDPOINT``, ``ERROR_PAGES``), identity (``SSO_ENABLED``, ``OIDC_*``,
        ``REAUTH_MAX_AGE``, ``REAUTH_ENDPOINT``, ``CSRF_HEADER``, ``SERVICE_TOKENS``,
        ``SUPPORT_ROLE``, ``PRIVACY_OFFICER_ROLE``) and background work (``REDIS_URL``,
        ``QUEUE_NAME``, ``QUEUE_PREFIX``, ``JOB_*``, ``DISPATCH_INTERVAL``,
        ``REDIS_SOCKET_TIMEOUT``, ``WORKER_HEARTBEAT_TTL``, ``ENQUEUE_ON_COMMIT``).
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("SelfService is already registered on this application; "
                               "init_app must be called once per app.")
        # the key signs the session cookie: who knows it can be anyone (sessions and CSRF)
        weak = config_module.check_secret_key(app.config.get("SECRET_KEY"),
                                              development=app.debug or app.testing)
        if weak:
            logger.warning("SECRET_KEY %s: allowed only because the app is in debug or "
                           "testing mode", weak)
        config_module.apply_defaults(app.config)

        def cfg(key: str) -> Any:
            return config_module.setting(app.config, key)

        db = Database(app, cfg("DATABASE_URL"), cfg("ENGINE"), dict(cfg("ENGINE_OPTIONS")))
        queue = JobQueue(cfg("REDIS_URL"), cfg("QUEUE_NAME"), cfg("QUEUE_PREFIX"),
                         cfg("REDIS_SOCKET_TIMEOUT"), cfg("JOB_TIMEOUT"),
                         cfg("WORKER_HEARTBEAT_TTL"))
        state = SelfServiceState(extension=self, config=app.config, db=db, queue=queue,
                                 instance_path=app.instance_path)
        job_functions.register(state.jobs)
        state.limiter = rate_limits.create_limiter(app, cfg("REDIS_URL"),
                                                   f"{cfg('QUEUE_PREFIX')}-limits",
                                                   cfg("REDIS_SOCKET_TIMEOUT"))
        app.extensions[EXTENSION_KEY] = state
        if cfg("RECEIPT_KEY"):
            # a configured receipt key that cannot sign stops the app now, not at the first
            # receipt a customer downloads
            state.receipt_key = key_from_setting(cfg("RECEIPT_KEY"), "")
        self._init_dpa(app, state)
        with app.app_context():  # a bad cookie registry stops the app now
            cookie_registry()
        for change in subprocessors.changes(app.config):  # allowed, with a reason: said aloud
            if change.effective_at > utcnow().date() and subprocessors.short_notice(app.config,
                                                                                change):
                logger.warning("sub-processor change %s gives %d days' notice, less than "
                               "SELFSERVICE_SUBPROCESSOR_NOTICE_DAYS, because: %s", change.id,
                               change.notice_days, change.short_notice_reason)
        self._register_own_sources(cfg("ERASED_PROOF_RETENTION_DAYS"))

        db.on_after_commit(outbox.enqueue_after_commit)
        event.listen(db.sessionmaker, "after_soft_rollback", outbox.forget_uncommitted)

        self._init_login(app)
        translation.init_app(app)  # Flask-Babel, the plugin's catalogue in every template
        # a user whose server-side session has ended is logged out before any view runs, and a
        # host's own logout_user() ends the session on the server
        app.before_request(check_session)
        # a change made through the plugin records the language it was made in (e-mails)
        app.after_request(note_language)
        user_logged_out.connect(end_on_logout, app)
        app.jinja_env.globals.setdefault("selfservice_base_template", cfg("BASE_TEMPLATE"))
        # the plugin's forms post a CSRF token whether or not the host uses CSRFProtect
        app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
        app.jinja_env.globals.setdefault("selfservice_identity", current_identity)
        # sizes, numbers and dates people read, in their language, in pages and e-mails (the
        # worker renders e-mails too)
        formatting.init_app(app)
        app.cli.add_command(cli)

        if cfg("REGISTER_BLUEPRINTS"):
            for blueprint, prefix in self.blueprints(app):
                app.register_blueprint(blueprint, url_prefix=prefix)
        if cfg("ERROR_PAGES") == "app":  # the host's routes get the plugin's error page too
            error_pages.register_app_wide(app)

    @staticmethod
    def _init_dpa(app: Flask, state: SelfServiceState) -> None:
        """A DPA signing key that cannot sign, or a version whose template is missing or
        broken, stops the app now, not when an admin signs."""
        if state.setting("DPA_SIGNING_KEY"):
            state.dpa_countersigner = load_countersigner(state.setting("DPA_SIGNING_KEY"),
                                                         state.setting("DPA_SIGNING_CERT"))
        elif state.setting("DPA_VERSIONS"):
            logger.warning("SELFSERVICE_DPA_SIGNING_KEY is not set: organisations can read and "
                           "download the DPA but not sign it in the console")
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(TEMPLATE_FOLDER)]
        if app.jinja_loader is not None:
            loaders.insert(0, app.jinja_loader)
        templates = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True)
        for entry in state.setting("DPA_VERSIONS"):
            try:
                templates.get_template(entry["template"])
            except jinja2.TemplateError as exc:
                raise config_module.ConfigError(
                    f"SELFSERVICE_DPA_VERSIONS: the template of version {entry['version']!r} "
                    f"({entry['template']!r}) cannot be loaded: {exc}") from exc

    def _register_own_sources(self, proof_days: int) -> None:
        """The plugin's records are exported and erased like the host's."""
        for source in own_sources(proof_days):
            if source.name not in self.sources:
                self.sources.register(source)
        for name, eraser in own_erasers().items():
            if name not in self.sources.erasers:
                self.sources.register_eraser(name, eraser)

    def _init_login(self, app: Flask) -> None:
        manager: LoginManager | None = getattr(app, "login_manager", None)
        if manager is not None:
            return  # the host's own Flask-Login stays in charge; its get_id() is the account id
        if not config_module.setting(app.config, "SSO_ENABLED"):
            raise RuntimeError("SELFSERVICE_SSO_ENABLED is False but the app has no Flask-Login "
                               "LoginManager: the host must log its users in.")
        manager = LoginManager(app)
        manager.login_view = "selfservice_auth.login"
        manager.session_protection = "basic"

        @manager.user_loader
        def load_user(account_id: str) -> PrivacyUser | None:
            identity = self.load_identity(account_id)
            return PrivacyUser(identity) if identity is not None else None

    def blueprints(self, app: Flask) -> list[tuple[Blueprint, str]]:
        """The plugin's blueprints with their configured URL prefixes, for hosts that mount
        them themselves (``SELFSERVICE_REGISTER_BLUEPRINTS = False``)."""

        def cfg(key: str) -> Any:
            return config_module.setting(app.config, key)

        mounted = [
            (pages.create_blueprint(), cfg("URL_PREFIX")),
            (api.create_blueprint(), cfg("API_URL_PREFIX")),
        ]
        if cfg("SSO_ENABLED"):
            mounted.append((sso.create_blueprint(), cfg("AUTH_URL_PREFIX")))
        if cfg("GPC_WELL_KNOWN"):
            mounted.append((well_known.create_blueprint(), ""))
        return mounted

    @staticmethod
    def template_folder() -> str:
        """The folder of the plugin's templates (for a host's own Jinja loader)."""
        return TEMPLATE_FOLDER
