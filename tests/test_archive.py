"""The export archive of a demo account, on SQLite and PostgreSQL: every registered source with
exact record counts, checksums that `sha256sum -c` accepts, records that validate against their
schemas, no secret anywhere, CSV for flat sources, and no torn file when a source fails."""

from __future__ import annotations

import json
import logging
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from jsonschema import Draft202012Validator

from selfservice import archive, archive_content, archive_viewer, record_check
from selfservice.models import ConsentMethod
from selfservice.services import consent
from selfservice.sources import DataSource, Subject

from .viewer_pages import parse, table_rows

WHEN = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def build(app: Flask, tmp_path: Path, account_id: str = "acct-alice", **kwargs: Any
          ) -> tuple[archive.ArchiveResult, Path]:
    target = tmp_path / "export.zip"
    with app.app_context():
        result = archive.build(str(target), Subject(account_id),
                               app.extensions["selfservice"].extension.sources,
                               reference="DR-TEST-0001", generated_at=WHEN, **kwargs)
    return result, target


def test_every_source_is_in_the_archive_with_exact_counts(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        who = app.extensions["selfservice"].extension.load_identity("acct-alice")
        consent.change_preferences(who, {"training_opt_in": True}, method=ConsentMethod.API)
    result, target = build(app, tmp_path)
    sources = list(app.extensions["selfservice"].extension.sources)
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
    assert names[0] == "README.txt" and zf.getinfo("README.txt").file_size < 2048
    assert [s["name"] for s in manifest["sources"]] == [s.name for s in sources]
    with app.app_context():
        expected = {s.name: sum(1 for _ in s.export(Subject("acct-alice"))) for s in sources}
    assert {s["name"]: s["records"] for s in manifest["sources"]} == expected
    with app.app_context():  # the counts behind the progress bar are exact
        counted = {s.name: s.count(Subject("acct-alice")) for s in sources if s.count}
    assert counted and all(counted[name] == expected[name] for name in counted)
    assert expected["inference_logs"] == 300 and expected["consent_events"] == 1
    engine = app.extensions["demo"].engine
    with engine.connect() as connection:
        invoices = connection.scalar(sa.text(
            "SELECT count(*) FROM invoices WHERE account_id = 'acct-alice'"))
    assert expected["invoices"] == invoices
    for entry in manifest["sources"]:
        assert entry["purpose"] and entry["retention"] and entry["legal_basis"]
        [data] = [f for f in entry["files"] if f["path"].endswith(".jsonl")]
        assert data["records"] == entry["records"]
        assert data["schema"] == f"schemas/{entry['name']}.schema.json"
    assert result.records == sum(expected.values())
    assert manifest["reference"] == "DR-TEST-0001" and manifest["account_id"] == "acct-alice"


def test_sha256sum_accepts_the_checksums(app: Flask, tmp_path: Path) -> None:
    result, target = build(app, tmp_path, csv_files=True)
    out = tmp_path / "x"
    with zipfile.ZipFile(target) as zf:
        zf.extractall(out)
        listed = {line.split("  ", 1)[1] for line in
                  zf.read("SHA256SUMS").decode().splitlines()}
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    every_other = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert listed == every_other - {"SHA256SUMS", "README.txt"}
    (out / "data" / "invoices.jsonl").write_text("{}\n")  # tampering is caught
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=out,
                          capture_output=True, timeout=60).returncode != 0


def test_every_record_validates_against_its_schema(app: Flask, tmp_path: Path) -> None:
    _, target = build(app, tmp_path)
    checked = 0
    with zipfile.ZipFile(target) as zf:
        for entry in json.loads(zf.read("manifest.json"))["sources"]:
            schema = json.loads(zf.read(f"schemas/{entry['name']}.schema.json"))
            validator = Draft202012Validator(schema, format_checker=record_check.FORMATS)
            with zf.open(f"data/{entry['name']}.jsonl") as lines:
                for number, line in enumerate(lines, 1):
                    errors = list(validator.iter_errors(json.loads(line)))
                    assert errors == [], (entry["name"], number, errors[0].message)
                    checked += 1
    assert checked > 300


