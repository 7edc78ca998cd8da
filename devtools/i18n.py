"""The plugin's message catalogues, the standard Babel way, in one command.

    python -m devtools.i18n extract   # selfservice/translations/selfservice.pot from the sources
    python -m devtools.i18n update    # every <lang>.po gets the template's new message ids
    python -m devtools.i18n compile   # .po -> .mo (make install runs it; setup.py on build),
                                      # the demo console's catalogue too (devtools.demo_i18n)
    python -m devtools.i18n check     # exit 1 naming what is missing, fuzzy or stale
    python -m devtools.i18n init fr   # start a new language
    python -m devtools.i18n union OURS THEIRS  # after a merge conflict: both sides' translations

The same as ``pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ ...``, ``pybabel update``
and ``pybabel compile`` with this repository's paths: a host or translator may use those directly.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from devtools import demo_i18n

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "selfservice" / "translations"
DOMAIN = "selfservice"
TEMPLATE = TRANSLATIONS / f"{DOMAIN}.pot"
#: where the message ids are, and how each kind of file is read (babel.cfg says the same)
SOURCES = ("selfservice", "blueprints", "jobs", "templates")
METHODS = [("**/translations/**", "ignore"), ("**.py", "python"),
           ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2"),
           ("**.html", "jinja2"), ("**.txt", "jinja2")]
#: a fixed header date, so that extracting twice writes the same file (no merge conflicts)
FIXED_DATE = datetime(2026, 12, 1, tzinfo=UTC)
HEADER = ("# The words of flask-privacy-selfservice: pages, forms, e-mails, cookie banner.\n"
          "# Written with python -m devtools.i18n (README: Languages); MIT licence.")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "pgettext": ((1, "c"), 2), "N_": None}
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"},
           "**.txt": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def extracted() -> Catalog:
    """Every message id in the sources, with where it is used."""
    catalog = Catalog(project="flask-privacy-selfservice", domain=DOMAIN,
                      msgid_bugs_address="", copyright_holder="flask-privacy-selfservice",
                      charset="utf-8", creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                      last_translator="flask-privacy-selfservice", language_team="",
                      header_comment=HEADER)
    for folder in SOURCES:
        base = ROOT / folder
        for filename, lineno, message, comments, context in extract_from_dir(
                str(base), METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True):
            location = (f"{folder}/{filename}", lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _write(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def po_files() -> list[Path]:
    return sorted(TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def extract() -> None:
    _write(extracted(), TEMPLATE)


def update() -> None:
    template = _read(TEMPLATE)
    for path in po_files():
        catalog = _read(path, path.parent.parent.name)
        catalog.update(template, no_fuzzy_matching=True)
        _write(catalog, path)


def compile_all(out_root: Path | None = None) -> list[Path]:
    """Each ``.po`` as a ``.mo`` beside it (or under ``out_root``); the files written."""
    written = []
    for path in po_files():
        catalog = _read(path, path.parent.parent.name)
        target = path.with_suffix(".mo")
        if out_root is not None:
            target = out_root / path.relative_to(TRANSLATIONS).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        compiled = _compiled(catalog)
        if not target.exists() or target.read_bytes() != compiled:
            target.write_bytes(compiled)
        written.append(target)
    return written


def _compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def problems() -> list[str]:
    """What keeps the catalogues from being complete: each problem as one line."""
    found: list[str] = []
    current = extracted()
    ids = {m.id for m in current if m.id}
    if not TEMPLATE.exists():
        return [f"{TEMPLATE.name} is missing: run python -m devtools.i18n extract"]
    in_template = {m.id for m in _read(TEMPLATE) if m.id}
    for message in sorted(ids - in_template, key=str):
        found.append(f"not in {TEMPLATE.name} (run extract): {message!r}")
    for path in po_files():
        lang = path.parent.parent.name
        catalog = _read(path, lang)
        for message in current:
            if not message.id:
                continue
            entry = catalog.get(message.id, context=message.context)
            if entry is None:
                found.append(f"{lang}: missing {message.id!r}")
            elif entry.fuzzy:
                found.append(f"{lang}: fuzzy {message.id!r}")
            elif not _translated(entry.string):
                found.append(f"{lang}: untranslated {message.id!r}")
        mo = path.with_suffix(".mo")
        if mo.exists() and mo.read_bytes() != _compiled(catalog):
            found.append(f"{lang}: {mo.name} is not what its .po says (run compile)")
    return found


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(bool(s) for s in string)
    return bool(string)


def init(lang: str) -> None:
    template = _read(TEMPLATE)
    catalog = Catalog(locale=lang, domain=DOMAIN, project=template.project, charset="utf-8",
                      creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                      copyright_holder=template.copyright_holder,
                      last_translator=template.last_translator, language_team="",
                      header_comment=HEADER, fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True)
    _write(catalog, TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po")


def union(paths: Iterable[str]) -> None:
    """Fold the translations of several versions of one ``.po`` into the first."""
    first, *others = [Path(p) for p in paths]
    lang = first.parent.parent.name if first.parent.name == "LC_MESSAGES" else None
    merged = _read(first, lang)
    for other in others:
        for message in _read(other, lang):
            if not message.id or not _translated(message.string) or message.fuzzy:
                continue
            existing = merged.get(message.id, message.context)
            if existing is None:
                merged[message.id] = message
            elif not _translated(existing.string):  # (setting the key keeps the old string)
                existing.string = message.string
                existing.flags.discard("fuzzy")
    _write(merged, first)


def main(argv: list[str]) -> int:
    command, *args = argv or ["check"]
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
        demo_i18n.compile_all()
    elif command == "init":
        init(args[0])
    elif command == "union":
        union(args)
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
