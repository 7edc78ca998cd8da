"""What an export archive says besides the records: the entries it lists, its README, the JSON
Schema documents, the offline viewer (index.html), and how values are written (JSON lines, CSV
cells). No Flask and no I/O in here: :mod:`selfservice.archive` writes what this renders.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping
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
    preview: list[Mapping[str, Any]] = field(default_factory=list)

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


def readme(reference: str, account_id: str, generated_at: datetime) -> bytes:
    return (
        f"Personal data export {reference}\n"
        f"Account: {account_id}\nGenerated: {generated_at.isoformat()}\n\n"
        "Open index.html in a browser to look through it (it works offline).\n"
        "manifest.json lists every source: what it is, why it is kept, the legal basis, how\n"
        "long it is kept, and its files. Records are in data/<source>.jsonl, one JSON object\n"
        "per line, described by schemas/<source>.schema.json (JSON Schema 2020-12).\n\n"
        "To check that nothing was altered:  sha256sum -c SHA256SUMS\n"
    ).encode()


def index_html(manifest: Mapping[str, Any], entries: list[SourceEntry]) -> bytes:
    """A self-contained page: what each source is and why it is kept, its files, and the
    first records as a table."""
    e = html.escape
    out = io.StringIO()
    out.write("<!doctype html><html lang=en><meta charset=utf-8>"
              "<meta name=viewport content='width=device-width,initial-scale=1'>"
              f"<title>Your data: {e(manifest['reference'])}</title><style>"
              "body{font:16px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;"
              "padding:0 1rem;color:#1f2328}table{border-collapse:collapse;font-size:.85rem;"
              "display:block;overflow-x:auto}th,td{border:1px solid #d0d7de;padding:.25rem"
              " .5rem;text-align:left;vertical-align:top}section{margin:2rem 0}"
              "dt{font-weight:600}code{font-size:.85rem}</style>")
    out.write(f"<h1>Your data</h1><p>Export <strong>{e(manifest['reference'])}</strong> of "
              f"account <code>{e(manifest['account_id'])}</code>, generated "
              f"{e(manifest['generated_at'])}: {manifest['records']:,} records from "
              f"{len(entries)} sources. Check it with <code>sha256sum -c SHA256SUMS</code>."
              "</p><nav><ul>")
    for entry in entries:
        out.write(f"<li><a href='#{e(entry.source.name)}'>{e(entry.source.description)}</a>"
                  f" ({entry.records:,})</li>")
    out.write("</ul></nav>")
    for entry in entries:
        s = entry.source
        out.write(f"<section id='{e(s.name)}'><h2>{e(s.description)}</h2><dl>"
                  f"<dt>Why we keep it</dt><dd>{e(s.purpose)}</dd>"
                  f"<dt>Legal basis</dt><dd>{e(LEGAL_BASES[s.legal_basis])}</dd>"
                  f"<dt>How long</dt><dd>{e(s.retention)}</dd>"
                  f"<dt>Records</dt><dd>{entry.records:,}</dd><dt>Files</dt><dd>")
        out.write(", ".join(f"<a href='{e(f.path)}'>{e(f.path)}</a>" for f in entry.files))
        out.write("</dd></dl>")
        if entry.preview:
            fields = s.fields
            shown = (f"the first {len(entry.preview)}" if entry.records > len(entry.preview)
                     else "all")
            out.write(f"<p>{shown} records:</p><table><tr>")
            out.write("".join(f"<th scope=col>{e(name)}</th>" for name in fields))
            out.write("</tr>")
            for record in entry.preview:
                out.write("<tr>" + "".join(
                    f"<td>{e(_cell(record.get(name)))}</td>" for name in fields) + "</tr>")
            out.write("</table>")
        out.write("</section>")
    out.write("</html>\n")
    return out.getvalue().encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=json_default,
                                                            ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"
