"""The training pipeline's as-of question at scale, for `make bench`.

100,000 accounts with 1,000,000 consent events on PostgreSQL (ten per account, over two years,
valid hash chains): how long ``eligibility.training_eligibility`` takes for a batch of 10,000 ids
as of a past time, against reading the same 10,000 booleans by primary key from a plain
one-row-per-account table, in the same run and through the same engine.

``python -m devtools.bench_consent`` runs it alone (its own PostgreSQL) and prints the entry;
``--explain`` adds the plans of both queries, ``--accounts N`` a smaller data set.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects.postgresql import ARRAY

from devtools.services import running_postgres
from selfservice.ledger import _CONSENT_FIELDS, GENESIS, chain_hash
from selfservice.services import eligibility

ACCOUNTS = 100_000
EVENTS_PER_ACCOUNT = 10
BATCH = 10_000
WARMUP = 3
RUNS = 15
TARGET = 2.0
SEED = 20_250_701
#: fixed, so the data (and its hashes) are the same on every run
HISTORY_START = datetime(2023, 7, 1, tzinfo=UTC)
HISTORY_END = HISTORY_START + timedelta(days=730)
#: accounts sign up during the first 18 months, then change things until the end
SIGNUP_SPAN = timedelta(days=548)
AS_OF = HISTORY_START + timedelta(days=365)
POLICY_VERSIONS = [(HISTORY_START, "2023-07"),
                   (datetime(2024, 3, 1, tzinfo=UTC), "2024-03"),
                   (datetime(2025, 1, 15, tzinfo=UTC), "2025-01")]
#: how many of an account's ten events are about training (0: never chose) and how often
TRAINING_EVENTS = {0: 10, 1: 30, 2: 25, 3: 15, 4: 10, 6: 7, 8: 3}
OTHER_PURPOSES = ("marketing_emails", "limit_sensitive_data", "do_not_sell_or_share")
ORG_MEMBER_SHARE = 0.08
ORGS = 500
COLUMNS = ("id", "subject_type", "subject_id", "seq", "purpose", "granted", "method",
           "policy_version", "actor_type", "actor_id", "at", "details", "prev_hash", "hash")
#: what the hash covers: exactly what the ledger's consent_content covers
HASHED = COLUMNS[:-2]
if set(HASHED) != set(_CONSENT_FIELDS):
    raise RuntimeError("the ledger hashes other consent fields now: update COLUMNS")

FLAGS_TABLE = "bench_training_flags"
BASELINE_SQL = sa.text(f"SELECT account_id, eligible FROM {FLAGS_TABLE} "  # noqa: S608
                       "WHERE account_id = ANY(:ids)").bindparams(
    sa.bindparam("ids", type_=ARRAY(sa.String)))


def log(message: str) -> None:
    print(f"[bench_consent] {message}", file=sys.stderr, flush=True)


# -- the data ---------------------------------------------------------------------------------

@dataclass
class Account:
    """One generated account: its chain's rows, its training history, its projection."""

    account_id: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    #: (at, seq, granted) of every training event, in chain order
    training: list[tuple[datetime, int, bool]] = field(default_factory=list)
    values: dict[str, bool] = field(default_factory=dict)
    own_training: bool = False
    training_org_id: str | None = None
    gpc_at: datetime | None = None


def _policy_version(at: datetime) -> str:
    return [version for since, version in POLICY_VERSIONS if since <= at][-1]


def _event_times(rng: Random) -> list[datetime]:
    """Ten non-decreasing times: a few share their predecessor's (one transaction changing
    two preferences), a few sit exactly on AS_OF (the boundary ``at <= as_of`` includes)."""
    start = HISTORY_START + SIGNUP_SPAN * rng.random()
    span = HISTORY_END - start
    times = sorted(start + span * rng.random() for _ in range(EVENTS_PER_ACCOUNT))
    for i in range(1, len(times)):
        if rng.random() < 0.05:
            times[i] = times[i - 1]
    if rng.random() < 0.02 and times[0] <= AS_OF < times[-1]:
        times[bisect.bisect_right(times, AS_OF) - 1] = AS_OF
    return times


