"""``flask selfservice ...``: database, sources, settings, the audit trail, the consent ledger,
cookie consent (the worker, dispatcher, health and ping commands live in cli_jobs, the
retention, legal-hold and deletion groups in cli_retention and cli_deletion, the DPA group
in cli_dpa)."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import AppGroup

from . import config as config_module
from . import host_texts, migrate
from .cli_deletion import deletion_cli
from .cli_dpa import dpa_cli
from .cli_jobs import dispatch, health, ping, worker
from .cli_retention import holds_cli, retention_cli
from .models import Purpose
from .services import (
    audit,
    consent,
    consent_types,
    consent_verification,
    cookie_consent,
    eligibility,
    org_training_policy,
)
from .state import get_state

cli = AppGroup("selfservice", help="Privacy self-service plugin.")
db_cli = AppGroup("db", help="The plugin's tables (Alembic, own version table).")
cli.add_command(db_cli)
cli.add_command(retention_cli)
cli.add_command(holds_cli)
cli.add_command(deletion_cli)
for _command in (worker, dispatch, health, ping):
    cli.add_command(_command)
cli.add_command(dpa_cli)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
def db_upgrade(revision: str, sql: bool) -> None:
    """Create or upgrade the plugin's tables."""
    migrate.upgrade(revision, sql=sql)
    if not sql:
        click.echo(f"selfservice schema at {migrate.current()}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the plugin's tables to REVISION ("base" drops them)."""
    migrate.downgrade(revision)
    click.echo(f"selfservice schema at {migrate.current()}")


@db_cli.command("current")
def db_current() -> None:
    click.echo(migrate.current() or "(empty)")


@db_cli.command("heads")
def db_heads() -> None:
    for head in migrate.heads():
        click.echo(head)


@cli.command("sources")
def sources() -> None:
    """List the registered data sources and what deletion does to each (erase, anonymise,
    retain, or manual: no eraser, a privacy officer confirms it by hand)."""
    registry = get_state().extension.sources
    click.echo(f"{'SOURCE':28} {'LEGAL BASIS':22} {'ON DELETION':11} RETENTION")
    for source in registry:
        erasure = registry.erasure_of(source)
        click.echo(f"{source.name:28} {source.legal_basis:22} {erasure:11} {source.retention}")
        if erasure == "retain" and source.erasure_reason:
            click.echo(f"{'':28} {'':22} {'':11} kept: {source.erasure_reason}")


@cli.command("texts")
@click.option("--output", "output", type=click.Path(dir_okay=False),
              help="Write the template here (default: print it).")
def texts(output: str | None) -> None:
    """The host's own texts the plugin shows (sources, cookies, sub-processors, DPA measures)
    as a message template (.pot), to translate in the host's Flask-Babel catalogue."""
    state = get_state()
    written = host_texts.template(state.config, state.extension)
    if output:
        with open(output, "wb") as handle:
            handle.write(written)
    else:
        click.echo(written.decode(), nl=False)


@cli.command("config")
@click.option("--markdown", is_flag=True, help="README's table of settings.")
def show_config(markdown: bool) -> None:
    """Every SELFSERVICE_* setting: default and meaning (or current values)."""
    if markdown:
        click.echo("| key | default | meaning |\n|---|---|---|")
        for key, (default, text) in config_module.SETTINGS.items():
            click.echo(f"| `SELFSERVICE_{key}` | `{default!r}` | {text} |")
        return
    state = get_state()
    for key in config_module.SETTINGS:
        value = state.setting(key)
        if key in config_module.SECRET_SETTINGS and value:
            value = "(set)"
        click.echo(f"SELFSERVICE_{key} = {value!r}")


# -- the audit trail -------------------------------------------------------------------------

audit_cli = AppGroup("audit", help="The audit trail: verify it.")
cli.add_command(audit_cli)


@audit_cli.command("verify")
@click.option("--stream", help="Only this stream (e.g. account:<id>).")
def audit_verify(stream: str | None) -> None:
    """Check every stream of the audit trail (its hash chain, and its end against its recorded
    head). Exit status 1 if an event was edited, deleted or reordered anywhere."""
    total = broken = 0
    for name, report in audit.verify_trail(stream):
        total += 1
        if not report.valid:
            broken += 1
            click.echo(f"BROKEN {name} at seq {report.first_bad_seq}: {report.reason}")
    click.echo(f"{total - broken} of {total} streams verify")
    raise SystemExit(1 if broken else 0)


# -- the consent ledger -----------------------------------------------------------------------

consent_cli = AppGroup("consent", help="The consent ledger: verify, record, export.")
cli.add_command(consent_cli)


def _parse_time(value: str | None) -> Any:
    """A settled moment to answer eligibility for (see SELFSERVICE_ELIGIBILITY_SETTLE)."""
    settled = eligibility.settled_moment()
    if value is None:
        return settled
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time with its UTC offset (Z or +hh:mm)")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise click.BadParameter("the time is out of range") from None
    if moment > settled:
        raise click.BadParameter("the time must lie in the past, by at least "
                                 "SELFSERVICE_ELIGIBILITY_SETTLE seconds")
    return moment


@consent_cli.command("verify")
@click.option("--account", "account_id", help="Only this account's chain.")
@click.option("--org", "org_id", help="Only this organisation's chain.")
def consent_verify(account_id: str | None, org_id: str | None) -> None:
    """Check the hash chains (every one by default). Exit status 1 if any is broken."""
    if account_id or org_id:
        subjects = [("account", account_id)] if account_id else []
        subjects += [("organisation", org_id)] if org_id else []
        reports = [(t, s, consent_verification.verify_subject(t, s)) for t, s in subjects if s]
    else:
        reports = list(consent_verification.verify_all())
    broken = [(t, s, r) for t, s, r in reports if not r.valid]
    for subject_type, subject_id, report in broken:
        click.echo(f"BROKEN {subject_type}:{subject_id} at seq {report.first_bad_seq}: "
                   f"{report.reason}")
    click.echo(f"{len(reports) - len(broken)} of {len(reports)} chains verify")
    raise SystemExit(1 if broken else 0)


@consent_cli.command("record-agreement")
@click.argument("account_id")
@click.option("--purpose", type=click.Choice(["training", "marketing_emails",
                                              "limit_sensitive_data", "do_not_sell_or_share"]),
              default="training", show_default=True)
@click.option("--granted/--withdrawn", required=True,
              help="What the written agreement says.")
@click.option("--document", required=True, help="Reference of the signed document.")
@click.option("--officer", "officer_id", required=True,
              help="Account id of the privacy officer recording it.")
def consent_record_agreement(account_id: str, purpose: str, granted: bool, document: str,
                             officer_id: str) -> None:
    """Record a choice a customer made in writing (method written_agreement)."""
    try:
        event = consent.record_written_agreement(account_id, Purpose(purpose), granted,
                                                 document=document, officer_id=officer_id)
    except consent_types.TrainingLocked as exc:
        raise click.ClickException(
            f"training is decided by organisation {exc.policy.org_id}'s policy "
            f"({exc.policy.policy}); it must let members choose first") from None
    except consent_types.ConsentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"recorded {event.id} ({purpose}={'yes' if granted else 'no'}, seq {event.seq})")


