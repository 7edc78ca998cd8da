"""DPA jobs: the daily look for a new version in force, and the e-mail to each owner or admin
of an organisation that signed an earlier one (the account id and version name in)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selfservice.job_registry import JobContext, JobRefused
from selfservice.services import dpa_notices


def announce_version(ctx: JobContext) -> Mapping[str, Any]:
    return {"organisations_told": dpa_notices.announce_current()}


def new_version_mail(ctx: JobContext) -> Mapping[str, Any]:
    version, org_id = ctx.params.get("version"), ctx.params.get("org_id")
    if ctx.target_id is None or not isinstance(version, str) or not isinstance(org_id, str):
        raise JobRefused("the job names the account, the version and the organisation")
    return dpa_notices.send_new_version(ctx.target_id, version, org_id)