def _generate_account(rng: Random, number: int) -> Account:
    account = Account(f"acct-{number:06d}-{rng.getrandbits(32):08x}")
    times = _event_times(rng)
    training_count = rng.choices(list(TRAINING_EVENTS), weights=list(TRAINING_EVENTS.values()))[0]
    training_at = set(rng.sample(range(EVENTS_PER_ACCOUNT), training_count))
    # org members: one of their training events is their organisation's policy reaching them
    org_event = (rng.choice(sorted(training_at))
                 if training_at and rng.random() < ORG_MEMBER_SHARE else None)
    prev = GENESIS
    for index, at in enumerate(times):
        seq = index + 1
        actor_type, actor_id = "account", account.account_id
        details: dict[str, Any] = {}
        if index in training_at:
            purpose = "training"
            if index == org_event:
                org_id = f"org-{rng.randrange(ORGS):04d}"
                granted = rng.random() < 0.5
                method = "org_policy"
                actor_id = f"acct-admin-{org_id}"
                details = {"org_id": org_id, "member": True,
                           "org_policy": "opted_in" if granted else "opted_out"}
                account.training_org_id = org_id
            else:
                # the ledger records changes only: each own choice flips the value
                granted = not account.values.get(purpose, False)
                method = rng.choices(("console", "api", "written_agreement"), (70, 25, 5))[0]
                if method == "written_agreement":
                    actor_id = "acct-privacy-officer"
                    details = {"document": f"DPA-{rng.randrange(10_000):04d}"}
                account.own_training = granted
                account.training_org_id = None
            account.training.append((at, seq, granted))
        else:
            purpose = rng.choice(OTHER_PURPOSES)
            granted = not account.values.get(purpose, False)
            method = rng.choices(("console", "api"), (75, 25))[0]
            if purpose == "do_not_sell_or_share" and granted and account.gpc_at is None \
                    and rng.random() < 0.3:
                method, actor_type, actor_id = "gpc", "system", None
                details = {"signal": "Sec-GPC: 1"}
                account.gpc_at = at
        account.values[purpose] = granted
        content = {"id": f"{rng.getrandbits(128):032x}", "subject_type": "account",
                   "subject_id": account.account_id, "seq": seq, "purpose": purpose,
                   "granted": granted, "method": method, "policy_version": _policy_version(at),
                   "actor_type": actor_type, "actor_id": actor_id, "at": at,
                   "details": details}
        digest = chain_hash(prev, content)
        account.rows.append((*(content[name] for name in HASHED), prev, digest))
        prev = digest
    return account


def generate(accounts: int, seed: int = SEED) -> Iterator[Account]:
    rng = Random(seed)
    for number in range(accounts):
        yield _generate_account(rng, number)


def eligible_as_of(training: Sequence[tuple[datetime, int, bool]], as_of: datetime) -> bool:
    """Brute force: the ``granted`` of the last training event at or before ``as_of``."""
    before = [event for event in training if event[0] <= as_of]
    return max(before)[2] if before else False


# -- loading ----------------------------------------------------------------------------------

def _copy(connection: Any, table: str, columns: Sequence[str],
          rows: Iterator[Sequence[Any]]) -> int:
    count = 0
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def load(engine: sa.Engine, accounts: list[Account], flags: dict[str, bool]) -> None:
    """COPY the events (in time order across accounts, as a live ledger's heap would be), the
    preferences projections and the baseline's flags, then VACUUM ANALYZE all three (what
    autovacuum does after a bulk insert; it also lets index-only scans skip the heap)."""
    at_index = COLUMNS.index("at")
    events = sorted((row for account in accounts for row in account.rows),
                    key=lambda row: row[at_index])
    json_index = COLUMNS.index("details")
    with engine.begin() as sa_connection:
        # PostgresServer runs with synchronous_commit=off; VACUUM does not mark the pages of
        # a transaction whose commit is not flushed yet all-visible (no hint bits), and
        # index-only scans would then visit the heap. Commit the load as production would.
        sa_connection.exec_driver_sql("SET LOCAL synchronous_commit = on")
        connection = sa_connection.connection.driver_connection
        started = time.perf_counter()
        count = _copy(connection, "selfservice_consent_events", COLUMNS,
                      (row[:json_index] + (json.dumps(row[json_index]),) + row[json_index + 1:]
                       for row in events))
        log(f"copied {count:,} events in {time.perf_counter() - started:.1f}s")
        _copy(connection, "selfservice_preferences",
              ("account_id", "training_opt_in", "own_training_opt_in", "training_org_id",
               "marketing_emails", "limit_sensitive_data", "do_not_sell_or_share",
               "gpc_honoured_at", "updated_at", "head_seq", "head_hash"),
              ((a.account_id, a.values.get("training", False), a.own_training,
                a.training_org_id, a.values.get("marketing_emails", False),
                a.values.get("limit_sensitive_data", False),
                a.values.get("do_not_sell_or_share", False), a.gpc_at, a.rows[-1][at_index],
                len(a.rows), a.rows[-1][-1]) for a in accounts))
        sa_connection.exec_driver_sql(
            f"CREATE TABLE {FLAGS_TABLE} (account_id text PRIMARY KEY, eligible boolean "
            "NOT NULL)")
        _copy(connection, FLAGS_TABLE, ("account_id", "eligible"), iter(flags.items()))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as sa_connection:
        for table in ("selfservice_consent_events", "selfservice_preferences", FLAGS_TABLE):
            sa_connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


