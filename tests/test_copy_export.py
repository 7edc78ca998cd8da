"""JSON lines written by the database (COPY exporters, `export_chunks`): on PostgreSQL the
demo's big sources hand over what `COPY (SELECT row_to_json(...)) TO STDOUT` writes, and the
archive holds the very bytes the record-by-record path writes for the same rows, tricky values
included; a query of every supported column type gives the plugin encoder's lines; types the
database would write otherwise are refused up front; SQLite keeps the record-by-record path; and
the archive counts, previews and samples ready chunks of any size."""

from __future__ import annotations

import enum
import hashlib
import json
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql

from demo.models import GpuInstance, GpuJob, InferenceLog, SecurityEvent
from selfservice import archive, archive_content, record_check
from selfservice.copy_export import copy_exporter
from selfservice.db import UTCDateTime, create_engine
from selfservice.sources import DataSource, Subject

from .viewer_pages import parse

WHEN = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BIG = ("inference_logs", "gpu_jobs", "security_events")
#: every control character, DEL, quotes, backslashes, what looks like escapes and markup
CONTROL = "".join(chr(c) for c in range(1, 32)) + "\x7f"
TRICKY = [
    CONTROL,
    'say "hi" \\ back\\slash \\n not a newline \\u0041 \\"',
    "Grüße, 東京, مرحبا, שלום, 😀👩🏽‍💻, e\u0301, \u2028\u2029, \ufeff, </script>",
    '{"messages":[{"role":"user","content":"line\\none \\"quoted\\""}],"n":1e3,"x":2.50}',
    "",
    " ",
]
#: times with and without a fraction, at the edges of what they hold
TIMES = [
    datetime(2026, 3, 1, 9, 30, 17, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 30, 17, 1, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 30, 17, 500000, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 30, 17, 123456, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]
BIGINTS = [9_007_199_254_740_993, 9_223_372_036_854_775_807]


class Colour(enum.Enum):
    RED = "red"


def _never(subject: Subject) -> Iterator[dict[str, Any]]:
    raise AssertionError("the record-by-record path ran where COPY should have")


def _add_tricky_rows(engine: sa.Engine) -> None:
    """Rows of acct-alice in the big sources holding every tricky value."""
    logs: list[dict[str, Any]] = []
    for n, text in enumerate(TRICKY * 2):
        logs.append({
            "id": BIGINTS[n % 2] - n, "account_id": "acct-alice", "created_at": TIMES[n % 7],
            "model": text[:100], "endpoint": TRICKY[(n + 1) % len(TRICKY)][:100],
            "prompt_tokens": 2_147_483_647, "completion_tokens": -2_147_483_648,
            "latency_ms": 0, "status_code": 32_767 if n % 2 else -1,
            "request_body": text * 3 if n % 3 else None,
            "response_body": None if n % 2 else text})
    with engine.begin() as connection:
        connection.execute(sa.insert(InferenceLog), logs)
        instance = connection.scalar(sa.select(GpuInstance.id)
                                     .where(GpuInstance.account_id == "acct-alice").limit(1))
        connection.execute(sa.insert(GpuJob), [
            {"instance_id": instance, "account_id": "acct-alice", "started_at": at,
             "ended_at": None if n % 2 else at, "gpu_seconds": 2**31 - 1,
             "exit_code": None if n % 2 else -9, "error_log": TRICKY[n % len(TRICKY)] or None}
            for n, at in enumerate(TIMES)])
        connection.execute(sa.insert(SecurityEvent), [
            {"account_id": "acct-alice", "at": at, "kind": TRICKY[n % len(TRICKY)][:40],
             "ip_address": "2001:db8::1", "user_agent": TRICKY[(n + 2) % len(TRICKY)]}
            for n, at in enumerate(TIMES)])


def _build(app: Flask, tmp_path: Path, name: str, sources: list[DataSource]
           ) -> dict[str, Any]:
    """The archive's data files (path -> SHA-256 of the bytes), its manifest and the
    lines of the big sources."""
    target = tmp_path / f"{name}.zip"
    with app.app_context():
        archive.build(str(target), Subject("acct-alice"), sources, reference="DR-COPY",
                      generated_at=WHEN)
    with zipfile.ZipFile(target) as zf:
        data = {n: hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist()
                if n.startswith("data/")}
        lines = {s: zf.read(f"data/{s}.jsonl").splitlines() for s in BIG}
        return {"data": data, "manifest": json.loads(zf.read("manifest.json")),
                "sums": zf.read("SHA256SUMS"), "lines": lines}


@pytest.mark.backends("postgresql")
def test_copy_writes_the_very_bytes_of_the_record_by_record_path(
        app: Flask, tmp_path: Path) -> None:
    _add_tricky_rows(app.extensions["demo"].engine)
    registered = list(app.extensions["selfservice"].extension.sources)
    assert sorted(s.name for s in registered if s.export_chunks) == sorted(BIG)
    # COPY for the big sources (their record-by-record exporter would fail the test) ...
    by_copy = _build(app, tmp_path, "copy", [
        replace(s, export=_never) if s.export_chunks else s for s in registered])
    # ... and every source record by record, as before COPY exporters existed
    by_record = _build(app, tmp_path, "records", [
        replace(s, export_chunks=None) for s in registered])
    assert by_copy["data"] == by_record["data"]  # every data file, SHA-256 equal
    assert by_copy["manifest"] == by_record["manifest"]  # records, sampled, first problem
    assert by_copy["sums"] == by_record["sums"]
    checks = {s["name"]: s for s in by_copy["manifest"]["sources"]}
    for name in BIG:
        assert checks[name]["schema_check"]["mismatches"] == 0
        assert checks[name]["records"] == len(by_copy["lines"][name])
    logs = [json.loads(line) for line in by_copy["lines"]["inference_logs"]]
    assert checks["inference_logs"]["records"] == 300 + 2 * len(TRICKY)
    assert {log["model"] for log in logs} >= {t[:100] for t in TRICKY}
    assert {log["id"] for log in logs} >= {BIGINTS[0], BIGINTS[1] - 1}
    times = {log["created_at"] for log in logs}
    assert {"2026-03-01T09:30:17+00:00", "2026-03-01T09:30:17.000001+00:00",
            "2026-03-01T09:30:17.500000+00:00", "0999-12-31T23:59:59.999999+00:00",
            "2026-03-01T08:30:00+00:00"} <= times
    assert any(log["response_body"] is None for log in logs)
    raw = b"\n".join(by_copy["lines"]["inference_logs"])
    assert b"\\u0001" in raw and b"\\u001f" in raw and b"\x7f" in raw  # as json.dumps writes
    assert "😀".encode() in raw and b"\\ud83d" not in raw  # UTF-8 kept, not escaped


#: a table of every column type a COPY exporter takes
ALL_TYPES = sa.Table(
    "copy_all_types", sa.MetaData(),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("small", sa.SmallInteger), sa.Column("whole", sa.Integer),
    sa.Column("short", sa.String(50)), sa.Column("long", sa.Text),
    sa.Column("flag", sa.Boolean), sa.Column("day", sa.Date),
    sa.Column("naive", sa.DateTime), sa.Column("aware", sa.DateTime(timezone=True)),
    sa.Column("utc", UTCDateTime()))


def _all_types_rows() -> list[dict[str, Any]]:
    rows = []
    for n in range(40):
        moment = TIMES[n % len(TIMES)]
        empty = n % 5 == 4
        rows.append({
            "id": BIGINTS[1] - n if n % 2 else -n, "small": None if empty else n - 20,
            "whole": None if empty else -2**31 + n, "short": None if empty else TRICKY[n % 6][:50],
            "long": None if empty else TRICKY[(n + 3) % 6] * 50,
            "flag": None if empty else n % 3 == 0,
            "day": None if empty else date(max(1, moment.year), 1 + n % 12, 1 + n % 28),
            "naive": None if empty else moment.replace(tzinfo=None),
            "aware": None if empty else moment, "utc": None if empty else moment})
    return rows


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "America/St_Johns"])
def test_every_supported_column_type_gives_the_encoders_lines(db_url: str, zone: str) -> None:
    # the session's time zone decides how an aware time comes back: both paths share it
    engine = create_engine(db_url, connect_args={"options": f"-c timezone={zone}"})
    try:
        ALL_TYPES.create(engine)
        with engine.begin() as connection:
            connection.execute(sa.insert(ALL_TYPES), _all_types_rows())

        def query(subject: Subject) -> sa.Select[Any]:
            c = ALL_TYPES.c
            return (sa.select(*(column.label(f"{column.name} ✓\"") if column.name == "long"
                                else column for column in c))
                    .where(c.id != 0).order_by(c.id))

        exporter = copy_exporter(engine, query, chunk=1000)
        assert exporter is not None
        chunks = list(exporter(Subject("acct-any")))
        with engine.connect() as connection:
            expected = b"".join(archive_content.encode_record(dict(row._mapping)).encode()
                                + b"\n" for row in connection.execute(query(Subject(""))))
        assert len(chunks) > 5 and all(chunk.endswith(b"\n") for chunk in chunks)
        assert b"".join(chunks) == expected
        assert expected.count(b"\n") == 39 and b'"long \xe2\x9c\x93\\"":' in expected
    finally:
        ALL_TYPES.drop(engine, checkfirst=True)
        engine.dispose()


