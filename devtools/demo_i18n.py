"""The demo console's own catalogue: what a host does for its texts, done for the demo.

The demo is a host: its templates and code have words of their own (the layout, its pages), and
its configuration has the host texts the plugin shows through ``ss_text`` (data sources,
cookies, sub-processors, DPA measures). Both are message ids of the demo's Flask-Babel catalogue
(domain ``messages``, ``demo/translations``, ``BABEL_TRANSLATION_DIRECTORIES``).

    python -m devtools.demo_i18n extract         # demo/translations/messages.pot
    python -m devtools.demo_i18n update          # each <lang>/LC_MESSAGES/messages.po follows it
    python -m devtools.demo_i18n fill de FILE.py # translations from FILE's T = {id: text}
    python -m devtools.demo_i18n compile         # .po -> .mo (python -m devtools.i18n compile too)
    python -m devtools.demo_i18n check           # exit 1 naming what is missing or fuzzy

``extract`` is ``pybabel extract`` over demo/ plus ``flask selfservice texts`` (the host texts
of the demo's configuration, taken from a demo console built for the purpose).
"""

from __future__ import annotations

import io
import runpy
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from devtools.po import fill_catalogue

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
TRANSLATIONS = DEMO / "translations"
DOMAIN = "messages"
TEMPLATE = TRANSLATIONS / f"{DOMAIN}.pot"
METHODS = [("translations/**", "ignore"), ("static/**", "ignore"), ("**.py", "python"),
           ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "N_": None}
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
FIXED_DATE = datetime(2026, 12, 1, tzinfo=UTC)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _write(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def po_files() -> list[Path]:
    return sorted(TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def host_texts() -> Catalog:
    """The host texts of the demo's configuration (``flask selfservice texts``)."""
    from demo.app import create_app  # the demo's modules need its optional dependencies
    from selfservice import host_texts as texts

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DEMO_DATABASE_URL": "sqlite://", "SECRET_KEY": "x" * 32},
                         instance_path=folder)
        written = texts.template(app.config, app.extensions["selfservice"].extension)
    return read_po(io.BytesIO(written), domain=DOMAIN)


def extracted(with_host_texts: bool = True) -> Catalog:
    catalog = Catalog(project="EcoHash demo console", domain=DOMAIN, charset="utf-8",
                      creation_date=FIXED_DATE, revision_date=FIXED_DATE, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(DEMO), METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True):
        catalog.add(message, None, [(f"demo/{filename}", lineno)], auto_comments=comments,
                    context=context)
    if with_host_texts:
        for message in host_texts():
            if message.id:
                catalog.add(message.id, None, auto_comments=message.auto_comments)
    return catalog


def extract() -> None:
    _write(extracted(), TEMPLATE)


def update() -> None:
    template = _read(TEMPLATE)
    for path in po_files():
        catalog = _read(path, path.parent.parent.name)
        catalog.update(template, no_fuzzy_matching=True)
        _write(catalog, path)


def fill(lang: str, table: dict[str, object]) -> list[str]:
    """``table``'s translations into ``lang``'s catalogue; the ids it does not have."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = _read(path, lang)
    unknown = fill_catalogue(catalog, table)
    _write(catalog, path)
    return unknown


def compile_all() -> list[Path]:
    """Each ``.po`` as a ``.mo`` beside it (rewritten only when it changes)."""
    written = []
    for path in po_files():
        buffer = io.BytesIO()
        write_mo(buffer, _read(path, path.parent.parent.name), use_fuzzy=False)
        target = path.with_suffix(".mo")
        if not target.exists() or target.read_bytes() != buffer.getvalue():
            target.write_bytes(buffer.getvalue())
        written.append(target)
    return written


def problems(template: Catalog | None = None) -> list[str]:
    """What keeps the demo's catalogues from being complete: the template's ids (the code's,
    by default; the host texts are checked against the running console by the tests) missing,
    fuzzy or untranslated in a language."""
    wanted = template if template is not None else extracted(with_host_texts=False)
    found = []
    known = {m.id for m in _read(TEMPLATE) if m.id} if TEMPLATE.exists() else set()
    found += [f"not in {TEMPLATE.name} (run extract): {m.id!r}" for m in wanted
              if m.id and m.id not in known]
    for path in po_files():
        lang = path.parent.parent.name
        catalog = _read(path, lang)
        for message in wanted:
            entry = catalog.get(message.id) if message.id else None
            if message.id and (entry is None or entry.fuzzy or not entry.string):
                found.append(f"{lang}: {'fuzzy' if entry and entry.fuzzy else 'missing'} "
                             f"{message.id!r}")
    return found


def main(argv: list[str]) -> int:
    command, *args = argv or ["check"]
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "fill":
        unknown = fill(args[0], runpy.run_path(args[1])["T"])
        for msgid in unknown:
            print(f"not in the catalogue: {msgid!r}")
        return 1 if unknown else 0
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems(_read(TEMPLATE))
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
