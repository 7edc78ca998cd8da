"""The registry of the host's data sources.

The plugin does not own the console's data. The host registers each source once: what it
holds, why (purpose and legal basis), how long it is kept, the JSON Schema of one record and
how to stream one subject's records. Export and deletion are walks over this registry, so a
new table becomes exportable by registering it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: legal bases of GDPR article 6, as the privacy policy names them
LEGAL_BASES: dict[str, str] = {
    "contract": "Performance of a contract",
    "legitimate_interests": "Legitimate interests",
    "legal_obligation": "Legal obligation",
    "consent": "Consent",
    "vital_interests": "Vital interests",
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


Exporter = Callable[[Subject], Iterable[Mapping[str, Any]]]


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
    #: optional: how many records ``export`` will yield (a cheap COUNT), for progress bars
    count: Callable[[Subject], int] | None = None
    #: free-form labels ("account", "billing", "usage"...) for grouping in pages
    category: str = "account"
    #: the plugin's own records (consent ledger, requests) set this
    builtin: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

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

    def __getitem__(self, name: str) -> DataSource:
        return self._sources[name]

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __iter__(self) -> Iterator[DataSource]:
        return iter(list(self._sources.values()))

    def __len__(self) -> int:
        return len(self._sources)