# -- measuring --------------------------------------------------------------------------------

def read_flags(engine: sa.Engine, ids: Sequence[str]) -> dict[str, bool]:
    """The baseline: the same answer shape, from the plain table, by primary key."""
    answer = dict.fromkeys(ids, False)
    with engine.connect() as connection:
        for account_id, eligible in connection.execute(BASELINE_SQL, {"ids": list(ids)}):
            answer[account_id] = eligible
    return answer


#: the baseline again, with the ids sent the way training_eligibility sends them (one JSON
#: string): the ratio against it isolates the ledger lookup from the parameter transport
BASELINE_JSON_SQL = sa.text(
    f"SELECT f.account_id, f.eligible FROM jsonb_array_elements_text(CAST(:ids AS jsonb)) "  # noqa: S608
    f"AS ids(value) JOIN {FLAGS_TABLE} f ON f.account_id = ids.value")


def read_flags_json(engine: sa.Engine, ids: Sequence[str]) -> dict[str, bool]:
    answer = dict.fromkeys(ids, False)
    with engine.connect() as connection:
        for account_id, eligible in connection.execute(BASELINE_JSON_SQL,
                                                       {"ids": json.dumps(sorted(ids))}):
            answer[account_id] = eligible
    return answer


def _timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _p90(times: Sequence[float]) -> float:
    return statistics.quantiles(times, n=10, method="inclusive")[-1]


def interleaved(first: Callable[[], Any], second: Callable[[], Any]
                ) -> tuple[list[float], list[float]]:
    """Warm both, then RUNS of each, alternating which goes first so drift hits both."""
    for _ in range(WARMUP):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(RUNS):
        order = ((0, first), (1, second)) if run % 2 == 0 else ((1, second), (0, first))
        for slot, call in order:
            times[slot].append(_timed(call))
    return times


