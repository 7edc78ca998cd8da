"""Deterministic sample data for the demo console.

``seed(engine)`` fills the console's tables with five well-known accounts (alice, bob, carol,
sam, pat: the identity provider's demo logins) and twenty background customers, so exports
and per-account filtering have something real to chew on. It is idempotent: a database that
already holds Alice is left alone.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa

from .marketing import contact_rows
from .models import (
    Account,
    ApiKey,
    FineTuneDataset,
    FineTuneJob,
    GpuInstance,
    GpuJob,
    InferenceLog,
    Invoice,
    MarketingContact,
    MarketplaceModel,
    Membership,
    Organisation,
    Payment,
    SecurityEvent,
    create_tables,
)
from .samples import (
    BACKGROUND,
    CHAT_MODELS,
    CONVERSATIONS,
    DEMO_PEOPLE,
    ERRORS,
    EURO,
    GPU_ERRORS,
    GPU_TYPES,
    KEY_ALPHABET,
    ORGANISATIONS,
    REGIONS,
    USER_AGENTS,
    Person,
    calls_for,
)

#: rows per executemany call
CHUNK = 5_000

Row = dict[str, Any]


def seed(engine: sa.Engine, *, inference_logs: int = 150_000, seed: int = 7,
         now: datetime | None = None) -> dict[str, int]:
    """Create the console's tables and fill them, unless Alice already exists.

    ``inference_logs`` is the size of Alice's request log (spread over the last 180 days); the
    other accounts get fixed, smaller amounts. Returns the rows inserted per table (empty when
    the database was already seeded). Everything is drawn from ``random.Random(seed)``; times
    are relative to ``now`` (default: the current time).
    """
    create_tables(engine)
    with engine.connect() as conn:
        if conn.scalar(sa.select(Account.id).where(Account.id == "acct-alice")) is not None:
            return {}
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    plan = _Plan(random.Random(seed), now)
    plan.build(alice_logs=inference_logs)
    # drawn from a generator of their own: the other tables stay as they were without them
    customers = [(row["id"], row["email"]) for row in plan.rows[Account]
                 if not (row["is_support"] or row["is_privacy_officer"])]
    plan.rows[MarketingContact] = contact_rows(random.Random(f"{seed}:marketing"), now,
                                               customers[:11])
    counts: dict[str, int] = {}
    # one transaction: a failed seed leaves nothing behind, and a re-run starts clean
    with engine.begin() as conn:
        for model, rows in plan.tables():
            counts[model.__tablename__] = _insert(conn, model.__table__, rows)
    return counts


def _insert(conn: sa.Connection, table: sa.Table, rows: Iterable[Row]) -> int:
    statement = table.insert()
    total = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        conn.execute(statement, chunk)
        total += len(chunk)
    return total


# -- the plan -------------------------------------------------------------------------------

@dataclass
class _Plan:
    """Every row to insert, drawn from one random generator in a fixed order."""

    rng: random.Random
    now: datetime
    rows: dict[type, list[Row]] = field(default_factory=dict)
    logs: list[tuple[str, str, int, int]] = field(default_factory=list)

    def tables(self) -> Iterator[tuple[type, Iterable[Row]]]:
        for model in (Account, Organisation, Membership, ApiKey, Invoice, Payment, GpuInstance,
                      GpuJob, FineTuneJob, FineTuneDataset, MarketplaceModel, SecurityEvent,
                      MarketingContact):
            yield model, self.rows.get(model, [])
        yield InferenceLog, self._inference_rows()

    def add(self, model: type, **row: Any) -> Row:
        self.rows.setdefault(model, []).append(row)
        return row

    def ident(self, prefix: str) -> str:
        return f"{prefix}_{self.rng.getrandbits(48):012x}"

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(seconds=int(days * 86400))

    def between(self, start: datetime, end: datetime) -> datetime:
        span = max(1, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randrange(span))

    # -- build --------------------------------------------------------------------------------

    def build(self, alice_logs: int) -> None:
        for org_id, name, age in ORGANISATIONS:
            self.add(Organisation, id=org_id, name=name, created_at=self.ago(age))
        for person in DEMO_PEOPLE:
            self.account(person)
        self.membership("acct-bob", "org-acme", "owner", 500)
        self.membership("acct-carol", "org-acme", "member", 300)
        self.alice(alice_logs)
        self.bob()
        self.carol()
        for person in DEMO_PEOPLE[3:]:
            self.security_events(person.id, 12, 180, ("203.0.113.200",))
        self.background()

    def account(self, person: Person) -> None:
        self.add(Account, id=person.id, email=person.email.lower(), name=person.name,
                 company=person.company, billing_country=person.country,
                 created_at=self.ago(person.age_days), is_support=person.support,
                 is_privacy_officer=person.privacy_officer)

    def membership(self, account_id: str, org_id: str, role: str, age: int) -> None:
        self.add(Membership, account_id=account_id, org_id=org_id, role=role,
                 joined_at=self.ago(age))

    def alice(self, logs: int) -> None:
        a = "acct-alice"
        for name, age, used in (("laptop-dev", 230, 0.2), ("legal-summary-prod", 170, 0.01),
                                ("ci-tests", 75, 3.0)):
            self.api_key(a, name, age, used)
        self.logs.append((a, "alice", logs, 180))
        # nothing stops her account's deletion: every invoice paid, every instance terminated
        self.invoices(a, "EUR", months=7, low=2_500, high=19_000, brand="visa", settled=True)
        first = self.gpu_instance(a, GPU_TYPES[0], "us-east-1", 170, 100)
        second = self.gpu_instance(a, GPU_TYPES[2], "us-west-2", 60, 2)
        self.gpu_jobs(a, first, 22)
        self.gpu_jobs(a, second, 18)
        summary = self.fine_tune(a, "llama-3.1-8b-instruct", "succeeded", 120,
                                 "alice-legal-summary-v1",
                                 (("contract_summaries_train.jsonl", 41_230_112, 18_400),
                                  ("contract_summaries_val.jsonl", 4_580_004, 2_040)))
        translate = self.fine_tune(a, "qwen2.5-7b-instruct", "succeeded", 45,
                                   "de-en-contract-translator-v2",
                                   (("de_en_clauses.jsonl", 12_880_420, 9_650),))
        self.add(MarketplaceModel, id=self.ident("mdl"), publisher_account_id=a,
                 name="legal-summary-8b-lora",
                 description="LoRA adapter for Llama 3.1 8B that summarises contract clauses "
                             "in plain English. Trained on public-domain contracts.",
                 tags="legal,summarization,lora,english", category="text-generation",
                 published_at=summary + timedelta(days=3))
        self.add(MarketplaceModel, id=self.ident("mdl"), publisher_account_id=a,
                 name="de-en-contract-translator",
                 description="German to English translation of contract language, keeping "
                             "defined terms consistent.",
                 tags="translation,legal,german,english", category="translation",
                 published_at=translate + timedelta(days=2))
        self.security_events(a, 50, 180, ("203.0.113.24", "198.51.100.77", "2001:db8:4f2a::17"),
                             extra=(("password_reset", 140), ("mfa_enabled", 139)))

    def bob(self) -> None:
        b = "acct-bob"
        self.api_key(b, "support-bot-prod", 300, 0.05)
        self.api_key(b, "staging", 90, 6.0)
        self.logs.append((b, "acme", 2_000, 90))
        self.invoices(b, "USD", months=6, low=40_000, high=95_000, brand="amex")
        instance = self.gpu_instance(b, GPU_TYPES[1], "us-central-1", 80, 20)
        self.gpu_jobs(b, instance, 6)
        self.fine_tune(b, "llama-3.3-70b-instruct", "running", 1, None,
                       (("acme_tickets_2025.jsonl", 88_004_512, 52_000),))
        self.security_events(b, 25, 180, ("198.51.100.12",))

    def carol(self) -> None:
        c = "acct-carol"
        self.api_key(c, "labeling-notebook", 120, 1.5)
        self.logs.append((c, "acme", 500, 60))
        self.fine_tune(c, "llama-3.1-8b-instruct", "failed", 30, None,
                       (("sentiment_labels.csv", 2_310_118, 12_000),))
        self.security_events(c, 15, 180, ("192.0.2.45",))

    def background(self) -> None:
        for index, (first, last, country, org_id, role) in enumerate(BACKGROUND):
            account_id = f"acct-{first.lower()}"
            company = dict((o, n) for o, n, _ in ORGANISATIONS).get(org_id) if org_id else None
            age = self.rng.randint(100, 900)
            self.account(Person(account_id, f"{first}.{last}@example.net".lower(),
                                f"{first} {last}", country, company, age))
            if org_id:
                self.membership(account_id, org_id, role, self.rng.randint(30, 250))
            for n in range(self.rng.randint(1, 2)):
                self.api_key(account_id, ("default", "production")[n], self.rng.randint(20, 400),
                             self.rng.choice((0.1, 2.0, 30.0)))
            self.logs.append((account_id, "generic", self.rng.randint(80, 400), 90))
            if org_id is None or role == "owner":
                currency = "EUR" if country in EURO else "GBP" if country == "GB" else "USD"
                self.invoices(account_id, currency, months=min(age // 31, self.rng.randint(2, 6)),
                              low=500,
                              high=30_000, brand=self.rng.choice(("visa", "mastercard")))
            if index % 3 == 0:
                instance = self.gpu_instance(account_id, self.rng.choice(GPU_TYPES),
                                             self.rng.choice(REGIONS), self.rng.randint(20, 99),
                                             self.rng.choice((None, 10)))
                self.gpu_jobs(account_id, instance, self.rng.randint(1, 8))
            if index % 4 == 1:
                self.fine_tune(account_id, self.rng.choice(CHAT_MODELS[:2]), "succeeded",
                               self.rng.randint(10, 90), f"{first.lower()}-adapter-v1",
                               ((f"{first.lower()}_train.jsonl", self.rng.randint(10**5, 10**8),
                                 self.rng.randint(500, 50_000)),))
            if index % 5 == 2:
                self.add(MarketplaceModel, id=self.ident("mdl"),
                         publisher_account_id=account_id, name=f"{first.lower()}-coder-7b",
                         description="A small code-completion model fine-tuned on permissively "
                                     "licensed repositories.",
                         tags="code,completion", category="code",
                         published_at=self.ago(self.rng.randint(5, 80)))
            self.security_events(account_id, self.rng.randint(5, 20), min(age, 180),
                                 (f"198.51.100.{100 + index}",))

    # -- pieces -------------------------------------------------------------------------------

    def api_key(self, account_id: str, name: str, age_days: int, used_days_ago: float) -> None:
        secret = "ehk_" + "".join(self.rng.choice(KEY_ALPHABET) for _ in range(44))
        created = self.ago(age_days)
        self.add(ApiKey, id=self.ident("key"), account_id=account_id, name=name,
                 prefix=secret[:8], key_hash=hashlib.sha256(secret.encode()).hexdigest(),
                 created_at=created,
                 last_used_at=self.ago(used_days_ago) if used_days_ago < age_days else None)

    def invoices(self, account_id: str, currency: str, *, months: int, low: int, high: int,
                 brand: str, settled: bool = False) -> None:
        """Monthly invoices; the last one stays open for ten days unless ``settled``."""
        last4 = f"{self.rng.randrange(10_000):04d}"
        month = datetime(self.now.year, self.now.month, 1, tzinfo=UTC)
        for back in range(months, 0, -1):
            start = _add_months(month, -back)
            issued = _add_months(start, 1) + timedelta(hours=6)
            amount = self.rng.randint(low, high)
            paid = settled or back > 1 or self.now - issued > timedelta(days=10)
            invoice_id = self.ident("inv")
            self.add(Invoice, id=invoice_id, account_id=account_id,
                     period=start.strftime("%Y-%m"), amount_cents=amount, currency=currency,
                     status="paid" if paid else "open", issued_at=issued)
            if paid:
                self.add(Payment, id=self.ident("pay"), invoice_id=invoice_id,
                         account_id=account_id, amount_cents=amount, method_brand=brand,
                         last4=last4,
                         paid_at=issued + timedelta(hours=self.rng.randint(1, 96)))

    def gpu_instance(self, account_id: str, gpu: tuple[str, int], region: str, age_days: int,
                     terminated_days_ago: int | None) -> dict[str, Any]:
        return self.add(GpuInstance, id=self.ident("gpu"), account_id=account_id,
                        gpu_type=gpu[0], region=region, created_at=self.ago(age_days),
                        terminated_at=(self.ago(terminated_days_ago)
                                       if terminated_days_ago is not None else None),
                        hourly_cents=gpu[1])

    def gpu_jobs(self, account_id: str, instance: Row, count: int) -> None:
        end_of_life = instance["terminated_at"] or self.now
        starts = sorted(self.between(instance["created_at"], end_of_life) for _ in range(count))
        for started in starts:
            duration = timedelta(seconds=self.rng.randint(300, 10 * 3600))
            ended: datetime | None = min(started + duration, end_of_life)
            if ended == self.now:
                ended = None  # still running
            exit_code: int | None = None
            error_log = None
            if ended is not None:
                exit_code = 0
                if self.rng.random() < 0.2:
                    exit_code, error_log = self.rng.choice(GPU_ERRORS)
            self.add(GpuJob, instance_id=instance["id"], account_id=account_id,
                     started_at=started, ended_at=ended,
                     gpu_seconds=int(((ended or self.now) - started).total_seconds()),
                     exit_code=exit_code, error_log=error_log)

    def fine_tune(self, account_id: str, base_model: str, status: str, age_days: int,
                  adapter: str | None, datasets: tuple[tuple[str, int, int], ...]) -> datetime:
        created = self.ago(age_days)
        finished = (created + timedelta(minutes=self.rng.randint(40, 600))
                    if status in ("succeeded", "failed") else None)
        job_id = self.ident("ftjob")
        self.add(FineTuneJob, id=job_id, account_id=account_id, base_model=base_model,
                 status=status, created_at=created, finished_at=finished, adapter_name=adapter)
        for filename, size, rows in datasets:
            self.add(FineTuneDataset, id=self.ident("file"), job_id=job_id,
                     account_id=account_id, filename=filename, bytes=size, rows=rows,
                     uploaded_at=created - timedelta(minutes=self.rng.randint(2, 90)))
        return finished or created

    def security_events(self, account_id: str, count: int, days: int, ips: tuple[str, ...],
                        extra: tuple[tuple[str, int], ...] = ()) -> None:
        events = [(self.ago(age), kind) for kind, age in extra]
        events += [(key["created_at"], "api_key_created")
                   for key in self.rows.get(ApiKey, []) if key["account_id"] == account_id
                   and self.now - key["created_at"] <= timedelta(days=days)]
        kinds = ("login",) * 14 + ("logout",) * 3 + ("login_failed",) * 2
        while len(events) < count:
            events.append((self.ago(self.rng.uniform(0, days)), self.rng.choice(kinds)))
        agents = self.rng.sample(USER_AGENTS, 2)
        for at, kind in sorted(events):
            self.add(SecurityEvent, account_id=account_id, at=at, kind=kind,
                     ip_address=self.rng.choice(ips), user_agent=self.rng.choice(agents))

    def _inference_rows(self) -> Iterator[Row]:
        """Each account's request log in time order, generated lazily (it is the big one)."""
        rng = self.rng
        pools = {kind: calls_for(kind) for kind in CONVERSATIONS}
        for account_id, kind, count, days in self.logs:
            calls = pools[kind]
            span = days * 86400
            offsets = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
            for offset in offsets:
                call = calls[int(rng.random() * len(calls))]
                roll = rng.random()
                if roll < 0.965:
                    status, response, completion = 200, call.response_body, \
                        call.completion_tokens
                    latency = int(call.completion_tokens * rng.uniform(8, 25)) + 120
                else:
                    status, response = ERRORS[int((roll - 0.965) / 0.035 * len(ERRORS))]
                    completion, latency = 0, rng.randint(15, 900)
                yield {
                    "account_id": account_id,
                    "created_at": self.now - timedelta(seconds=offset),
                    "model": call.model,
                    "endpoint": call.endpoint,
                    "prompt_tokens": call.prompt_tokens,
                    "completion_tokens": completion,
                    "latency_ms": latency,
                    "status_code": status,
                    "request_body": call.request_body,
                    "response_body": response,
                }


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)
