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
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from devtools.po import FIXED_DATE, Catalogues, report

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
TRANSLATIONS = DEMO / "translations"
DOMAIN = "messages"
#: the demo's catalogue drops the ids its sources no longer use
CATALOGUES = Catalogues(TRANSLATIONS, DOMAIN, keep_obsolete=False)
TEMPLATE = CATALOGUES.template
METHODS = [("translations/**", "ignore"), ("static/**", "ignore"), ("**.py", "python"),
           ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "N_": None}
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


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
    CATALOGUES.write(extracted(), TEMPLATE)


def problems(template: Catalog | None = None) -> list[str]:
    """What keeps the demo's catalogues from being complete: the template's ids (the code's,
    by default; the host texts are checked against the running console by the tests) missing,
    fuzzy or untranslated in a language."""
    wanted = template if template is not None else extracted(with_host_texts=False)
    return CATALOGUES.problems(wanted, "python -m devtools.demo_i18n")


def main(argv: list[str]) -> int:
    command, *args = argv or ["check"]
    if command == "extract":
        extract()
    elif command == "update":
        CATALOGUES.update()
    elif command == "fill":
        unknown = CATALOGUES.fill(args[0], runpy.run_path(args[1])["T"])
        return report([f"not in the catalogue: {msgid!r}" for msgid in unknown])
    elif command == "compile":
        CATALOGUES.compile_all()
    elif command == "check":
        return report(problems(CATALOGUES.read(TEMPLATE)))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
