"""Fill translations into a catalogue from a Python file that defines ``T``.

    python -m devtools.i18n_fill de FILE.py

``T`` maps each English message id to its translation (a pair for plural forms). Entries
already translated are overwritten; ids the catalogue does not have are reported.
"""

from __future__ import annotations

import runpy
import sys

from devtools.i18n import CATALOGUES
from devtools.po import report


def main(argv: list[str]) -> int:
    lang, source = argv
    unknown = CATALOGUES.fill(lang, runpy.run_path(source)["T"])
    return report([f"not in the catalogue: {msgid!r}" for msgid in unknown])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