def capture_sql(engine: sa.Engine, call: Callable[[], Any]) -> tuple[str, Any]:
    """The statement and parameters ``call`` sends (the last one), as the driver gets them."""
    seen: list[tuple[str, Any]] = []

    def listener(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return seen[-1]


def explain(engine: sa.Engine, statement: str, parameters: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a captured statement, the id array shortened."""
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return re.sub(r"'\{[^}]{60,}\}'", lambda m: f"'{{...{m[0].count(',') + 1} ids...}}'", plan)


def _execution_ms(plan: str) -> float:
    found = re.search(r"Execution Time: ([0-9.]+) ms", plan)
    return float(found[1]) if found else float("nan")


def _app(url: str) -> Flask:
    from selfservice import SelfService

    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench-" * 6, SELFSERVICE_DATABASE_URL=url,
                      SELFSERVICE_REGISTER_BLUEPRINTS=False)
    SelfService(app, identity_loader=lambda account_id: None)
    return app


def _check(engine: sa.Engine, ids: list[str], expected: dict[str, bool],
           chains: list[str]) -> None:
    """Fail loudly: a fast wrong answer is no result. Needs the app context."""
    answer = eligibility.training_eligibility(ids, AS_OF)
    wrong = [i for i in ids if answer.get(i) != expected[i]]
    if wrong or len(answer) != len(ids):
        raise AssertionError(f"training_eligibility disagrees with the brute force for "
                             f"{len(wrong)} of {len(ids)} ids, e.g. {wrong[:5]}")
    if read_flags(engine, ids) != expected:
        raise AssertionError("the baseline table disagrees with the brute force")
    # the generated chains must be the ledger's own: its chain verifier checks a sample
    # against the recorded heads (the bench writes no audit trail, so the service's fuller
    # cross-checks do not apply)
    from selfservice.ledger import consent_content, consent_events, verify_chain
    from selfservice.models import PrivacyPreferences
    from selfservice.state import get_state

    for account_id in chains:
        with get_state().db.read() as session:
            events = consent_events(session, "account", account_id)
            prefs = session.get(PrivacyPreferences, account_id)
            head = (prefs.head_seq, prefs.head_hash) if prefs else (0, "0" * 64)
        report = verify_chain(events, consent_content, head)
        if not report.valid or report.records != len(events) or not events:
            raise AssertionError(f"generated chain of {account_id} does not verify: "
                                 f"{report.as_json()}")


def bench_training_eligibility(url: str, accounts: int = ACCOUNTS, batch: int = BATCH,
                               plans: bool = False) -> dict[str, Any]:
    """The bench entry (the shape README describes); ``url`` is an empty PostgreSQL database."""
    from selfservice import migrate

    bench_started = time.perf_counter()
    app = _app(url)
    engine: sa.Engine = app.extensions["selfservice"].db.engine

    started = time.perf_counter()
    generated = list(generate(accounts))
    generate_seconds = time.perf_counter() - started
    events = sum(len(a.rows) for a in generated)
    log(f"generated {len(generated):,} accounts, {events:,} events in {generate_seconds:.1f}s")
    truth = {a.account_id: eligible_as_of(a.training, AS_OF) for a in generated}
    rng = Random(SEED + 1)
    ids = [a.account_id for a in rng.sample(generated, min(batch, len(generated)))]
    chains = [a.account_id for a in rng.sample(generated, min(200, len(generated)))]
    expected = {account_id: truth[account_id] for account_id in ids}

    with app.app_context():
        migrate.upgrade()
        started = time.perf_counter()
        load(engine, generated, truth)
        load_seconds = time.perf_counter() - started
        log(f"loaded and vacuumed in {load_seconds:.1f}s")
        # a million tracked objects would make the collector's full passes land in timings
        del generated
        gc.collect()
        _check(engine, ids, expected, chains)

        log(f"measuring {RUNS} interleaved runs of each on {len(ids):,} ids")

        def eligible() -> dict[str, bool]:
            return eligibility.training_eligibility(ids, AS_OF)

        def baseline() -> dict[str, bool]:
            return read_flags(engine, ids)

        value_runs, baseline_runs = interleaved(eligible, baseline)
        assert read_flags_json(engine, ids) == expected
        value_runs_2, json_runs = interleaved(eligible,
                                              lambda: read_flags_json(engine, ids))
        plan_text = {"value": explain(engine, *capture_sql(engine, eligible)),
                     "baseline": explain(engine, *capture_sql(engine, baseline))}
    engine.dispose()

    value = statistics.median(value_runs)
    base = statistics.median(baseline_runs)
    ratio = value / base
    details: dict[str, Any] = {
        "accounts": accounts, "events": events, "batch": len(ids),
        "as_of": AS_OF.isoformat(),
        "history": [HISTORY_START.isoformat(), HISTORY_END.isoformat()],
        "eligible": sum(expected.values()), "eligible_in_all_accounts": sum(truth.values()),
        "statistic": "median", "warmup": WARMUP, "runs": RUNS,
        "value_p90": round(_p90(value_runs), 4), "baseline_p90": round(_p90(baseline_runs), 4),
        "value_runs": [round(t, 4) for t in value_runs],
        "baseline_runs": [round(t, 4) for t in baseline_runs],
        "baseline_query": str(BASELINE_SQL),
        "same_transport_baseline": {
            "query": str(BASELINE_JSON_SQL),
            "value": round(statistics.median(value_runs_2), 4),
            "baseline": round(statistics.median(json_runs), 4),
            "ratio": round(statistics.median(value_runs_2) / statistics.median(json_runs), 3),
        },
        # one EXPLAIN ANALYZE each: the database's share of the times above, and its plan
        "server_ms": {side: _execution_ms(plan) for side, plan in plan_text.items()},
        "plan_top": {side: plan.splitlines()[0].split("  (")[0]
                     for side, plan in plan_text.items()},
        "correct": f"all {len(ids)} answers equal a brute force over the generated events; "
                   f"{len(chains)} generated chains pass the ledger's verify_chain "
                   "with their heads",
        "generate_seconds": round(generate_seconds, 1), "load_seconds": round(load_seconds, 1),
        "total_seconds": round(time.perf_counter() - bench_started, 1),
    }
    if plans:
        details["plans"] = plan_text
    return {
        "name": "training_eligibility_10k_postgresql", "unit": "s", "value": round(value, 4),
        "baseline_name": f"{FLAGS_TABLE}_pk_any_postgresql", "baseline": round(base, 4),
        "ratio": round(ratio, 3), "target": f"ratio <= {TARGET}", "meets": ratio <= TARGET,
        "details": details,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description="training_eligibility at scale against a plain table (make bench runs it)")
    parser.add_argument("--accounts", type=int, default=ACCOUNTS)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--explain", action="store_true", help="add both queries' plans")
    args = parser.parse_args()
    with running_postgres() as postgres:
        entry = bench_training_eligibility(postgres.create_database("bench_consent"),
                                           args.accounts, args.batch, args.explain)
    plans = entry["details"].pop("plans", {})
    print(json.dumps(entry, indent=2))
    for name, plan in plans.items():
        print(f"\n-- {name}\n{plan}")


if __name__ == "__main__":
    main()
