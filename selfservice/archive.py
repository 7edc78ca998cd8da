"""The export archive: one subject's records from every registered source, streamed into a ZIP
that a machine and a person can both read and verify (the layout is in docs/api.md).

```
README.txt                     a small first entry: what this is and how to check it
data/<source>.jsonl            one JSON object per line (and data/<source>.csv for flat sources)
schemas/<source>.schema.json   JSON Schema (2020-12) of that source's records
manifest.json                  format, reference, account, every source (its schema check too)
                               and file with counts
index.html                     offline viewer (archive_viewer.py): each source's first records
                               as a table to page through and search; nothing from outside
SHA256SUMS                     `sha256sum -c SHA256SUMS` verifies every other file
```

Memory stays flat whatever the account's size: records stream from the source (server-side
cursors), are serialised in batches, and a writer thread compresses and hashes them while the
next batch is read (zlib and hashlib release the GIL, so both cores work). The archive goes to an
archive store's upload (selfservice.storage), which makes it visible only when complete: a part
file renamed into place, or a multipart upload completed at the very end; a killed job never
leaves a torn archive under a real name. What the archive says besides the records (README,
schemas, the viewer) is in archive_content.py. No Flask in here: jobs and benchmarks call it
directly.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import queue
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from . import archive_viewer
from .archive_content import (
    FORMAT,
    FORMAT_VERSION,
    FileEntry,
    SourceEntry,
    csv_value,
    encode_record,
    readme,
    schema_document,
)
from .archive_viewer import Sample, Translate
from .record_check import SampleCheck
from .sources import DataSource, Subject
from .storage.base import Upload
from .storage.local import LocalUpload

#: bytes of serialised records handed to the writer thread at a time
CHUNK = 256 * 1024
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


@dataclass
class ArchiveResult:
    #: the archive's name in its store (a path's file name)
    name: str
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


def _lines(source: DataSource, subject: Subject, sample: Sample,
           csv_out: Any | None) -> Iterator[bytes]:
    """The source's records as JSON lines (its own serialised ones when it offers them and no
    CSV is wanted); the first ones go to the viewer's sample as they pass, and the CSV rows
    are written alongside when asked."""
    if source.export_jsonl is not None and csv_out is None:
        for line in source.export_jsonl(subject):
            if not line.endswith(b"\n"):
                line += b"\n"
            if not sample.full:
                sample.add(json.loads(line))
            yield line
        return
    fields = source.fields
    for record in source.export(subject):
        if not sample.full:
            sample.add(record)
        if csv_out is not None:
            csv_out.writerow([csv_value(record.get(name)) for name in fields])
        yield (encode_record(record) + "\n").encode()


def _jsonl_chunks(source: DataSource, subject: Subject, entry: SourceEntry, sample: Sample,
                  csv_out: Any | None, on_batch: Callable[[int], None]) -> Iterator[bytes]:
    """Those lines counted, a sample of them checked against the schema, and joined into
    chunks for the writer thread (or the source's own chunks, when it hands some over and no
    CSV is wanted)."""
    if source.export_chunks is not None and csv_out is None:
        yield from _ready_chunks(source.export_chunks(subject), _Picker(entry, sample),
                                 on_batch)
        return
    buffer: list[bytes] = []
    size = 0
    check, next_check = entry.check, 1
    for line in _lines(source, subject, sample, csv_out):
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


def _ready_chunks(chunks: Iterable[bytes], picker: _Picker,
                  on_batch: Callable[[int], None]) -> Iterator[bytes]:
    """A source's own chunks of JSON lines, on to the writer thread as they are (small ones
    joined): the lines are counted in C, and only a chunk holding a record the viewer shows or
    the schema check samples is looked into."""
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        if not chunk.endswith(b"\n"):
            if not chunk:
                continue
            raise ValueError(f"source {picker.entry.source.name!r}: a chunk of JSON lines "
                             "must end at a line end")
        picker.take(chunk)
        pending.append(chunk)
        size += len(chunk)
        if size >= CHUNK:
            yield pending[0] if len(pending) == 1 else b"".join(pending)
            pending, size = [], 0
            on_batch(picker.entry.records)
    if pending:
        yield b"".join(pending)


class _Picker:
    """Counts the records of ready chunks and reads the few the viewer shows (the first ones)
    or the schema check samples."""

    def __init__(self, entry: SourceEntry, sample: Sample) -> None:
        self.entry, self.sample = entry, sample
        self.next_check = 1

    def _after(self, number: int) -> int:
        """The next record to read after record ``number``."""
        return number + 1 if not self.sample.full else self.next_check

    def take(self, chunk: bytes) -> None:
        entry = self.entry
        number, start = entry.records + 1, 0
        entry.records += chunk.count(b"\n")
        wanted = self._after(number - 1)
        while wanted <= entry.records:
            while number < wanted:  # to the start of line ``wanted``
                start = chunk.index(b"\n", start) + 1
                number += 1
            line = chunk[start:chunk.index(b"\n", start) + 1]
            if number == self.next_check:
                self.next_check = entry.check.sample(number, line)
            if not self.sample.full:
                with contextlib.suppress(ValueError):  # the check says so, if it looked
                    record = json.loads(line)
                    if isinstance(record, dict):
                        self.sample.add(record)
            wanted = self._after(number)


def build(target: str | Upload, subject: Subject, sources: Iterable[DataSource], *,
          reference: str, generated_at: datetime, csv_files: bool = False,
          progress: Progress | None = None, schema_check: str = "strict",
          lang: str = "en", translate: Translate | None = None) -> ArchiveResult:
    """Write the archive of ``subject`` to ``target``: an archive store's upload, made visible
    only once complete (nothing is left of a failed one), or a file path (the same through a
    part file renamed into place). ``progress(fraction, step)`` is called as it goes (records
    written against the sources' counts). A sampled record not matching its schema raises
    SchemaMismatch (``schema_check`` "strict") or is logged and noted in the manifest
    ("warn"); the export job passes SELFSERVICE_EXPORT_SCHEMA_CHECK. An archive store that
    fails raises StorageUnavailable. README.txt and index.html are written in ``lang`` (the
    plugin's catalogue for it; English if it has none), the sources' words through
    ``translate`` (default: the plugin's catalogue); the data is as the sources give it."""
    lang = archive_viewer.language(lang)
    sources = list(sources)
    tracker = _Tracker(sources, subject, progress)
    upload = LocalUpload(target) if isinstance(target, str) else target
    entries: list[SourceEntry] = []
    samples: list[Sample] = []
    sums: list[FileEntry] = []
    try:
        # the viewer's records, kept until index.html is written last
        with archive_viewer.spool() as spool, zipfile.ZipFile(  # type: ignore[call-overload]
                upload, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6,
                allowZip64=True) as archive:
            _add(archive, "README.txt", readme(reference, subject.account_id, generated_at,
                                               archive_viewer.catalogue(lang).ugettext))
            for index, source in enumerate(sources):
                tracker.report(index, 0, f"Exporting {source.description}")
                entry = SourceEntry(source, SampleCheck(source.name, source.schema, schema_check))
                samples.append(Sample(source, spool))
                entries.append(_add_source(archive, entry, samples[-1], subject, csv_files,
                                           sums, tracker, index))
                tracker.finished(index)
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION, "reference": reference,
                "account_id": subject.account_id, "generated_at": generated_at.isoformat(),
                "records": sum(e.records for e in entries),
                "sources": [e.as_json() for e in entries],
            }
            sums.append(_add(archive, "manifest.json",
                             json.dumps(manifest, indent=2, ensure_ascii=False).encode()))
            sums.append(_add_stream(archive, "index.html", archive_viewer.render(
                manifest, entries, samples, list(sums), generated_at, lang, translate)))
            listing = "".join(f"{f.sha256}  {f.path}\n" for f in sums)
            _add(archive, "SHA256SUMS", listing.encode())
        stored = upload.commit()
    except BaseException:
        upload.abort()
        raise
    if progress:
        progress(1.0, "Archive complete")
    return ArchiveResult(name=stored.name, bytes=stored.bytes, sha256=stored.sha256,
                         records=sum(e.records for e in entries), sources=entries)


def _add(archive: zipfile.ZipFile, path: str, data: bytes) -> FileEntry:
    info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
    return FileEntry(path, len(data), hashlib.sha256(data).hexdigest())


def _add_stream(archive: zipfile.ZipFile, path: str, chunks: Iterable[bytes]) -> FileEntry:
    writer = _HashingWriter(archive, path)
    try:
        for chunk in chunks:
            writer.write(chunk)
    finally:
        entry = writer.close()
    return entry


def _add_source(archive: zipfile.ZipFile, entry: SourceEntry, sample: Sample,
                subject: Subject, csv_files: bool, sums: list[FileEntry], tracker: _Tracker,
                index: int) -> SourceEntry:
    source = entry.source
    schema_path = f"schemas/{source.name}.schema.json"
    schema_file = _add(archive, schema_path, schema_document(source))
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
            for chunk in _jsonl_chunks(source, subject, entry, sample, csv_out, on_batch):
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
