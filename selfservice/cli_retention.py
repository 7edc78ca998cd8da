"""``flask selfservice retention ...`` and ``flask selfservice holds ...``: the retention
sweeps (what the next one would delete, run one, the record of past ones) and legal holds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

import click
from flask.cli import AppGroup

from .schemas.base import InvalidInput
from .services import legal_holds, retention

retention_cli = AppGroup("retention", help="Retention sweeps (section 5 of the policy).")
holds_cli = AppGroup("holds", help="Legal holds: data kept from sweeps and erasure.")


def _table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows,
                                                                        strict=False)]
    for line in [headers, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths,
                                                                           strict=True))
                   .rstrip())


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


# -- retention --------------------------------------------------------------------------------

@retention_cli.command("plan")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def retention_plan(as_json: bool) -> None:
    """What the next sweep would delete now, rule by rule (nothing is deleted)."""
    planned = retention.plan()
    if as_json:
        _echo_json([item.as_dict() for item in planned])
        return
    if not planned:
        click.echo("No retention rules are registered.")
        return
    _table([[p.name, str(p.days), p.cutoff.strftime("%Y-%m-%d %H:%M"), str(p.due),
             str(p.held_accounts), p.description] for p in planned],
           ["rule", "days", "cutoff (UTC)", "due", "held accounts", "description"])
    click.echo(f"{sum(p.due for p in planned)} records due; nothing was deleted.")


@retention_cli.command("sweep")
@click.option("--rule", "rule_name", help="Only this rule (source.rule).")
def retention_sweep(rule_name: str | None) -> None:
    """Run the sweeps now (every rule, or one). Exit status 1 if any failed."""
    try:
        sweeps = ([retention.sweep(retention.find_rule(rule_name))] if rule_name
                  else retention.sweep_all())
    except retention.UnknownRule as exc:
        raise click.BadParameter(str(exc), param_hint="--rule") from None
    for row in sweeps:
        outcome = (f"{row.deleted} of {row.planned} removed, {row.held_accounts} accounts "
                   "held")
        if row.status == "failed":
            outcome += f"; FAILED: {row.error}"
        click.echo(f"{row.source}.{row.rule}: {outcome}")
    raise SystemExit(1 if any(row.status == "failed" for row in sweeps) else 0)


@retention_cli.command("history")
@click.option("--rule", "rule_name", help="Only this rule (source.rule).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def retention_history(rule_name: str | None, limit: int, as_json: bool) -> None:
    """The latest sweeps, newest first."""
    rows = retention.history(limit, rule_name)
    if as_json:
        _echo_json([retention.sweep_as_dict(row) for row in rows])
        return
    _table([[row.started_at.strftime("%Y-%m-%d %H:%M:%S"), f"{row.source}.{row.rule}",
             row.status, str(row.planned), str(row.deleted), str(row.held_accounts),
             row.error or ""] for row in rows],
           ["started (UTC)", "rule", "status", "planned", "deleted", "held accounts", "error"])


# -- legal holds ------------------------------------------------------------------------------

def _review_date(value: str) -> datetime:
    """A date (the start of that day, UTC) or an ISO 8601 time with its offset."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 "
                                 "time", param_hint="--review-date") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time with its UTC offset (Z or +hh:mm)",
                                 param_hint="--review-date")
    return moment.astimezone(UTC)


def _refused(exc: InvalidInput) -> click.ClickException:
    return click.ClickException("; ".join(f"{field}: {message}"
                                          for field, message in exc.errors.items()))


def _actor_type(officer: str | None) -> str:
    return legal_holds.PRIVACY_OFFICER if officer else legal_holds.OPERATOR


@holds_cli.command("place")
@click.argument("account_id")
@click.option("--reason", required=True, help="Why the data must be kept (plain text).")
@click.option("--review-date", "review", required=True,
              help="When to look at the hold again: YYYY-MM-DD or an ISO 8601 time.")
@click.option("--source", "sources", multiple=True,
              help="Only this source (repeat for several; default: every source).")
@click.option("--officer", help="Account id of the privacy officer placing it.")
def holds_place(account_id: str, reason: str, review: str, sources: tuple[str, ...],
                officer: str | None) -> None:
    """Keep ACCOUNT_ID's data from retention sweeps and erasure until released."""
    try:
        hold = legal_holds.place(account_id, reason, _review_date(review),
                                 list(sources) or None, officer,
                                 actor_type=_actor_type(officer))
    except InvalidInput as exc:
        raise _refused(exc) from None
    scope = ", ".join(hold.sources) if hold.sources else "every source"
    click.echo(f"placed {hold.id} on {hold.account_id} ({scope}); review by "
               f"{hold.review_at.date().isoformat()}")


@holds_cli.command("release")
@click.argument("hold_id")
@click.option("--reason", required=True, help="Why the hold ends (plain text).")
@click.option("--officer", help="Account id of the privacy officer releasing it.")
def holds_release(hold_id: str, reason: str, officer: str | None) -> None:
    """End a legal hold: its data follows the retention schedule again."""
    try:
        hold = legal_holds.release(hold_id, reason, officer, actor_type=_actor_type(officer))
    except InvalidInput as exc:
        raise _refused(exc) from None
    except legal_holds.HoldNotFound:
        raise click.ClickException(f"no legal hold {hold_id!r}") from None
    except legal_holds.AlreadyReleased as exc:
        raise click.ClickException(f"{hold_id} was already released on "
                                   f"{exc.hold.released_at}") from None
    click.echo(f"released {hold.id} on {hold.account_id}")


@holds_cli.command("list")
@click.option("--account", "account_id", help="Only this account's holds.")
@click.option("--all", "every", is_flag=True, help="Released holds too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def holds_list(account_id: str | None, every: bool, as_json: bool) -> None:
    """Legal holds in force (with --all, released ones too), newest first."""
    holds = legal_holds.list_holds(account_id, active_only=not every)
    if as_json:
        _echo_json([legal_holds.as_dict(hold) for hold in holds])
        return
    _table([[hold.id, hold.account_id, ", ".join(hold.sources or ["(every source)"]),
             hold.placed_at.strftime("%Y-%m-%d"), hold.review_at.strftime("%Y-%m-%d"),
             "active" if hold.released_at is None else "released", hold.reason[:60]]
            for hold in holds],
           ["id", "account", "sources", "placed", "review", "status", "reason"])
