"""The registry of the host's data sources.

The plugin does not own the console's data. The host registers each source once: what it
holds, why (purpose and legal basis), how long it is kept, the JSON Schema of one record and
how to stream one subject's records, and how deletion treats them (erased, anonymised or
retained). Export and deletion are walks over this registry, so a new table becomes exportable
and erasable by registering it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .translation import N_

#: legal bases of GDPR article 6, as the privacy policy names them (in English, marked for
#: the catalogue: a reader's page shows them translated)
LEGAL_BASES: dict[str, str] = {
    "contract": N_("Performance of a contract"),
    "legitimate_interests": N_("Legitimate interests"),
    "legal_obligation": N_("Legal obligation"),
    "consent": N_("Consent"),
    "vital_interests": N_("Vital interests"),
}

#: what an export may be asked to hold: JSON lines always, CSV files for flat sources too
EXPORT_FORMATS = ("jsonl", "csv")

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_FLAT_TYPES = {"string", "integer", "number", "boolean", "null"}


@dataclass(frozen=True)
class Subject:
    """Whose data a walk over the registry is about."""

    account_id: str
    org_id: str | None = None
    #: how many records an eraser may remove in one call (SELFSERVICE_ERASURE_BATCH)
    batch_size: int = 5000


Exporter = Callable[[Subject], Iterable[Mapping[str, Any]]]
#: erases or anonymises one bounded batch of the subject's records and returns how many; the
#: plugin calls it until it returns 0, so it must be idempotent
Eraser = Callable[[Subject], int]

#: how deletion may treat a source's records (besides "manual": no eraser, no declaration)
ERASURE_ACTIONS = ("erase", "anonymise", "retain")


@dataclass(frozen=True)
class DataSource:
    """One kind of personal data the console holds."""

    #: file-name-safe identifier: data/<name>.jsonl in an export
    name: str
    #: what it is, for the customer ("Inference API request logs: metadata and bodies")
    description: str
    #: why it is kept
    purpose: str
    #: one of LEGAL_BASES
    legal_basis: str
    #: how long it is kept, in words ("90 days for metadata, 30 days for bodies")
    retention: str
    #: JSON Schema (draft 2020-12) of one record: {"type": "object", "properties": {...}}
    schema: Mapping[str, Any]
    #: streams one subject's records (a generator; never a whole table)
    export: Exporter
    #: the longest retention in days, for sweeps; None when it lives as long as the account
    retention_days: int | None = None
    #: optional: a faster exporter yielding already serialised JSON lines (bytes)
    export_jsonl: Callable[[Subject], Iterable[bytes]] | None = None
    #: optional, the fastest: the JSON lines as chunks of bytes (each ending at a line end,
    #: best a few hundred kB), byte for byte what ``export`` gives through the archive's
    #: encoder; written as they come, with no work per record. The database can write them:
    #: selfservice.copy_export.copy_exporter (PostgreSQL's COPY). Not used for CSV files
    export_chunks: Callable[[Subject], Iterable[bytes]] | None = None
    #: optional: how many records ``export`` will yield (a cheap COUNT), for progress bars
    count: Callable[[Subject], int] | None = None
    #: free-form labels ("account", "billing", "usage"...) for grouping in pages
    category: str = "account"
    #: the plugin's own records (consent ledger, requests) set this
    builtin: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: what deletion does: "erase", "anonymise" (both need an eraser) or "retain". None:
    #: "erase" when an eraser is registered, else a manual step for a privacy officer
    erasure: str | None = None
    #: why the records are kept ("retain") or what anonymising keeps, in the customer's words
    erasure_reason: str = ""
    #: "retain": how many days after the erasure they are kept (None: until this source's
    #: own retention schedule removes them)
    retain_days: int | None = None
    #: "retain": the legal basis for keeping them (default: ``legal_basis``)
    retain_legal_basis: str | None = None
    #: what deletion cannot undo ("Copies others downloaded cannot be recalled")
    irreversible: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"source name {self.name!r} must match {_NAME.pattern}")
        if self.legal_basis not in LEGAL_BASES:
            raise ValueError(
                f"source {self.name!r}: legal_basis must be one of {sorted(LEGAL_BASES)}"
            )
        for attr in ("description", "purpose", "retention"):
            if not str(getattr(self, attr)).strip():
                raise ValueError(f"source {self.name!r}: {attr} is required")
        if self.schema.get("type") != "object" or not isinstance(
            self.schema.get("properties"), Mapping
        ):
            raise ValueError(f"source {self.name!r}: schema must be an object schema "
                             "with properties")
        if not callable(self.export):
            raise ValueError(f"source {self.name!r}: export must be callable")
        self._check_erasure()

    def _check_erasure(self) -> None:
        if self.erasure is not None and self.erasure not in ERASURE_ACTIONS:
            raise ValueError(f"source {self.name!r}: erasure must be one of "
                             f"{', '.join(ERASURE_ACTIONS)} (or None)")
        if self.erasure in ("retain", "anonymise") and not self.erasure_reason.strip():
            raise ValueError(f"source {self.name!r}: erasure={self.erasure!r} needs an "
                             "erasure_reason the customer can read")
        if self.retain_legal_basis is not None and self.retain_legal_basis not in LEGAL_BASES:
            raise ValueError(f"source {self.name!r}: retain_legal_basis must be one of "
                             f"{sorted(LEGAL_BASES)}")
        if self.retain_days is not None and self.retain_days < 0:
            raise ValueError(f"source {self.name!r}: retain_days must not be negative")

    @property
    def fields(self) -> list[str]:
        return list(self.schema["properties"])

    @property
    def is_flat(self) -> bool:
        """Every property is a scalar, so the records also fit a CSV file."""
        for prop in self.schema["properties"].values():
            kinds = prop.get("type", "string")
            kinds = [kinds] if isinstance(kinds, str) else list(kinds)
            if not set(kinds) <= _FLAT_TYPES:
                return False
        return True


class SourceRegistry:
    """Registered sources in registration order; names are unique."""

    def __init__(self) -> None:
        self._sources: dict[str, DataSource] = {}
        #: source name -> its eraser (registered before or after the source itself)
        self.erasers: dict[str, Eraser] = {}

    def register(self, source: DataSource) -> DataSource:
        if source.name in self._sources:
            raise ValueError(f"a data source named {source.name!r} is already registered")
        self._sources[source.name] = source
        return source

    def source(self, **attrs: Any) -> Callable[[Exporter], Exporter]:
        """Decorator form: the decorated generator is the source's ``export``."""

        def decorator(func: Exporter) -> Exporter:
            self.register(DataSource(export=func, **attrs))
            return func

        return decorator

    def register_eraser(self, name: str, eraser: Eraser) -> Eraser:
        if not _NAME.match(name):
            raise ValueError(f"eraser for {name!r}: not a source name")
        if name in self.erasers:
            raise ValueError(f"an eraser for {name!r} is already registered")
        if not callable(eraser):
            raise ValueError(f"eraser for {name!r} must be callable")
        self.erasers[name] = eraser
        return eraser

    def eraser(self, name: str) -> Callable[[Eraser], Eraser]:
        """Decorator: ``fn(subject) -> int`` erases (or anonymises) the source's records."""

        def decorator(func: Eraser) -> Eraser:
            return self.register_eraser(name, func)

        return decorator

    def erasure_of(self, source: DataSource) -> str:
        """What deletion does to the source: erase, anonymise, retain, or manual."""
        if source.erasure == "retain":
            return "retain"
        if source.name not in self.erasers:
            return "manual"
        return source.erasure or "erase"

    def check_erasers(self) -> None:
        """Every eraser names a registered source, and every source that declares erase or
        anonymise has one (called when the registry is first walked for a deletion)."""
        unknown = sorted(set(self.erasers) - set(self._sources))
        if unknown:
            raise ValueError(f"erasers registered for unknown sources: {', '.join(unknown)}")
        for source in self._sources.values():
            if source.erasure in ("erase", "anonymise") and source.name not in self.erasers:
                raise ValueError(f"source {source.name!r} declares erasure="
                                 f"{source.erasure!r} but no eraser is registered for it")

    def get(self, name: str) -> DataSource | None:
        return self._sources.get(name)

    def __getitem__(self, name: str) -> DataSource:
        return self._sources[name]

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __iter__(self) -> Iterator[DataSource]:
        return iter(list(self._sources.values()))

    def __len__(self) -> int:
        return len(self._sources)
