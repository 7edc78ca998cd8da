"""What the export bench checks in the archives it builds, and the entries it reports
(devtools.bench_export runs the builds)."""

from __future__ import annotations

import json
import statistics
import zipfile
from typing import Any

ACCOUNT = "acct-alice"
#: SQLite: ours against the plain baseline
TARGET = 1.1
RSS_LIMIT_MB = 128.0
RSS_GROWTH = 1.15
#: PostgreSQL: ours against the native COPY | gzip limit
NATIVE_TARGET = 1.3
LEVEL = 6
#: the baseline's rows per round trip: the demo exporters' own
BASELINE_YIELD_PER = 2_000
ENTRY = "data/inference_logs.jsonl"


def _mb(kilobytes: float) -> float:
    return round(kilobytes / 1024, 1)


def _label(records: int) -> str:
    return f"{records // 1_000_000}m" if records % 1_000_000 == 0 else f"{records // 1000}k"


def _lines(stream: Any) -> int:
    count = 0
    while block := stream.read(1 << 20):
        count += block.count(b"\n")
    return count


def entry_info(path: str) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return archive.getinfo(ENTRY)


def check_ours(path: str, records: int, full: bool) -> None:
    """The manifest counts ``records`` inference logs; ``full`` also counts the lines and runs
    the archive's own SHA256SUMS."""
    import hashlib

    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        counted = {s["name"]: s["records"] for s in manifest["sources"]}
        if counted.get("inference_logs") != records:
            raise AssertionError(f"the archive's manifest counts {counted.get('inference_logs')}"
                                 f" inference logs, not {records:,}")
        if not full:
            return
        with archive.open(ENTRY) as stream:
            lines = _lines(stream)
        if lines != records:
            raise AssertionError(f"{ENTRY} of our archive has {lines:,} lines, not {records:,}")
        for line in archive.read("SHA256SUMS").decode().splitlines():
            digest, name = line.split("  ", 1)
            sha = hashlib.sha256()
            with archive.open(name) as stream:
                while block := stream.read(1 << 20):
                    sha.update(block)
            if sha.hexdigest() != digest:
                raise AssertionError(f"SHA256SUMS disagrees with {name}")


def check_baseline(path: str, records: int, ours: str) -> None:
    """As many lines as records, and byte for byte the same as our entry (the ZIP's CRC-32
    and size of both entries)."""
    with zipfile.ZipFile(path) as archive, archive.open(ENTRY) as stream:
        lines = _lines(stream)
    if lines != records:
        raise AssertionError(f"the baseline wrote {lines:,} lines, not {records:,}")
    mine, theirs = entry_info(ours), entry_info(path)
    if (mine.CRC, mine.file_size) != (theirs.CRC, theirs.file_size):
        raise AssertionError(f"{ENTRY} differs: ours crc {mine.CRC:08x} {mine.file_size:,} "
                             f"bytes, baseline crc {theirs.CRC:08x} {theirs.file_size:,} bytes")


def check_native(path: str, records: int, ours: str) -> None:
    """As many lines as records, and the very bytes of our entry (its CRC-32 and size): the
    seeded times are whole seconds, which PostgreSQL's JSON writes as isoformat() does."""
    import gzip
    import zlib

    crc, size, lines = 0, 0, 0
    with gzip.open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            crc, size = zlib.crc32(block, crc), size + len(block)
            lines += block.count(b"\n")
    mine = entry_info(ours)
    if lines != records or (crc, size) != (mine.CRC, mine.file_size):
        raise AssertionError(f"the native pipe wrote {lines:,} lines, crc {crc:08x}, {size:,} "
                             f"bytes; our {ENTRY}: {records:,} lines, crc {mine.CRC:08x}, "
                             f"{mine.file_size:,} bytes")


# -- the entries --------------------------------------------------------------------------------

def _median(reports: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in reports)


def _noise(runs: dict[str, list[dict[str, Any]]], over: str) -> dict[str, Any]:
    """How noisy the machine was: ours over ``over`` round by round (each pair ran back to
    back), their spread, and the load average around the runs."""
    pairs = [mine["wall"] / theirs["wall"] for mine, theirs in zip(runs["ours"], runs[over],
                                                                    strict=True)]
    loads = [r["load"] for kind in runs.values() for r in kind]
    cpu = {kind: round(_median(reports, "cpu"), 2) for kind, reports in runs.items()}
    return {"round_ratios": [round(r, 3) for r in pairs],
            "median_round_ratio": round(statistics.median(pairs), 3),
            # CPU seconds of the building process (and of gzip), the database's not counted:
            # what the load on the machine changes least
            "client_cpu_s": cpu, "client_cpu_ratio": round(cpu["ours"] / cpu[over], 3),
            "ratio_spread": round(max(pairs) / min(pairs), 3),
            "wall_spread": {kind: round(max(r["wall"] for r in reports)
                                        / min(r["wall"] for r in reports), 3)
                            for kind, reports in runs.items()},
            "load_average_1m": {"min": min(loads), "max": max(loads),
                                "mean": round(statistics.fmean(loads), 2)}}


