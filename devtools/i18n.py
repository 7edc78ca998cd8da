"""The plugin's message catalogues, the standard Babel way, in one command.

    python -m devtools.i18n extract   # selfservice/translations/selfservice.pot from the sources
    python -m devtools.i18n update    # every <lang>.po gets the template's new message ids
    python -m devtools.i18n compile   # .po -> .mo (make install runs it; setup.py on build),
                                      # the demo console's catalogue too (devtools.demo_i18n)
    python -m devtools.i18n check     # exit 1 naming what is missing, fuzzy or stale
    python -m devtools.i18n init fr   # start a new language
    python -m devtools.i18n union OURS THEIRS  # after a merge conflict: both sides' translations

``extract`` is ``pybabel extract -k _l -k lazy_gettext -k N_ ...`` over the folders of SOURCES,
Python files read as Python and templates as Jinja (METHODS); ``update`` and ``compile`` are
``pybabel update`` and ``pybabel compile`` with this repository's paths, which a host or
translator may use directly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from devtools import demo_i18n
from devtools.po import FIXED_DATE, Catalogues, report, translated

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "selfservice" / "translations"
DOMAIN = "selfservice"
CATALOGUES = Catalogues(TRANSLATIONS, DOMAIN)
TEMPLATE = CATALOGUES.template
#: where the message ids are, and how each kind of file is read
SOURCES = ("selfservice", "blueprints", "jobs", "templates")
METHODS = [("**/translations/**", "ignore"), ("**.py", "python"),
           ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2"),
           ("**.html", "jinja2"), ("**.txt", "jinja2")]
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


def extract() -> None:
    CATALOGUES.write(extracted(), TEMPLATE)


def update() -> None:
    CATALOGUES.update()


def compile_all(out_root: Path | None = None) -> list[Path]:
    """Each ``.po`` as a ``.mo`` beside it (or under ``out_root``); the files written."""
    return CATALOGUES.compile_all(out_root)


def problems() -> list[str]:
    """What keeps the catalogues from being complete: each problem as one line."""
    return CATALOGUES.problems(extracted(), "python -m devtools.i18n")


def init(lang: str) -> None:
    template = CATALOGUES.read(TEMPLATE)
    catalog = Catalog(locale=lang, domain=DOMAIN, project=template.project, charset="utf-8",
                      creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                      copyright_holder=template.copyright_holder,
                      last_translator=template.last_translator, language_team="",
                      header_comment=HEADER, fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True)
    CATALOGUES.write(catalog, CATALOGUES.po(lang))


def union(paths: Iterable[str]) -> None:
    """Fold the translations of several versions of one ``.po`` into the first."""
    first, *others = [Path(p) for p in paths]
    lang = first.parent.parent.name if first.parent.name == "LC_MESSAGES" else None
    merged = CATALOGUES.read(first, lang)
    for other in others:
        for message in CATALOGUES.read(other, lang):
            if not message.id or not translated(message.string) or message.fuzzy:
                continue
            existing = merged.get(message.id, message.context)
            if existing is None:
                merged[message.id] = message
            elif not translated(existing.string):  # (setting the key keeps the old string)
                existing.string = message.string
                existing.flags.discard("fuzzy")
    CATALOGUES.write(merged, first)


def main(argv: list[str]) -> int:
    command, *args = argv or ["check"]
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
        demo_i18n.CATALOGUES.compile_all()
    elif command == "init":
        init(args[0])
    elif command == "union":
        union(args)
    elif command == "check":
        return report(problems())
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
