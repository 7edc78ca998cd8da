"""Fill translations into a catalogue from a Python file that defines ``T``.

    python -m devtools.i18n_fill de FILE.py

``T`` maps each English message id to its translation (a pair for plural forms). Entries
already translated are overwritten; ids the catalogue does not have are reported.
"""

from __future__ import annotations

import runpy
import sys

from devtools.i18n import DOMAIN, TRANSLATIONS, _read, _write
from devtools.po import fill_catalogue


def fill(lang: str, table: dict[str, object]) -> list[str]:
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = _read(path, lang)
    unknown = fill_catalogue(catalog, table)
    _write(catalog, path)
    return unknown


def main(argv: list[str]) -> int:
    lang, source = argv
    unknown = fill(lang, runpy.run_path(source)["T"])
    for msgid in unknown:
        print(f"not in the catalogue: {msgid!r}")
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
