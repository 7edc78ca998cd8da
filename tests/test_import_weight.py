"""What a process that never renders a DPA loads: the web app and the worker's jobs without
pyHanko, fontTools, fpdf2 or Pillow (about 40 MB of a worker's memory), which the DPA's
rendering and signing import when they first run, nor Alembic, which the migration commands
import; the signing key is still checked at start-up (tests/test_dpa_pages.py: a key that
cannot sign stops the app)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.services import ROOT
from selfservice.dpa_signing import _blank_pdf, load, self_signed_pem, verify

#: the DPA's libraries (tests/test_layout.py keeps their imports inside functions), and
#: Alembic, which only the migration commands need
HEAVY = ("pyhanko", "pyhanko_certvalidator", "fontTools", "fpdf", "PIL", "alembic", "mako")

_PROGRAM = """
import json, sys
from demo.app import create_app
app = create_app({"DEMO_DATABASE_URL": "sqlite:///" + sys.argv[1] + "/demo.sqlite3",
                  "SELFSERVICE_DPA_SIGNING_KEY": sys.argv[2],
                  "SELFSERVICE_DPA_SIGNING_CERT": sys.argv[2]}, instance_path=sys.argv[1])
import selfservice.jobs, selfservice.jobs.dpa, selfservice.jobs.exports
from selfservice.cli import cli
with app.app_context():
    signer = app.extensions["selfservice"].dpa_countersigner
print(json.dumps({"signer": signer.subject,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_the_app_and_its_jobs_load_no_dpa_library(tmp_path: Path) -> None:
    key = tmp_path / "dpa.pem"
    key.write_bytes(self_signed_pem("Start-up check", "Example Ltd"))
    done = subprocess.run([sys.executable, "-c", _PROGRAM, str(tmp_path), str(key)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["signer"] == "O=Example Ltd,CN=Start-up check"  # the key was loaded
    assert "selfservice" in report["loaded"] and "flask" in report["loaded"]
    assert [name for name in HEAVY if name in report["loaded"]] == []


@pytest.mark.parametrize("attempt", range(3))
def test_the_room_for_a_signature_is_measured_at_the_first_and_always_fits(
        attempt: int) -> None:
    """The room kept in the PDF for the countersignature is measured on a blank page at the
    first signature (not at start-up), as much as before (pyHanko's default and 2 KB more), even
    as pyHanko takes it, and every signature fits and verifies."""
    pem = self_signed_pem(f"Signer {attempt}", "Example Ltd").decode()
    signer = load(pem, pem)
    assert "reserved" not in signer.__dict__  # nothing measured at start-up
    for _ in range(3):
        signed = signer.sign(_blank_pdf(), name="n", reason="r")
        assert signer.reserved == 10240
        result = verify(signed, [pem.encode()])
        assert result.intact and result.valid and result.covers_whole_file
