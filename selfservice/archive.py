"""The export archive: one subject's records from every registered source, streamed into a ZIP
that a machine and a person can both read and verify (the layout is in docs/api.md).

```
README.txt                     a small first entry: what this is and how to check it
data/<source>.jsonl            one JSON object per line (and data/<source>.csv for flat sources)
schemas/<source>.schema.json   JSON Schema (2020-12) of that source's records
manifest.json                  format, reference, account, every source (its schema check too)
                               and file with counts
index.html                     offline viewer: no external fonts, scripts or images
SHA256SUMS                     `sha256sum -c SHA256SUMS` verifies every other file
```

Memory stays flat whatever the account's size: records stream from the source (server-side
cursors), are serialised in batches, and a writer thread compresses and hashes them while the
next batch is read (zlib and hashlib release the GIL, so both cores work). The archive is written
under a temporary name and renamed when complete, so a killed job never leaves a torn file.
No Flask in here: jobs and benchmarks call it directly.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import html
import io
import json
import os
import queue
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from .record_check import SampleCheck
from .sources import LEGAL_BASES, DataSource, Subject

FORMAT = "selfservice-export"
FORMAT_VERSION = "1.1"
#: bytes of serialised records handed to the writer thread at a time
CHUNK = 256 * 1024
#: records kept per source for the offline viewer's preview
PREVIEW = 20

#: progress(fraction done 0..1, what is happening now)
Progress = Callable[[float, str], None]


class _Tracker:
    """Turns records written into a fraction of the whole archive: sources that can count
    their records weigh by them, the others as one record each."""

    def __init__(self, sources: list[DataSource], subject: Subject,
                 progress: Progress | None) -> None:
        self.progress = progress
        self.weights = [max(1, s.count(subject)) if s.count and progress else 1
                        for s in sources]
        self.total = max(1, sum(self.weights))
        self.done = 0

    def report(self, index: int, records: int, step: str) -> None:
        if self.progress:
            within = min(records, self.weights[index])
            self.progress(min(1.0, (self.done + within) / self.total), step)

    def finished(self, index: int) -> None:
        self.done += self.weights[index]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot export a {type(value).__name__}")


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default).encode


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


@dataclass
class ArchiveResult:
    path: str
    bytes: int
    sha256: str
    records: int
    sources: list[SourceEntry]


class _HashingWriter:
    """Writes one ZIP entry from another thread: compressing and hashing overlap with the
    producer reading and serialising the next chunk."""

    def __init__(self, archive: zipfile.ZipFile, path: str) -> None:
        self.entry = FileEntry(path)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._archive = archive
        self._thread = threading.Thread(target=self._run, name=f"zip:{path}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        digest = hashlib.sha256()
        size = 0
        try:
            info = zipfile.ZipInfo(self.entry.path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with self._archive.open(info, "w", force_zip64=True) as out:
                while (chunk := self._queue.get()) is not None:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        except BaseException as exc:  # reported to the producer by close()
            self._error = exc
            while self._queue.get() is not None:  # drain so the producer never blocks
                pass
        self.entry.bytes, self.entry.sha256 = size, digest.hexdigest()

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def close(self) -> FileEntry:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.entry


def _lines(source: DataSource, subject: Subject, entry: SourceEntry,
           csv_out: Any | None) -> Iterator[bytes]:
    """The source's records as JSON lines (its own serialised ones when it offers them and no
    CSV is wanted); keeps a preview, and writes the CSV rows alongside when asked."""
    if source.export_jsonl is not None and csv_out is None:
        for line in source.export_jsonl(subject):
            if not line.endswith(b"\n"):
                line += b"\n"
            if len(entry.preview) < PREVIEW:
                entry.preview.append(json.loads(line))
            yield line
        return
    fields = source.fields
    for record in source.export(subject):
        if len(entry.preview) < PREVIEW:
            entry.preview.append(dict(record))
        if csv_out is not None:
            csv_out.writerow([_csv_value(record.get(name)) for name in fields])
        yield (_encode(record) + "\n").encode()


def _jsonl_chunks(source: DataSource, subject: Subject, entry: SourceEntry,
                  csv_out: Any | None, on_batch: Callable[[int], None]) -> Iterator[bytes]:
    """Those lines counted, a sample of them checked against the schema, and joined into
    chunks for the writer thread."""
    buffer: list[bytes] = []
    size = 0
    check, next_check = entry.check, 1
    for line in _lines(source, subject, entry, csv_out):
        entry.records += 1
        if entry.records == next_check:  # all an unsampled record costs
            next_check = check.sample(entry.records, line)
        buffer.append(line)
        size += len(line)
        if size >= CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
            on_batch(entry.records)
    if buffer:
        yield b"".join(buffer)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | Decimal):
        return _default(value)
    return value


def _schema_document(source: DataSource) -> bytes:
    schema = dict(source.schema)
    schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    schema.setdefault("title", source.name)
    schema.setdefault("description", source.description)
    return json.dumps(schema, indent=2, ensure_ascii=False).encode() + b"\n"


def _readme(reference: str, account_id: str, generated_at: datetime) -> bytes:
    return (
        f"Personal data export {reference}\n"
        f"Account: {account_id}\nGenerated: {generated_at.isoformat()}\n\n"
        "Open index.html in a browser to look through it (it works offline).\n"
        "manifest.json lists every source: what it is, why it is kept, the legal basis, how\n"
        "long it is kept, and its files. Records are in data/<source>.jsonl, one JSON object\n"
        "per line, described by schemas/<source>.schema.json (JSON Schema 2020-12).\n\n"
        "To check that nothing was altered:  sha256sum -c SHA256SUMS\n"
    ).encode()


def build(path: str, subject: Subject, sources: Iterable[DataSource], *, reference: str,
          generated_at: datetime, csv_files: bool = False, progress: Progress | None = None,
          schema_check: str = "strict") -> ArchiveResult:
    """Write the archive of ``subject`` to ``path`` (atomically). ``progress(fraction, step)``
    is called as it goes (records written against the sources' counts). A sampled record not
    matching its schema raises SchemaMismatch (``schema_check`` "strict") or is logged and
    noted in the manifest ("warn"); the export job passes SELFSERVICE_EXPORT_SCHEMA_CHECK."""
    sources = list(sources)
    tracker = _Tracker(sources, subject, progress)
    folder = os.path.dirname(os.path.abspath(path))
    fd, part = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".part")
    os.close(fd)
    entries: list[SourceEntry] = []
    sums: list[FileEntry] = []
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6,
                             allowZip64=True) as archive:
            _add(archive, "README.txt", _readme(reference, subject.account_id, generated_at))
            for index, source in enumerate(sources):
                tracker.report(index, 0, f"Exporting {source.description}")
                entry = SourceEntry(source, SampleCheck(source.name, source.schema, schema_check))
                entries.append(_add_source(archive, entry, subject, csv_files, sums,
                                           tracker, index))
                tracker.finished(index)
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION, "reference": reference,
                "account_id": subject.account_id, "generated_at": generated_at.isoformat(),
                "records": sum(e.records for e in entries),
                "sources": [e.as_json() for e in entries],
            }
            sums.append(_add(archive, "manifest.json",
                             json.dumps(manifest, indent=2, ensure_ascii=False).encode()))
            sums.append(_add(archive, "index.html", _index_html(manifest, entries)))
            listing = "".join(f"{f.sha256}  {f.path}\n" for f in sums)
            _add(archive, "SHA256SUMS", listing.encode())
        with open(part, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    if progress:
        progress(1.0, "Archive complete")
    return ArchiveResult(path=path, bytes=os.path.getsize(path), sha256=digest.hexdigest(),
                         records=sum(e.records for e in entries), sources=entries)


def _add(archive: zipfile.ZipFile, path: str, data: bytes) -> FileEntry:
    info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
    return FileEntry(path, len(data), hashlib.sha256(data).hexdigest())


def _add_source(archive: zipfile.ZipFile, entry: SourceEntry, subject: Subject,
                csv_files: bool, sums: list[FileEntry], tracker: _Tracker,
                index: int) -> SourceEntry:
    source = entry.source
    schema_path = f"schemas/{source.name}.schema.json"
    schema_file = _add(archive, schema_path, _schema_document(source))
    sums.append(schema_file)

    def on_batch(records: int) -> None:
        tracker.report(index, records, f"Exporting {source.description}: {records:,} records")

    with contextlib.ExitStack() as stack:
        spool: IO[str] | None = None
        csv_out = None
        if csv_files and source.is_flat:
            # the CSV rows are written in the same pass, to a temporary file on disk
            spool = stack.enter_context(
                tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))
            csv_out = csv.writer(spool)
            csv_out.writerow(source.fields)
        writer = _HashingWriter(archive, f"data/{source.name}.jsonl")
        try:
            for chunk in _jsonl_chunks(source, subject, entry, csv_out, on_batch):
                writer.write(chunk)
        finally:
            data_file = writer.close()
        entry.check.finish()
        data_file.records, data_file.schema = entry.records, schema_path
        entry.files.append(data_file)
        sums.append(data_file)
        if spool is not None:
            spool.seek(0)
            csv_writer = _HashingWriter(archive, f"data/{source.name}.csv")
            try:
                while block := spool.read(CHUNK):
                    csv_writer.write(block.encode())
            finally:
                csv_file = csv_writer.close()
            csv_file.records, csv_file.schema = entry.records, schema_path
            entry.files.append(csv_file)
            sums.append(csv_file)
    entry.files.append(schema_file)
    return entry


def _index_html(manifest: Mapping[str, Any], entries: list[SourceEntry]) -> bytes:
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
    text = value if isinstance(value, str) else json.dumps(value, default=_default,
                                                            ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"