def test_no_secret_appears_anywhere_in_the_archive(app: Flask, tmp_path: Path) -> None:
    engine = app.extensions["demo"].engine
    with engine.connect() as connection:
        hashes = list(connection.scalars(sa.text(
            "SELECT key_hash FROM api_keys WHERE account_id = 'acct-alice'")))
        prefixes = list(connection.scalars(sa.text(
            "SELECT prefix FROM api_keys WHERE account_id = 'acct-alice'")))
    assert hashes
    _, target = build(app, tmp_path, csv_files=True)
    with zipfile.ZipFile(target) as zf:
        everything = b"".join(zf.read(name) for name in zf.namelist())
    for secret in hashes:
        assert secret.encode() not in everything
    assert b"key_hash" not in everything
    assert all(prefix.encode() in everything for prefix in prefixes)  # the safe part is there
    assert app.config["SECRET_KEY"].encode() not in everything


def test_flat_sources_also_come_as_csv(app: Flask, tmp_path: Path) -> None:
    _, target = build(app, tmp_path, csv_files=True)
    sources = {s.name: s for s in app.extensions["selfservice"].extension.sources}
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for entry in manifest["sources"]:
            paths = {f["path"] for f in entry["files"]}
            has_csv = f"data/{entry['name']}.csv" in paths
            assert has_csv == sources[entry["name"]].is_flat, entry["name"]
            if has_csv:
                rows = zf.read(f"data/{entry['name']}.csv").decode().splitlines()
                assert rows[0].split(",") == sources[entry["name"]].fields
                assert len(rows) - 1 == entry["records"]
    assert any(s.is_flat for s in sources.values())
    assert not sources["consent_events"].is_flat


def test_the_offline_viewer_shows_every_source_and_loads_nothing_from_outside(
        app: Flask, tmp_path: Path) -> None:
    _, target = build(app, tmp_path)
    with zipfile.ZipFile(target) as zf:
        page = zf.read("index.html").decode()
        manifest = json.loads(zf.read("manifest.json"))
        lines = {s["name"]: zf.read(f"data/{s['name']}.jsonl").decode().splitlines()
                 for s in manifest["sources"]}
    assert "DR-TEST-0001" in page
    for outside in ("<link", "<img", "url(", "@import", "src=", "http://", "https://"):
        assert outside not in page.split("<main>")[0] + page.split("</main>")[1], outside
    tree = parse(page)
    assert not any("src" in script.attrs for script in tree.find_all("script"))
    for entry in manifest["sources"]:  # each source's first records, as rows of its table
        section = tree.find("section", id=entry["name"])
        assert entry["purpose"] in section.text() and entry["retention"] in section.text()
        if not entry["records"]:
            assert "We hold no records of this kind" in section.text()
            continue
        rows = table_rows(section)
        assert len(rows) == min(entry["records"], archive_viewer.PAGE)
        for row, line in zip(rows, lines[entry["name"]], strict=False):
            for shown, value in zip(row, json.loads(line).values(), strict=False):
                if isinstance(value, str) and record_check.is_date_time(value):
                    assert shown.endswith(" UTC") and shown[:10] == value[:10], (shown, value)
                elif isinstance(value, int | str) and not isinstance(value, bool):
                    text, most = str(value), archive_viewer.VALUE_CHARS
                    assert shown == (text if len(text) <= most else text[:most - 1] + "…")
    assert len(table_rows(tree.find("section", id="inference_logs"))) == 25


@pytest.mark.backends("sqlite")
def test_a_failing_source_leaves_no_file_behind(app: Flask, tmp_path: Path) -> None:
    def broken(subject: Subject) -> Any:
        yield {"n": 1}
        raise RuntimeError("database went away")

    failing = DataSource(name="broken", description="Broken", purpose="Testing",
                         legal_basis="contract", retention="none",
                         schema={"type": "object", "properties": {"n": {"type": "integer"}}},
                         export=broken)
    sources = [*app.extensions["selfservice"].extension.sources, failing]
    folder = tmp_path / "exports"
    folder.mkdir()
    with app.app_context(), pytest.raises(RuntimeError, match="went away"):
        archive.build(str(folder / "export.zip"), Subject("acct-alice"), sources,
                      reference="DR-X", generated_at=WHEN)
    assert list(folder.iterdir()) == []  # neither the archive nor a partial one


