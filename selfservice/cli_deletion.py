"""``flask selfservice deletion ...``: what support and privacy officers do with an erasure:
print its signed certificate, see its steps, confirm a manual step, resume a failed one."""

from __future__ import annotations

import getpass
import json

import click
from flask.cli import AppGroup

from .services import certificates, erasure_officer

deletion_cli = AppGroup("deletion", help="Account deletions: certificates, steps, retries.")


def _officer() -> str:
    """Who runs the command, for the audit trail (the operating-system user)."""
    return f"cli:{getpass.getuser()}"[:64]


@deletion_cli.command("certificate")
@click.argument("reference")
def certificate(reference: str) -> None:
    """Print the signed certificate of the deletion REFERENCE (verify it with
    ``python -m selfservice.receipts verify FILE jwks.json``)."""
    document = certificates.lookup(reference)
    if document is None:
        raise click.ClickException(f"No completed deletion has the reference {reference!r}.")
    click.echo(json.dumps(document, indent=2, sort_keys=True))


@deletion_cli.command("status")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(reference: str, as_json: bool) -> None:
    """The deletion REFERENCE and each of its steps: status and counts."""
    try:
        report = erasure_officer.status(reference)
    except erasure_officer.ErasureProblem as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{report['reference']}: {report['status']} ({report['progress']}%) "
               f"{report['step']}")
    if report["reason"]:
        click.echo(f"  reason: {report['reason']}")
    click.echo(f"  {'#':>3} {'KIND':9} {'NAME':28} {'ACTION':9} {'STATUS':9} "
               f"{'PLANNED':>8} {'BEFORE':>8} {'RECORDS':>8}")
    for step in report["steps"]:
        click.echo(f"  {step['position']:>3} {step['kind']:9} {step['name']:28} "
                   f"{step['action']:9} {step['status']:9} {_n(step['planned']):>8} "
                   f"{_n(step['before']):>8} {_n(step['records']):>8}")
        if step["error"]:
            click.echo(f"      error: {step['error']}")


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


@deletion_cli.command("confirm-step")
@click.argument("reference")
@click.argument("source")
@click.option("--note", default="", help="What was done, for the record (no personal data).")
def confirm_step(reference: str, source: str, note: str) -> None:
    """Confirm that the manual step SOURCE of the deletion REFERENCE was erased by hand; the
    erasure then goes on."""
    try:
        erasure_officer.confirm_manual(reference, source, _officer(), note)
    except erasure_officer.ErasureProblem as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{reference}: {source} confirmed; erasure continues")


@deletion_cli.command("retry")
@click.argument("reference")
def retry(reference: str) -> None:
    """Resume the failed deletion REFERENCE where it stopped."""
    try:
        erasure_officer.retry(reference, _officer())
    except erasure_officer.ErasureProblem as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{reference}: resumed")
