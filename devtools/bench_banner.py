"""The cookie banner's weight: its JavaScript and CSS, raw and gzipped, next to two
well-known open-source banners measured the same way (every shipped file gzipped at level 9
on its own, sizes summed).

The references are fetched with ``npm pack`` at their released versions; when npm cannot
reach its registry the figures quoted in the issue are used and the entry says so.

    python -m devtools.bench_banner
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from devtools.services import ROOT

STATIC = ROOT / "templates" / "selfservice" / "static"
OURS = [STATIC / "cookie-consent.js", STATIC / "cookie-consent.css"]
TARGET = 6144
#: name, npm spec, files inside the package, figure quoted in the issue (bytes gzipped)
REFERENCES = [
    ("vanilla-cookieconsent 3.1", "vanilla-cookieconsent@3.1.0",
     ["package/dist/cookieconsent.umd.js", "package/dist/cookieconsent.css"], 15513),
    ("Klaro 0.7", "klaro@0.7.22", ["package/dist/klaro.js"], 68892),
]


def sizes(blobs: list[bytes]) -> dict[str, int]:
    return {"raw": sum(len(b) for b in blobs),
            "gzip": sum(len(gzip.compress(b, compresslevel=9, mtime=0)) for b in blobs)}


def reference(spec: str, members: list[str], quoted: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        try:
            packed = subprocess.run(["npm", "pack", spec, "--silent"], cwd=folder, timeout=120,
                                    capture_output=True, text=True, check=True)
            archive = Path(folder) / packed.stdout.strip().splitlines()[-1]
            with tarfile.open(archive) as tar:
                blobs = [tar.extractfile(m).read() for m in members]  # type: ignore[union-attr]
        except (OSError, subprocess.SubprocessError, KeyError, IndexError) as exc:
            return {"gzip": quoted, "raw": None, "source": f"quoted in the issue ({exc!r})"}
    return {**sizes(blobs), "source": f"npm pack {spec}", "files": members}


def bench_banner_size() -> dict[str, Any]:
    ours = sizes([path.read_bytes() for path in OURS])
    references = {name: reference(spec, members, quoted)
                  for name, spec, members, quoted in REFERENCES}
    smallest = min(references.items(), key=lambda item: item[1]["gzip"])
    return {
        "name": "cookie_banner_bytes_gzip", "unit": "B", "value": ours["gzip"],
        "baseline_name": f"{smallest[0]} (gzip -9, JS+CSS)", "baseline": smallest[1]["gzip"],
        "ratio": round(ours["gzip"] / smallest[1]["gzip"], 3),
        "target": f"value <= {TARGET} B", "meets": ours["gzip"] <= TARGET,
        "details": {"ours": {**ours, "files": [str(p.relative_to(ROOT)) for p in OURS]},
                    "references": references,
                    "method": "each shipped file gzipped at level 9 on its own (Python gzip, "
                              "no file name in the header, so a few bytes under the gzip "
                              "command), sizes summed"},
    }


def main() -> None:
    json.dump(bench_banner_size(), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
