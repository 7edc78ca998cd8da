"""What an export archive says besides the records: the entries it lists, its README, the JSON
Schema documents, and how values are written (JSON lines, CSV cells); the offline viewer
(index.html) is :mod:`selfservice.archive_viewer`. No Flask and no I/O in here:
:mod:`selfservice.archive` writes what this renders.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .record_check import SampleCheck
from .sources import LEGAL_BASES, DataSource

FORMAT = "selfservice-export"
FORMAT_VERSION = "1.1"


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot export a {type(value).__name__}")


#: one record as compact JSON (UTF-8 kept); the archive's JSON lines are these
encode_record = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                                 default=json_default).encode


@dataclass
class FileEntry:
    path: str
    bytes: int = 0
    sha256: str = ""
    records: int | None = None
    schema: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.bytes, "sha256": self.sha256,
                "records": self.records, "schema": self.schema}


@dataclass
class SourceEntry:
    source: DataSource
    #: the sampled check of its records against its schema
    check: SampleCheck
    records: int = 0
    files: list[FileEntry] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        s = self.source
        return {"name": s.name, "description": s.description, "purpose": s.purpose,
                "legal_basis": s.legal_basis,
                "legal_basis_text": LEGAL_BASES[s.legal_basis], "retention": s.retention,
                "records": self.records, "files": [f.as_json() for f in self.files],
                "schema_check": self.check.as_json()}


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | Decimal):
        return json_default(value)
    return value


def schema_document(source: DataSource) -> bytes:
    schema = dict(source.schema)
    schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    schema.setdefault("title", source.name)
    schema.setdefault("description", source.description)
    return json.dumps(schema, indent=2, ensure_ascii=False).encode() + b"\n"


def readme(reference: str, account_id: str, generated_at: datetime,
           gettext: Callable[[str], str] = str) -> bytes:
    """README.txt, its words through ``gettext`` (the archive's language; English as is)."""
    _ = gettext
    return (
        _("Personal data export %(reference)s") % {"reference": reference} + "\n"
        + _("Account: %(account)s") % {"account": account_id} + "\n"
        + _("Generated: %(at)s") % {"at": generated_at.isoformat()} + "\n\n"
        + _("Open index.html in a browser to look through it (it works offline).") + "\n"
        + _("manifest.json lists every source: what it is, why it is kept, the legal basis, how\n"
            "long it is kept, and its files. Records are in data/<source>.jsonl, one JSON object\n"
            "per line, described by schemas/<source>.schema.json (JSON Schema 2020-12).")
        + "\n\n" + _("To check that nothing was altered:") + "  sha256sum -c SHA256SUMS\n"
    ).encode()
