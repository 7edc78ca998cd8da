"""``flask selfservice dpa ...``: the privacy officer's DPA tools at the command line (the
support console has the same upload at /privacy/support/dpa)."""

from __future__ import annotations

from typing import BinaryIO

import click
from flask.cli import AppGroup

from .schemas.base import InvalidInput
from .services import dpa_negotiated
from .state import get_state

dpa_cli = AppGroup("dpa", help="The Data Processing Addendum: negotiated DPAs.")


def _report(found: dpa_negotiated.Upload) -> None:
    row = found.row
    click.echo(f"stored negotiated DPA {row.id} for {row.org_name} ({row.org_id}): "
               f"\"{row.version_label}\", signed on {row.signed_on.isoformat()}")
    click.echo(f"  file: {row.size:,} bytes, {row.pages} page{'s' * (row.pages != 1)}, "
               f"SHA-256 {row.file_sha256}")
    if not found.facts.signatures:
        click.echo("  digital signatures: none (accepted: a scanned or hand-signed copy is "
                   "fine)")
    for signature in found.facts.signatures:
        when = (f", signed {signature.signed_at:%Y-%m-%d %H:%M} UTC" if signature.signed_at
                else "")
        state = "intact" if signature.intact else "NOT intact (changed after signing, or " \
                                                   "unreadable)"
        click.echo(f"  digital signature {signature.field}: {signature.signer}{when}; "
                   f"{state}")
    if found.request is not None:
        click.echo(f"  request {found.request.reference} completed; the customer was told")
    elif found.request_problem:
        click.echo(f"  request {row.request_reference} NOT completed: {found.request_problem}")


@dpa_cli.command("upload-negotiated")
@click.argument("org_id")
@click.argument("file", type=click.File("rb"))
@click.option("--version-label", required=True,
              help="What the parties call this version, e.g. \"Acme AI DPA, negotiated "
                   "2026-11\".")
@click.option("--signed-on", required=True, help="The day the last party signed: YYYY-MM-DD.")
@click.option("--request", "reference",
              help="The request for changes it answers (DR-…): it is completed, and the "
                   "customer told.")
@click.option("--officer", required=True,
              help="Account id of the privacy officer uploading it (recorded as who).")
def upload_negotiated(org_id: str, file: BinaryIO, version_label: str,
                      signed_on: str, reference: str | None, officer: str) -> None:
    """Keep FILE (a PDF both parties signed) as ORG_ID's negotiated DPA. It is stored as it
    is, never changed or deleted; its owners and admins can download it."""
    identity = get_state().extension.load_identity(officer)
    if identity is None:
        raise click.BadParameter(f"no account {officer!r}", param_hint="--officer")
    limit = dpa_negotiated.max_bytes()
    pdf = file.read(limit + 1)
    try:
        found = dpa_negotiated.upload(identity, org_id, pdf, version_label, signed_on,
                                      reference)
    except InvalidInput as exc:
        raise click.ClickException("nothing was stored: " + "; ".join(
            f"{field.replace('_', ' ')}: {message}" for field, message in exc.errors.items())
        ) from None
    except dpa_negotiated.UploadRefused as exc:
        raise click.ClickException(str(exc)) from None
    _report(found)
    raise SystemExit(1 if found.request_problem else 0)