@pytest.mark.backends("sqlite")
def test_progress_is_reported_source_by_source(app: Flask, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    build(app, tmp_path, progress=lambda fraction, step: seen.append((fraction, step)))
    assert seen[0][0] == 0 and seen[-1] == (1.0, "Archive complete")
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and len(set(fractions)) > 5


@pytest.mark.backends("sqlite")
def test_a_source_may_hand_over_serialised_lines(app: Flask, tmp_path: Path) -> None:
    fast = DataSource(
        name="fast", description="Fast", purpose="Testing", legal_basis="contract",
        retention="none", schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        export=lambda subject: ({"n": n} for n in range(3)),
        export_jsonl=lambda subject: (f'{{"n":{n}}}'.encode() for n in range(3)))
    target = tmp_path / "export.zip"
    with app.app_context():
        result = archive.build(str(target), Subject("acct-alice"), [fast], reference="DR-F",
                               generated_at=WHEN)
    with zipfile.ZipFile(target) as zf:
        assert zf.read("data/fast.jsonl") == b'{"n":0}\n{"n":1}\n{"n":2}\n'
    assert result.records == 3


# -- the sampled schema check -------------------------------------------------------------------

SAMPLED = {"type": "object", "properties": {
    "n": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"}},
    "required": ["n", "created_at"]}
#: a time without a UTC offset, as ``isoformat()`` writes a naive datetime
NAIVE = datetime(2026, 3, 1, 9, 30, 17)


def timed(n: int, naive_at: set[int]) -> dict[str, Any]:
    return {"n": n, "created_at": NAIVE if n in naive_at else WHEN}


def source_of(name: str, count: int, naive_at: set[int], jsonl: bool = False) -> DataSource:
    """``count`` records numbered from 1; those in ``naive_at`` have a naive ``created_at``.
    ``jsonl``: the source hands over serialised lines (and its export would be all valid)."""
    lines = (None if not jsonl else lambda subject: (
        archive_content.encode_record(timed(n, naive_at)).encode() for n in range(1, count + 1)))
    return DataSource(name=name, description=f"Test records {name}", purpose="Testing",
                      legal_basis="contract", retention="none", schema=SAMPLED,
                      export=lambda subject: (timed(n, naive_at if not jsonl else set())
                                              for n in range(1, count + 1)),
                      export_jsonl=lines)


def build_sources(tmp_path: Path, sources: list[DataSource], mode: str
                  ) -> tuple[archive.ArchiveResult, dict[str, Any]]:
    target = tmp_path / "exports" / "export.zip"
    target.parent.mkdir(exist_ok=True)
    result = archive.build(str(target), Subject("acct-alice"), sources, reference="DR-S",
                           generated_at=WHEN, schema_check=mode)
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    return result, {s["name"]: s["schema_check"] for s in manifest["sources"]}


@pytest.mark.parametrize(("value", "valid"), [
    ("2026-03-01T09:30:17+00:00", True), ("2026-03-01T09:30:17.250Z", True),
    ("2026-03-01t09:30:17-05:30", True), ("2016-12-31T23:59:60Z", True),
    ("2026-03-01T09:30:17", False), ("2026-03-01 09:30:17+00:00", False),
    ("2026-03-01T09:30:17+0000", False), ("2026-02-30T09:30:17Z", False),
    ("2026-03-01T24:00:00Z", False), ("2026-03-01", False), ("", False),
])
def test_a_date_time_is_rfc_3339_with_an_offset(value: str, valid: bool) -> None:
    assert record_check.is_date_time(value) is valid


@pytest.mark.parametrize(("value", "valid"), [
    ("2026-02-28", True), ("2024-02-29", True), ("2026-02-29", False), ("2026-3-1", False),
    ("20260301", False), ("2026-03-01T00:00:00Z", False), ("２０２６-03-01", False),
])
def test_a_date_is_a_full_date(value: str, valid: bool) -> None:
    assert record_check.is_full_date(value) is valid


def test_a_naive_time_stops_a_strict_export_naming_source_field_and_rule(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sources = [source_of("clean", 3, set()), source_of("naive_times", 3, {2})]
    with pytest.raises(record_check.SchemaMismatch) as raised:
        build_sources(tmp_path, sources, "strict")
    message = str(raised.value)
    assert "'naive_times'" in message
    assert "created_at: must be a date-time with a UTC offset" in message
    assert NAIVE.isoformat() not in message and "09:30" not in message  # no personal data
    assert (raised.value.source, raised.value.problem) == (
        "naive_times", "created_at: must be a date-time with a UTC offset (RFC 3339)")
    assert "naive_times" in caplog.text and "09:30" not in caplog.text
    assert list((tmp_path / "exports").iterdir()) == []  # no archive, no part file


def test_a_warn_export_notes_the_mismatch_in_the_manifest_and_the_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sources = [source_of("clean", 3, set()), source_of("naive_times", 3, {2, 3})]
    with caplog.at_level(logging.ERROR, logger="selfservice.record_check"):
        result, checks = build_sources(tmp_path, sources, "warn")
    assert result.records == 6  # the customer still gets every record
    assert checks == {
        "clean": {"sampled": 3, "mismatches": 0, "first": None},
        "naive_times": {"sampled": 3, "mismatches": 2,
                        "first": "created_at: must be a date-time with a UTC offset (RFC 3339)"}}
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "naive_times" in logged.getMessage() and "created_at" in logged.getMessage()
    assert "date-time with a UTC offset" in logged.getMessage()
    assert "09:30" not in logged.getMessage()


def test_the_first_fifty_records_and_every_thousandth_are_checked(tmp_path: Path) -> None:
    # bad records only where the sample does not look (51..999, 1001...), and a good source
    unsampled = {51, 999, 1001, 1999, 2001}
    _, checks = build_sources(tmp_path, [source_of("valid", 2_500, unsampled)], "strict")
    assert checks == {"valid": {"sampled": 52, "mismatches": 0, "first": None}}
    for sampled in (1, 50, 1_000, 2_000):
        with pytest.raises(record_check.SchemaMismatch, match="created_at"):
            build_sources(tmp_path, [source_of("bad", 2_500, {sampled})], "strict")


def test_serialised_lines_are_checked_too(tmp_path: Path) -> None:
    # export_jsonl hands over lines with a naive time at record 1,000; its export() is clean
    fast = source_of("fast_lines", 1_500, {1_000}, jsonl=True)
    assert all(isinstance(r["created_at"], datetime) and r["created_at"].tzinfo
               for r in fast.export(Subject("acct-alice")))
    with pytest.raises(record_check.SchemaMismatch, match="'fast_lines'.*created_at"):
        build_sources(tmp_path, [fast], "strict")
    _, checks = build_sources(tmp_path, [fast], "warn")
    assert checks["fast_lines"] == {"sampled": 51, "mismatches": 1, "first": (
        "created_at: must be a date-time with a UTC offset (RFC 3339)")}


def test_a_schema_that_is_not_json_schema_is_reported_not_used(tmp_path: Path) -> None:
    broken = DataSource(name="odd_schema", description="Odd", purpose="Testing",
                        legal_basis="contract", retention="none",
                        export=lambda subject: iter([{"n": 1}]),
                        schema={"type": "object", "properties": {"n": {"type": "whole"}}})
    with pytest.raises(record_check.SchemaMismatch, match=r"'odd_schema'.*\(schema\)"):
        build_sources(tmp_path, [broken], "strict")
    _, checks = build_sources(tmp_path, [broken], "warn")
    assert checks["odd_schema"]["sampled"] == 0 and checks["odd_schema"]["mismatches"] == 1