@consent_cli.command("eligible")
@click.option("--as-of", "as_of", help="ISO 8601 time with offset; default: now.")
@click.option("--output", "output", required=True, type=click.Path(dir_okay=False),
              help="File to write, one account id per line ('-' for standard output).")
def consent_eligible(as_of: str | None, output: str) -> None:
    """Write the ids of every account whose content may be used for training as of a time."""
    moment = _parse_time(as_of)
    count = 0
    if output == "-":
        for account_id in eligibility.eligible_accounts(moment):
            sys.stdout.write(account_id + "\n")
            count += 1
    else:
        folder = os.path.dirname(os.path.abspath(output))
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".eligible-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for account_id in eligibility.eligible_accounts(moment):
                    handle.write(account_id + "\n")
                    count += 1
            os.replace(temp, output)  # whole or not at all
        except BaseException:
            os.unlink(temp)
            raise
    click.echo(f"{count} eligible accounts as of {moment.isoformat()}", err=True)


@consent_cli.command("sync-membership")
@click.argument("account_ids", nargs=-1, required=True)
def consent_sync_membership(account_ids: tuple[str, ...]) -> None:
    """Apply organisation policies after membership changes made outside the console."""
    for account_id in account_ids:
        event = org_training_policy.sync_membership(account_id)
        click.echo(f"{account_id}: {'updated' if event else 'unchanged'}")


cookies_cli = AppGroup("cookies", help="Cookie consent records.")
cli.add_command(cookies_cli)


@cookies_cli.command("sweep")
def cookies_sweep() -> None:
    """Delete consent records past SELFSERVICE_COOKIE_CONSENT_RETENTION_DAYS (whole chains)."""
    click.echo(f"{cookie_consent.sweep()} records deleted")


@cookies_cli.command("verify")
@click.argument("consent_id")
def cookies_verify(consent_id: str) -> None:
    """Check one consent id's hash chain. Exit status 1 if it is broken."""
    report = cookie_consent.verify(consent_id)
    click.echo(f"{consent_id}: {'valid' if report.valid else 'BROKEN: ' + str(report.reason)}"
               f" ({report.records} records)")
    raise SystemExit(0 if report.valid else 1)
