"""The training pipeline's question, answered from the consent ledger: may an account's content
be used for training as of a settled moment (for a batch of ids, or every eligible account)?
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ..db import utcnow
from ..models import ConsentEvent, Purpose, SubjectType
from ..state import get_state


def _training_granted_at(as_of: datetime, subject: Any) -> Any:
    """Scalar subquery: the ``granted`` of ``subject``'s last training event at or before
    ``as_of`` (NULL when there is none)."""
    return (sa.select(ConsentEvent.granted)
            .where(ConsentEvent.subject_type == SubjectType.ACCOUNT.value,
                   ConsentEvent.subject_id == subject,
                   ConsentEvent.purpose == Purpose.TRAINING.value,
                   ConsentEvent.at <= as_of)
            .order_by(ConsentEvent.at.desc(), ConsentEvent.seq.desc())
            .limit(1)
            .scalar_subquery())


def _id_table(dialect: str, ids: Sequence[str]) -> Any:
    """The ids as a one-column table ``ids(account_id)`` from a single bound parameter (a JSON
    array: one C-encoded string, instead of 10,000 parameters or a driver-built array)."""
    param: sa.BindParameter[str] = sa.bindparam("ids", json.dumps(list(ids)))
    if dialect == "postgresql":
        elements = sa.func.jsonb_array_elements_text(sa.cast(param, JSONB))
    else:
        elements = sa.func.json_each(param)
    table = elements.table_valued("value")
    # PostgreSQL names the column in the FROM clause: ... AS ids(value)
    return table.render_derived(name="ids") if dialect == "postgresql" else table.alias("ids")


def settled_moment() -> datetime:
    """The latest moment eligibility can be answered for exactly: every change with an
    earlier time has committed (``SELFSERVICE_ELIGIBILITY_SETTLE``)."""
    return utcnow() - timedelta(seconds=float(get_state().setting("ELIGIBILITY_SETTLE")))


def training_eligibility(account_ids: Sequence[str], as_of: datetime) -> dict[str, bool]:
    """May each account's content be used for training as of ``as_of``? From the ledger, so
    a past time gets the answer that was true then; the organisations' policies are on the
    members' chains. Accounts the ledger does not know are not eligible."""
    eligible = dict.fromkeys(account_ids, False)
    if not eligible:
        return eligible
    engine = get_state().db.engine
    # in key order, the index probes walk the index forwards
    ids = _id_table(engine.dialect.name, sorted(eligible))
    column = ids.c.value
    query = sa.select(column).where(_training_granted_at(as_of, column).is_(sa.true()))
    with engine.connect() as connection:
        for (account_id,) in connection.execute(query):
            eligible[account_id] = True
    return eligible


def eligible_accounts(as_of: datetime, batch: int = 5000) -> Iterator[str]:
    """Every account eligible for training as of ``as_of``, in id order, streamed."""
    candidates = (sa.select(ConsentEvent.subject_id)
                  .where(ConsentEvent.subject_type == SubjectType.ACCOUNT.value,
                         ConsentEvent.purpose == Purpose.TRAINING.value,
                         ConsentEvent.granted.is_(True), ConsentEvent.at <= as_of)
                  .distinct().subquery("candidates"))
    query = (sa.select(candidates.c.subject_id)
             .where(_training_granted_at(as_of, candidates.c.subject_id).is_(sa.true()))
             .order_by(candidates.c.subject_id))
    engine = get_state().db.engine
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=batch
                                              ).execute(query)
        for (account_id,) in result:
            yield account_id
