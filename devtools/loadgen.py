"""The bounded load generator of ``make bench``'s web figures: wrk (Debian's, C, one thread,
keep-alive) at a fixed number of connections for a fixed time, its latency percentiles read by
a small Lua script (devtools/wrk_report.lua). Each run also says how much CPU wrk itself and the
server's processes used, so a reader can see that the generator was not the bottleneck."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "wrk_report.lua"
_TICKS = os.sysconf("SC_CLK_TCK")


def available() -> str | None:
    return shutil.which("wrk")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn's master and its workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(process_tree(int(child)))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes, so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICKS


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(url: str, *, connections: int, duration: float, method: str | None = None,
        body: bytes | None = None, headers: tuple[str, ...] = (),
        server_pid: int | None = None) -> dict[str, Any]:
    """One wrk run of ``duration`` whole seconds; throughput in requests/s, latencies in ms,
    CPU shares in cores."""
    with tempfile.NamedTemporaryFile(prefix="wrk-body-") as body_file:
        env = dict(os.environ)
        if method:
            env["WRK_METHOD"] = method
        if body is not None:
            body_file.write(body)
            body_file.flush()
            env["WRK_BODY_FILE"] = body_file.name
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s",
                   "--timeout", "10s", "-s", str(LUA)]
        for header in headers:
            command += ["-H", header]
        server = process_tree(server_pid) if server_pid else []
        server_before, wrk_before = cpu_seconds(server), _children_cpu()
        started = time.perf_counter()
        finished = subprocess.run([*command, url], env=env, capture_output=True, text=True,
                                  check=True)
        elapsed = time.perf_counter() - started
        server_cpu, wrk_cpu = cpu_seconds(server) - server_before, _children_cpu() - wrk_before
    line = next((ln for ln in finished.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{finished.stdout}\n{finished.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors",
                                  "status_errors", "timeouts"))
    return {
        "requests": raw["requests"], "seconds": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1), "errors": errors,
        "p50_ms": round(raw["p50_us"] / 1000, 2), "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2), "max_ms": round(raw["max_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "wrk_cores": round(wrk_cpu / elapsed, 3),
        "server_cores": round(server_cpu / elapsed, 3) if server else None,
    }