@pytest.mark.parametrize(("column", "kind"), [
    (sa.Column("doc", postgresql.JSONB), "JSONB"), (sa.Column("doc", sa.JSON), "JSON"),
    (sa.Column("ratio", sa.Float), "Float"), (sa.Column("price", sa.Numeric(10, 2)), "Numeric"),
    (sa.Column("key", sa.Uuid), "Uuid"), (sa.Column("blob", sa.LargeBinary), "LargeBinary"),
    (sa.Column("state", sa.Enum(Colour)), "Enum"),
])
def test_a_column_the_database_would_write_otherwise_is_refused_up_front(
        column: sa.Column[Any], kind: str) -> None:
    # no database is reached: the exporter is refused when the source is made
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    table = sa.Table("refused", sa.MetaData(), sa.Column("id", sa.Integer), column)
    with pytest.raises(TypeError, match=rf"column '{column.name}': .*{kind}"):
        copy_exporter(engine, lambda subject: sa.select(table))
    # cast in the query, the same column is fine (as a string, on both paths)
    assert copy_exporter(engine, lambda subject: sa.select(
        table.c.id, sa.cast(table.c[column.name], sa.Text).label(column.name))) is not None


def test_a_label_postgresql_would_cut_short_is_refused() -> None:
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer))
    long_name = "é" * 32  # 64 bytes
    with pytest.raises(TypeError, match="more than 63 bytes"):
        copy_exporter(engine, lambda subject: sa.select(table.c.id.label(long_name)))
    assert copy_exporter(engine, lambda subject: sa.select(
        table.c.id.label(long_name[:-1] + "e"))) is not None


