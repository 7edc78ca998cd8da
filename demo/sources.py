"""The console's personal data, registered with the plugin as data sources.

Each source pairs one projection of a table with the JSON Schema of its records; both are
built from the same list of fields, so the schema cannot drift from what the exporter yields.
Retention texts follow section 5 of the privacy policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from selfservice import DataSource, SelfService
from selfservice.copy_export import copy_exporter

from .erasure import declare_erasure
from .models import (
    Account,
    ApiKey,
    FineTuneDataset,
    FineTuneJob,
    GpuInstance,
    GpuJob,
    InferenceLog,
    Invoice,
    MarketplaceModel,
    Membership,
    Organisation,
    Payment,
    SecurityEvent,
)
from .source_kit import (
    Field,
    counter,
    record_schema,
    streaming_exporter,
    subject_query,
    time_field,
)

ACCOUNT_RETENTION = ("For the life of the account plus 30 days after its deletion, then erased "
                     "except for records required by law.")
BILLING_RETENTION = ("Up to 7 years after the transaction, or longer where tax, accounting, "
                     "audit or other legal requirements demand it.")
INFERENCE_RETENTION = ("Operational metadata up to 90 days; request and response bodies up to "
                       "30 days, except limited records kept for abuse investigations, security "
                       "incidents, dispute resolution, legal holds or compliance.")
GPU_RETENTION = ("Under your control: kept while the resource exists. After termination, "
                 "persistent volumes follow the storage retention you configured (default: "
                 "deleted with the resource).")
FINE_TUNE_RETENTION = ("For the life of the parent fine-tune job and any model instance that "
                       "mounts the resulting adapter, then up to 30 days after the parent is "
                       "deleted.")
MARKETPLACE_RETENTION = ("While the model stays published and the account exists (life of the "
                         "account plus 30 days). Copies already downloaded, cached or indexed "
                         "by others cannot be recalled.")
SECURITY_RETENTION = "Up to 13 months."

#: 13 months, rounded up
SECURITY_RETENTION_DAYS = 396
BILLING_RETENTION_DAYS = 7 * 366


def _source(engine: sa.Engine, *, name: str, description: str, purpose: str, legal_basis: str,
            retention: str, retention_days: int | None, category: str, fields: Sequence[Field],
            owner: ColumnElement[Any], order_by: Sequence[ColumnElement[Any]],
            join: tuple[Any, ...] | None = None, title: str, big: bool = False) -> DataSource:
    """``big``: a source that grows with use; on PostgreSQL the database writes its JSON lines
    (COPY), elsewhere it streams record by record like the others."""
    query = subject_query(fields, owner, order_by, join)
    return DataSource(
        name=name, description=description, purpose=purpose, legal_basis=legal_basis,
        retention=retention, retention_days=retention_days, category=category,
        schema=record_schema(title, fields),
        export=streaming_exporter(engine, fields, query),
        export_chunks=copy_exporter(engine, query) if big else None,
        count=counter(engine, owner, join),
    )


def console_sources(engine: sa.Engine) -> list[DataSource]:
    """Every console table that holds a subject's personal data, reading from ``engine``.

    Deletion walks the sources in this order, so a table comes before the table its rows
    cascade from (GPU jobs before their instances, datasets before their fine-tune job): each
    eraser then counts exactly its own rows."""
    a, m, o, k = Account, Membership, Organisation, ApiKey
    log, inv, pay = InferenceLog, Invoice, Payment
    gi, gj, ft, fd = GpuInstance, GpuJob, FineTuneJob, FineTuneDataset
    mm, se = MarketplaceModel, SecurityEvent
    return [
        _source(
            engine, name="account_profile", title="Account profile", category="account",
            description="Your account profile: name, e-mail address, company, billing country "
                        "and when the account was created",
            purpose="To provide the Services, authenticate you and bill you.",
            legal_basis="contract", retention=ACCOUNT_RETENTION, retention_days=None,
            fields=[
                Field("account_id", a.id, "string", "Account identifier"),
                Field("email", a.email, "string", "E-mail address"),
                Field("name", a.name, "string", "Full name"),
                Field("company", a.company, "string", "Company, if any", nullable=True),
                Field("billing_country", a.billing_country, "string",
                      "Billing country (ISO 3166-1 alpha-2)"),
                time_field("created_at", a.created_at, "When the account was created"),
                Field("support_staff", a.is_support, "boolean",
                      "Whether the account belongs to EcoHash support staff"),
                Field("privacy_officer", a.is_privacy_officer, "boolean",
                      "Whether the account belongs to an EcoHash privacy officer"),
            ],
            owner=a.id, order_by=[a.id],
        ),
        _source(
            engine, name="organisation_memberships", title="Organisation membership",
            category="account",
            description="The organisations you belong to and your role in each",
            purpose="To give you access to your organisation's workspace with the right "
                    "permissions.",
            legal_basis="contract", retention=ACCOUNT_RETENTION, retention_days=None,
            fields=[
                Field("org_id", m.org_id, "string", "Organisation identifier"),
                Field("organisation_name", o.name, "string", "Organisation name"),
                Field("role", m.role, "string", "Your role: owner, admin or member"),
                time_field("joined_at", m.joined_at, "When you joined"),
            ],
            owner=m.account_id, order_by=[m.joined_at, m.org_id],
            join=(m, o, m.org_id == o.id),
        ),
        _source(
            engine, name="api_keys", title="API key", category="account",
            description="Your API keys: name, the first 8 characters, when each was created "
                        "and last used (never the key itself)",
            purpose="To authenticate your API calls and let you manage and rotate your keys.",
            legal_basis="contract", retention=ACCOUNT_RETENTION, retention_days=None,
            fields=[
                Field("id", k.id, "string", "Key identifier"),
                Field("name", k.name, "string", "Name you gave the key"),
                Field("prefix", k.prefix, "string", "First 8 characters of the key"),
                time_field("created_at", k.created_at, "When the key was created"),
                time_field("last_used_at", k.last_used_at, "When the key was last used",
                      nullable=True),
            ],
            owner=k.account_id, order_by=[k.created_at, k.id],
        ),
        _source(
            engine, name="inference_logs", title="Inference API request", category="usage",
            description="Inference API request logs: time, model, endpoint, token counts, "
                        "latency and status, with the request and response bodies",
            purpose="To operate, bill for, troubleshoot and secure the inference API and to "
                    "prevent abuse.",
            legal_basis="contract", retention=INFERENCE_RETENTION, retention_days=90,
            fields=[
                Field("id", log.id, "integer", "Request log identifier"),
                time_field("created_at", log.created_at, "When the request was received"),
                Field("model", log.model, "string", "Model called"),
                Field("endpoint", log.endpoint, "string", "API endpoint called"),
                Field("prompt_tokens", log.prompt_tokens, "integer", "Input tokens"),
                Field("completion_tokens", log.completion_tokens, "integer", "Output tokens"),
                Field("latency_ms", log.latency_ms, "integer", "Time to respond, milliseconds"),
                Field("status_code", log.status_code, "integer", "HTTP status returned"),
                Field("request_body", log.request_body, "string",
                      "Request body (removed after 30 days)", nullable=True),
                Field("response_body", log.response_body, "string",
                      "Response body (removed after 30 days)", nullable=True),
            ],
            owner=log.account_id, order_by=[log.created_at, log.id], big=True,
        ),
        _source(
            engine, name="invoices", title="Invoice", category="billing",
            description="Your invoices: billing period, amount, currency and status",
            purpose="To bill you for the Services and to meet tax and accounting obligations.",
            legal_basis="legal_obligation", retention=BILLING_RETENTION,
            retention_days=BILLING_RETENTION_DAYS,
            fields=[
                Field("id", inv.id, "string", "Invoice number"),
                Field("period", inv.period, "string", "Billing month (YYYY-MM)"),
                Field("amount_cents", inv.amount_cents, "integer",
                      "Amount in the currency's minor unit"),
                Field("currency", inv.currency, "string", "Currency (ISO 4217)"),
                Field("status", inv.status, "string", "draft, open, paid or void"),
                time_field("issued_at", inv.issued_at, "When the invoice was issued"),
            ],
            owner=inv.account_id, order_by=[inv.issued_at, inv.id],
        ),
        _source(
            engine, name="payments", title="Payment", category="billing",
            description="Your payments: amount, card brand, the last four digits and date "
                        "(never the full card number)",
            purpose="To record your payments for accounting, tax, fraud prevention and "
                    "disputes.",
            legal_basis="legal_obligation", retention=BILLING_RETENTION,
            retention_days=BILLING_RETENTION_DAYS,
            fields=[
                Field("id", pay.id, "string", "Payment identifier"),
                Field("invoice_id", pay.invoice_id, "string", "Invoice paid"),
                Field("amount_cents", pay.amount_cents, "integer",
                      "Amount in the currency's minor unit"),
                Field("method_brand", pay.method_brand, "string", "Payment method or card brand"),
                Field("last4", pay.last4, "string", "Last four digits of the card or account"),
                time_field("paid_at", pay.paid_at, "When the payment was received"),
            ],
            owner=pay.account_id, order_by=[pay.paid_at, pay.id],
        ),
        _source(
            engine, name="gpu_jobs", title="GPU job", category="compute",
            description="Jobs run on your GPU instances: run times, GPU seconds, exit codes "
                        "and error logs",
            purpose="To run, bill for and troubleshoot your GPU jobs and to prevent abuse.",
            legal_basis="contract", retention="Kept with the instance the job ran on. "
            + GPU_RETENTION, retention_days=None,
            fields=[
                Field("id", gj.id, "integer", "Job identifier"),
                Field("instance_id", gj.instance_id, "string", "Instance it ran on"),
                time_field("started_at", gj.started_at, "When the job started"),
                time_field("ended_at", gj.ended_at, "When it ended (null while it runs)",
                      nullable=True),
                Field("gpu_seconds", gj.gpu_seconds, "integer", "GPU time used, seconds"),
                Field("exit_code", gj.exit_code, "integer", "Exit code (null while it runs)",
                      nullable=True),
                Field("error_log", gj.error_log, "string", "End of the error output of a "
                      "failed job", nullable=True),
            ],
            owner=gj.account_id, order_by=[gj.started_at, gj.id], big=True,
        ),
        _source(
            engine, name="gpu_instances", title="GPU instance", category="compute",
            description="GPU instances you created: GPU type, region, hourly price, when each "
                        "was started and terminated",
            purpose="To provision, bill for and support your GPU instances.",
            legal_basis="contract", retention=GPU_RETENTION, retention_days=None,
            fields=[
                Field("id", gi.id, "string", "Instance identifier"),
                Field("gpu_type", gi.gpu_type, "string", "GPU model"),
                Field("region", gi.region, "string", "Data centre region"),
                time_field("created_at", gi.created_at, "When the instance was started"),
                time_field("terminated_at", gi.terminated_at, "When it was terminated (null while "
                      "it runs)", nullable=True),
                Field("hourly_cents", gi.hourly_cents, "integer", "Price per hour, US cents"),
            ],
            owner=gi.account_id, order_by=[gi.created_at, gi.id],
        ),
        _source(
            engine, name="fine_tune_datasets", title="Fine-tune dataset", category="fine_tuning",
            description="Training files you uploaded for fine-tunes: file name, size and "
                        "number of rows",
            purpose="To train the fine-tunes you requested (never other models unless you "
                    "opt in).",
            legal_basis="contract", retention=FINE_TUNE_RETENTION, retention_days=None,
            fields=[
                Field("id", fd.id, "string", "File identifier"),
                Field("job_id", fd.job_id, "string", "Fine-tune job it was uploaded for"),
                Field("filename", fd.filename, "string", "File name"),
                Field("bytes", fd.bytes, "integer", "Size in bytes"),
                Field("rows", fd.rows, "integer", "Number of records"),
                time_field("uploaded_at", fd.uploaded_at, "When it was uploaded"),
            ],
            owner=fd.account_id, order_by=[fd.uploaded_at, fd.id],
        ),
        _source(
            engine, name="fine_tune_jobs", title="Fine-tune job", category="fine_tuning",
            description="Your fine-tune jobs: base model, status and the resulting adapter",
            purpose="To run the fine-tunes you requested and serve the resulting adapters.",
            legal_basis="contract", retention=FINE_TUNE_RETENTION, retention_days=None,
            fields=[
                Field("id", ft.id, "string", "Fine-tune job identifier"),
                Field("base_model", ft.base_model, "string", "Model fine-tuned"),
                Field("status", ft.status, "string",
                      "queued, running, succeeded, failed or cancelled"),
                time_field("created_at", ft.created_at, "When the job was created"),
                time_field("finished_at", ft.finished_at, "When it finished", nullable=True),
                Field("adapter_name", ft.adapter_name, "string", "Name of the resulting adapter",
                      nullable=True),
            ],
            owner=ft.account_id, order_by=[ft.created_at, ft.id],
        ),
        _source(
            engine, name="marketplace_models", title="Marketplace model", category="marketplace",
            description="Models you published on the EcoHash marketplace: name, description, "
                        "tags and category (visible to every user)",
            purpose="To publish the models you chose to share with other users of the "
                    "marketplace.",
            legal_basis="contract", retention=MARKETPLACE_RETENTION, retention_days=None,
            fields=[
                Field("id", mm.id, "string", "Model identifier"),
                Field("name", mm.name, "string", "Model name"),
                Field("description", mm.description, "string", "Public description"),
                Field("tags", mm.tags, "string", "Tags, comma-separated"),
                Field("category", mm.category, "string", "Marketplace category"),
                time_field("published_at", mm.published_at, "When it was published"),
            ],
            owner=mm.publisher_account_id, order_by=[mm.published_at, mm.id],
        ),
        _source(
            engine, name="security_events", title="Security event", category="security",
            description="The security log of your account: sign-ins, API key changes and "
                        "password resets, with IP address and browser",
            purpose="To secure your account and the Services and to detect and investigate "
                    "fraud and abuse.",
            legal_basis="legitimate_interests", retention=SECURITY_RETENTION,
            retention_days=SECURITY_RETENTION_DAYS,
            fields=[
                Field("id", se.id, "integer", "Event identifier"),
                time_field("at", se.at, "When it happened"),
                Field("kind", se.kind, "string", "What happened (login, api_key_created...)"),
                Field("ip_address", se.ip_address, "string", "IP address it came from"),
                Field("user_agent", se.user_agent, "string", "Browser or client"),
            ],
            owner=se.account_id, order_by=[se.at, se.id], big=True,
        ),
    ]


def register_sources(selfservice: SelfService, engine: sa.Engine) -> None:
    """Register every source, with how deletion treats it (erasure.ERASURE)."""
    for source in console_sources(engine):
        selfservice.register_source(declare_erasure(source))
