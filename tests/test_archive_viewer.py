"""The archive's offline viewer (index.html) read as a browser without JavaScript reads it: each
source's first records as table rows under what the source is, why it is kept and for how long;
a note with the files' links for a source larger than the viewer holds; hostile values as text;
nothing from outside; the records taken in the one pass that writes the archive, with memory
that does not grow with the account."""

from __future__ import annotations

import dataclasses
import json
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from selfservice import archive, archive_viewer
from selfservice.sources import Subject

from .viewer_pages import (
    FLAT,
    LONG,
    build,
    hostile_record,
    hostile_source,
    numbered,
    parse,
    source,
    table_rows,
)

UTC_WHEN = "2026-11-27 12:00:00 UTC"


def shown(value: Any) -> str:
    """What a cell shows for a plain value (independent of the viewer's code)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) > archive_viewer.VALUE_CHARS:
        return value[:archive_viewer.VALUE_CHARS - 1] + "…"
    return str(value)


def test_hostile_values_stay_text_in_the_table_and_in_the_embedded_records(
        tmp_path: Path) -> None:
    page = build(tmp_path, [hostile_source(40)]).read_text(encoding="utf-8")
    tree = parse(page)  # every element closed where it was opened: no value ended a tag early
    assert not [n.tag for n in tree.iter() if n.tag in (
        "img", "svg", "iframe", "object", "embed", "link", "base", "form")]
    assert len(tree.find_all("style")) == 1
    scripts = tree.find_all("script")
    assert [s.attrs.get("type") for s in scripts] == [
        "application/json", "application/json", None]  # the records, the words, the script
    assert not any("src" in s.attrs for s in scripts)
    assert "alert(" not in scripts[-1].text()
    assert not any(k.startswith("on") for n in tree.iter() for k in n.attrs)

    section = tree.find("section", id="hostile")
    assert section.find("h2").text() == "Notes <b>with markup</b> & </script> in the description"
    rows = table_rows(section)
    assert len(rows) == archive_viewer.PAGE
    for n, row in enumerate(rows):
        record = hostile_record(n)
        assert row[0] == str(n) and row[1] == shown(record["text"]) and row[2] == UTC_WHEN
        assert row[3] == ("<b>key</b>: </script><script>alert('nested')</script>\n"
                          "list: 1, <i>two</i>, null")
    embedded = json.loads(section.find("script", type="application/json").text())
    assert len(embedded) == 40
    assert [r[1] for r in embedded] == [shown(hostile_record(n)["text"]) for n in range(40)]
    for raw in ("</script>", "<!--", "<img", "<svg"):
        assert raw not in section.find("script", type="application/json").text()
    assert all(value in page for value in ("&lt;/script&gt;&lt;script&gt;", "\u202eexe.txt"))
    # the 10,000-character value is shortened, and the page says so
    assert LONG[:archive_viewer.VALUE_CHARS - 1] + "…" in [r[1] for r in embedded]
    assert "Very long values are shortened here" in section.text()


def test_the_first_page_is_the_first_records_under_purpose_basis_and_retention(
        tmp_path: Path) -> None:
    page = build(tmp_path, [numbered("small", 3), numbered("paged", 60),
                            source("empty", lambda: iter(()))], csv_files=True)
    tree = parse(page.read_text(encoding="utf-8"))
    toc = [(a.attrs["href"], a.text()) for a in tree.find("nav", id="contents").find_all("a")]
    assert toc == [("#small", "Records of small"), ("#paged", "Records of paged"),
                   ("#empty", "Records of empty"), ("#verify", "Verify this copy")]
    small = tree.find("section", id="small")
    facts = {dt.text(): dd.text() for dt, dd in zip(small.find_all("dt"), small.find_all("dd"),
                                                    strict=True)}
    assert facts == {"Why we keep it": "Testing the viewer",
                     "Legal basis": "Performance of a contract",
                     "How long we keep it": "30 days", "Records": "3"}
    assert [th.text() for th in small.find_all("th")] == ["N", "Text"]
    assert table_rows(small) == [[str(n), f"record {n:07d} " + "x" * 20] for n in range(3)]
    assert not small.find_all("script")  # one page: nothing to page through or search
    links = {a.text(): a.attrs["href"] for a in small.find("ul", class_="files").find_all("a")}
    assert links == {"All 3 records as a spreadsheet (CSV)": "data/small.csv",
                     "All 3 records as data for programs (JSON Lines)": "data/small.jsonl",
                     "What each field holds, for programs (JSON Schema)":
                         "schemas/small.schema.json"}
    paged = tree.find("section", id="paged")
    assert len(table_rows(paged)) == archive_viewer.PAGE and paged.attrs["data-viewer"] == "25"
    assert len(json.loads(paged.find("script", type="application/json").text())) == 60
    assert "Showing records 1 to 25 of 60." in paged.find("p", class_="status").text()
    assert not paged.find_all("p", id="note-paged")  # all 60 are here
    assert "We hold no records of this kind about you." in tree.find("section", id="empty").text()
    for href in [a.attrs["href"] for a in tree.find_all("a")]:
        assert href and (href.startswith("#") or (page.parent / href).is_file()), href


def test_a_big_source_shows_its_first_records_and_says_where_the_rest_is(
        tmp_path: Path) -> None:
    tree = parse(build(tmp_path, [numbered("big", 2_600)], csv_files=True)
                 .read_text(encoding="utf-8"))
    big = tree.find("section", id="big")
    [note] = [p for p in big.find_all("p") if p.attrs.get("id") == "note-big"]
    assert note.text() == ("This page shows the first 2,000 of your 2,600 records, and its "
                           "search looks through those. All 2,600 are in the files above.")
    links = [a.text() for a in big.find("ul", class_="files").find_all("a")]
    assert links[:2] == ["All 2,600 records as a spreadsheet (CSV)",
                         "All 2,600 records as data for programs (JSON Lines)"]
    embedded = json.loads(big.find("script", type="application/json").text())
    assert [r[0] for r in embedded] == [str(n) for n in range(archive_viewer.RECORDS)]


def test_the_viewer_stops_at_its_byte_limit_before_its_record_limit(tmp_path: Path) -> None:
    # 1,500 records of 1.9 KB: the 2 MiB limit comes first
    tree = parse(build(tmp_path, [numbered("wide", 1_500, size=1_900)])
                 .read_text(encoding="utf-8"))
    wide = tree.find("section", id="wide")
    block = wide.find("script", type="application/json").text()
    embedded = json.loads(block)
    assert 1_000 < len(embedded) < 1_500 and len(block.encode()) <= archive_viewer.BYTES + 2
    assert f"the first {len(embedded):,} of your 1,500 records" in wide.text()
    assert "shortened" not in wide.text()


def test_nothing_is_loaded_from_outside_and_the_page_allows_no_connection(
        tmp_path: Path) -> None:
    page = build(tmp_path, [hostile_source(30)]).read_text(encoding="utf-8")
    tree = parse(page)
    [csp] = [m.attrs["content"] for m in tree.find_all("meta")
             if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp is not None
    for rule in ("default-src 'none'", "connect-src 'none'", "img-src 'none'",
                 "form-action 'none'", "base-uri 'none'"):
        assert rule in csp
    assert "unsafe-inline" not in csp and "script-src 'sha256-" in csp
    style = tree.find("style").text()
    for outside in ("url(", "@import", "@font-face"):
        assert outside not in style
    assert not any(n.attrs.get(k) for n in tree.iter() for k in ("src", "srcset", "action"))


def test_the_records_are_taken_in_the_one_pass_that_writes_the_archive(tmp_path: Path) -> None:
    calls = {"export": 0, "lines": 0}

    def export(subject: Subject) -> Any:
        calls["export"] += 1
        return ({"n": n, "text": "t"} for n in range(100))

    def lines(subject: Subject) -> Any:
        calls["lines"] += 1
        return (json.dumps({"n": n, "text": "line"}).encode() for n in range(100))

    once = dataclasses.replace(source("once", lambda: (), schema=FLAT), export=export)
    fast = dataclasses.replace(once, name="fast", export_jsonl=lines)
    tree = parse(build(tmp_path, [once, fast]).read_text(encoding="utf-8"))
    assert calls == {"export": 1, "lines": 1}
    assert table_rows(tree.find("section", id="fast"))[0] == ["0", "line"]
    assert table_rows(tree.find("section", id="once"))[0] == ["0", "t"]


def _peak(tmp_path: Path, count: int) -> int:
    folder = tmp_path / str(count)
    folder.mkdir()
    tracemalloc.start()
    try:
        archive.build(str(folder / "export.zip"), Subject("acct-viewer"),
                      [numbered("many", count, size=1_000)], reference="DR-MEM",
                      generated_at=datetime(2026, 1, 1, tzinfo=UTC))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_when_the_viewer_holds_more_than_fits_in_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a viewer allowed 12 MiB of records, and accounts of 4,000 and 12,000 records of 1 KB:
    # the records it embeds wait on disk past 1 MiB and the page streams into the archive, so
    # the peak is far below what the viewer holds and does not grow with the account
    monkeypatch.setattr(archive_viewer, "RECORDS", 1_000_000)
    monkeypatch.setattr(archive_viewer, "BYTES", 12 * 1024 * 1024)
    monkeypatch.setattr(archive_viewer, "IN_MEMORY", 1024 * 1024)
    small, big = _peak(tmp_path, 4_000), _peak(tmp_path, 12_000)
    with zipfile.ZipFile(tmp_path / "12000" / "export.zip") as zf:
        page = zf.getinfo("index.html").file_size
    assert page > 12_000 * 1_000  # every record is in the page...
    assert big < 4 * 1024 * 1024, f"peak {big:,} bytes"  # ...but never in memory
    assert big < small * 1.5 + 512 * 1024, (small, big)