def _plain_details(records: int, ours: list[dict[str, Any]], base: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    value, baseline = _median(ours, "wall"), _median(base, "wall")
    return {
        "seconds": round(baseline, 3), "runs": [round(r["wall"], 3) for r in base],
        "ratio": round(value / baseline, 3), "records_per_s": round(records / baseline),
        "bytes": base[0]["bytes"], "peak_rss_mb": _mb(max(r["peak_rss_kb"] for r in base)),
        "rss_before_build_mb": _mb(base[0]["rss_before_kb"]),
        "is": "inference_logs only: one query, server-side cursor (yield_per "
              f"{BASELINE_YIELD_PER}), json.dumps per row, zipfile deflate {LEVEL}, one thread; "
              "ours adds the other sources, schemas, manifest, viewer, SHA256SUMS, fsync and "
              "the archive's SHA-256"}


def entries(backend: str, records: int, small: int, runs: dict[str, list[dict[str, Any]]],
             small_runs: dict[str, list[dict[str, Any]]], setup: dict[int, dict[str, Any]],
             profile_text: str | None, total: float) -> list[dict[str, Any]]:
    ours, base = runs["ours"], runs["baseline"]
    value = _median(ours, "wall")
    # PostgreSQL: against its own COPY | gzip; SQLite (no COPY): against the plain baseline
    over = "native" if "native" in runs else "baseline"
    baseline = _median(runs[over], "wall")
    ratio, target = value / baseline, NATIVE_TARGET if over == "native" else TARGET
    all_records = ours[0]["records"]
    details: dict[str, Any] = {
        "account": ACCOUNT, "inference_logs": records, "records": all_records,
        "other_records": all_records - records,
        "per_source": ours[0]["per_source"], "formats": ["jsonl"],
        "copy_sources": ours[0]["copy_sources"],
        "statistic": "median", "rounds": len(ours),
        "value_runs": [round(r["wall"], 3) for r in ours],
        "baseline_runs": [round(r["wall"], 3) for r in runs[over]],
        "records_per_s": round(all_records / value),
        "archive_bytes": ours[0]["bytes"], "baseline_bytes": runs[over][0]["bytes"],
        "peak_rss_mb": _mb(max(r["peak_rss_kb"] for r in ours)),
        "rss_before_build_mb": _mb(ours[0]["rss_before_kb"]),
        "plain_python_baseline": _plain_details(records, ours, base),
        "noise": _noise(runs, over),
        "correct": f"our {ENTRY} has {records:,} lines, the same bytes as the baseline's "
                   "(CRC-32 and size), and passes the archive's SHA256SUMS"
                   + (", and the native pipe's are those bytes too" if over == "native"
                      else ""),
        "seed": {str(k): v for k, v in setup.items()},
        "total_seconds": round(total, 1),
    }
    if over == "native":
        details["native_limit_is"] = ("COPY (SELECT row_to_json(t) ...) TO STDOUT | gzip "
                                      f"-{LEVEL}, same rows, same bytes")
    if profile_text:
        details["profile"] = profile_text
    label = _label(records)
    baseline_name = (f"native_copy_gzip_{label}_{backend}" if over == "native"
                     else f"plain_query_jsondumps_zipfile_{label}_{backend}")
    time_entry = {
        "name": f"export_{label}_{backend}", "unit": "s", "value": round(value, 3),
        "baseline_name": baseline_name, "baseline": round(baseline, 3),
        "ratio": round(ratio, 3), "target": f"ratio <= {target}", "meets": ratio <= target,
        "details": details,
    }
    big_rss = _mb(max(r["peak_rss_kb"] for r in ours))
    small_rss = _mb(max(r["peak_rss_kb"] for r in small_runs["ours"]))
    rss_ratio = big_rss / small_rss
    rss_entry = {
        "name": f"export_{label}_peak_rss_{backend}", "unit": "MB", "value": big_rss,
        "baseline_name": f"export_{_label(small)}_peak_rss_{backend}", "baseline": small_rss,
        "ratio": round(rss_ratio, 3),
        "target": f"value <= {RSS_LIMIT_MB:g} and ratio <= {RSS_GROWTH}",
        "meets": big_rss <= RSS_LIMIT_MB and rss_ratio <= RSS_GROWTH,
        "details": {
            "statistic": "max over the runs of the building child's VmHWM at its end",
            "value_runs": [_mb(r["peak_rss_kb"]) for r in ours],
            "baseline_runs": [_mb(r["peak_rss_kb"]) for r in small_runs["ours"]],
            "rss_before_build_mb": _mb(ours[0]["rss_before_kb"]),
            "small_rss_before_build_mb": _mb(small_runs["ours"][0]["rss_before_kb"]),
            "plain_baseline_peak_rss_mb": {
                _label(records): _mb(max(r["peak_rss_kb"] for r in base)),
                _label(small): _mb(max(r["peak_rss_kb"] for r in small_runs["baseline"]))},
            "small_wall_s": round(_median(small_runs["ours"], "wall"), 3),
            "small_baseline_wall_s": round(_median(small_runs["baseline"], "wall"), 3),
        },
    }
    return [time_entry, rss_entry]