def test_sqlite_keeps_the_record_by_record_path(tmp_path: Path) -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert copy_exporter(engine, lambda subject: sa.select(table.c.id)) is None


@pytest.mark.backends("sqlite")
def test_the_demo_registers_copy_only_on_postgresql(app: Flask) -> None:
    sources = list(app.extensions["selfservice"].extension.sources)
    assert [s.name for s in sources if s.export_chunks] == []


# -- the archive's side: ready chunks of any size ----------------------------------------------

SCHEMA = {"type": "object", "properties": {
    "n": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"}},
    "required": ["n", "created_at"]}


def _record(n: int, naive_at: Collection[int]) -> dict[str, Any]:
    return {"n": n, "created_at": "2026-03-01T09:30:17" + ("" if n in naive_at else "+00:00")}


def _line(n: int, naive_at: Collection[int]) -> bytes:
    return archive_content.encode_record(_record(n, naive_at)).encode() + b"\n"


def chunked(count: int, naive_at: Collection[int] = (), sizes: tuple[int, ...] = (1, 7, 333)
            ) -> DataSource:
    """``count`` records handed over in chunks of ``sizes`` lines in turn (and an empty
    chunk now and then); those in ``naive_at`` have no UTC offset. Its ``export`` gives the
    same records one by one."""

    def chunks(subject: Subject) -> Iterator[bytes]:
        n, turn = 1, 0
        while n <= count:
            size = sizes[turn % len(sizes)]
            yield b"".join(_line(i, naive_at) for i in range(n, min(n + size, count + 1)))
            if turn % 5 == 0:
                yield b""
            n, turn = n + size, turn + 1

    return DataSource(name="chunked", description="Chunked records", purpose="Testing",
                      legal_basis="contract", retention="none", schema=SCHEMA,
                      export=lambda subject: (_record(n, naive_at) for n in range(1, count + 1)),
                      export_chunks=chunks)


def _archive(tmp_path: Path, source: DataSource, mode: str = "strict", **kwargs: Any
             ) -> tuple[archive.ArchiveResult, zipfile.ZipFile]:
    target = tmp_path / "exports" / "export.zip"
    target.parent.mkdir(exist_ok=True)
    result = archive.build(str(target), Subject("acct-alice"), [source], reference="DR-C",
                           generated_at=WHEN, schema_check=mode, **kwargs)
    return result, zipfile.ZipFile(target)


def test_ready_chunks_are_counted_shown_and_sampled_as_records_are(tmp_path: Path) -> None:
    result, zf = _archive(tmp_path, replace(chunked(2_500), export=_never))
    with zf:
        data = zf.read("data/chunked.jsonl")
        manifest = json.loads(zf.read("manifest.json"))
        viewer = zf.read("index.html")
    assert data == b"".join(_line(n, set()) for n in range(1, 2_501))
    assert result.records == manifest["records"] == 2_500
    [entry] = manifest["sources"]
    assert entry["files"][0]["records"] == 2_500
    assert entry["schema_check"] == {"sampled": 52, "mismatches": 0, "first": None}
    section = parse(viewer.decode()).find("section", id="chunked")
    embedded = json.loads(section.find("script", type="application/json").text())
    assert [row[0] for row in embedded] == [str(n) for n in range(1, 2_001)]
    # the very archive the records make, viewer included
    (tmp_path / "exports" / "export.zip").rename(tmp_path / "chunks.zip")
    _, by_record = _archive(tmp_path, replace(chunked(2_500), export_chunks=None))
    with by_record:
        assert by_record.read("index.html") == viewer
        assert by_record.read("SHA256SUMS") == zipfile.ZipFile(
            tmp_path / "chunks.zip").read("SHA256SUMS")


@pytest.mark.parametrize("bad", [1, 8, 50, 1_000, 2_000])
def test_a_sampled_bad_record_in_a_chunk_stops_a_strict_export(tmp_path: Path,
                                                                bad: int) -> None:
    with pytest.raises(record_check.SchemaMismatch, match="'chunked'.*created_at"):
        _archive(tmp_path, chunked(2_500, {bad}))
    assert list((tmp_path / "exports").iterdir()) == []
    # where the sample does not look, it goes through (as for records)
    _, zf = _archive(tmp_path, chunked(2_500, {bad + 1 if bad >= 50 else 51}))
    zf.close()


def test_a_warn_export_notes_chunked_mismatches(tmp_path: Path) -> None:
    result, zf = _archive(tmp_path, chunked(3_000, {3, 1_000, 1_001}, sizes=(2_000,)), "warn")
    zf.close()
    assert result.records == 3_000
    assert [e.check.as_json() for e in result.sources] == [{
        "sampled": 53, "mismatches": 2,  # 1 to 50, 1,000, 2,000 and 3,000
        "first": "created_at: must be a date-time with a UTC offset (RFC 3339)"}]


def test_a_chunk_that_stops_mid_line_fails_the_export_and_leaves_nothing(
        tmp_path: Path) -> None:
    torn = replace(chunked(10), export_chunks=lambda subject: iter([b'{"n":1,', b'"x":2}\n']))
    with pytest.raises(ValueError, match="'chunked': a chunk of JSON lines must end at a line"):
        _archive(tmp_path, torn)
    assert list((tmp_path / "exports").iterdir()) == []


def test_csv_files_come_from_the_records(tmp_path: Path) -> None:
    flat = DataSource(
        name="flat", description="Flat", purpose="Testing", legal_basis="contract",
        retention="none", schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        export=lambda subject: ({"n": n} for n in range(3)),
        export_chunks=lambda subject: iter([b"ready chunks are not used for CSV\n"]))
    _, zf = _archive(tmp_path, flat, csv_files=True)
    with zf:
        assert zf.read("data/flat.jsonl") == b'{"n":0}\n{"n":1}\n{"n":2}\n'
        assert zf.read("data/flat.csv").decode().splitlines() == ["n", "0", "1", "2"]
