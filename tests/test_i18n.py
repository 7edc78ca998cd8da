"""Languages: the catalogues are complete, and the reader's language is the one written in."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask, render_template_string
from flask_babel import Babel

from devtools import i18n
from selfservice import Identity, SelfService, translation


def make_host(**config: Any) -> Flask:
    app = Flask("host")
    app.config.update({"SECRET_KEY": "k" * 32, "SELFSERVICE_DATABASE_URL": "sqlite://", **config})
    return app


def plugin(app: Flask) -> Flask:
    SelfService(app, identity_loader=lambda a: Identity(a, f"{a}@example.com", a))
    return app


def test_every_message_of_the_sources_is_in_the_template_and_translated_in_every_language(
) -> None:
    """German is complete: no message id of a page, form, e-mail or the banner lacks its
    translation, none is fuzzy, and the template lists every id the sources use."""
    problems = i18n.problems()
    assert not problems, "\n".join(problems[:40]) + (
        f"\n... and {len(problems) - 40} more" if len(problems) > 40 else "")


def test_every_page_says_its_language_on_its_own_root() -> None:
    # a host's layout may say another language in its <html lang>: the plugin's part of the
    # page says its own, for screen readers and for hyphenating long German words
    pages = Path(__file__).parents[1] / "templates" / "selfservice"
    roots = {path.relative_to(pages).as_posix(): root
             for path in pages.rglob("*.html")
             for root in re.findall(r'<div class="ss-page[^>]*>', path.read_text("utf-8"))}
    assert len(roots) > 30
    assert [name for name, root in roots.items() if ' lang="{{ ' not in root] == []


def test_the_shipped_languages_are_english_and_german() -> None:
    assert translation.languages() == ("en", "de")


def test_the_accept_language_header_chooses_among_the_shipped_languages() -> None:
    app = plugin(make_host())
    page = '{{ _("Your data") }}|{{ selfservice_language }}'
    for header, expected in [("de-DE,de;q=0.9,en;q=0.8", "Ihre Daten|de"),
                             ("en-GB,de;q=0.5", "Your data|en"),
                             ("fr-FR,fr;q=0.9", "Your data|en"),  # not shipped: English
                             ("fr-FR,de;q=0.7", "Ihre Daten|de"),
                             ("", "Your data|en")]:
        with app.test_request_context(headers={"Accept-Language": header}):
            assert render_template_string(page) == expected, header


def test_template_strings_are_escaped_and_filled_the_jinja_way() -> None:
    app = plugin(make_host())
    with app.test_request_context(headers={"Accept-Language": "de"}):
        rendered = render_template_string(
            '{{ _("Your data, copy %(reference)s", reference="<b>") }}'
            '|{% trans n=2 %}{{ n }} x{% endtrans %}'
            '|{{ ngettext("%(num)s record", "%(num)s records", 3) }}')
    assert rendered == "Ihre Daten, Kopie &lt;b&gt;|2 x|3 Datensätze"


def test_e_mails_are_written_in_the_language_asked_for_outside_any_request() -> None:
    app = plugin(make_host())
    with app.app_context():
        assert translation.gettext("Your data") == "Your data"
        with translation.language("de"):
            assert translation.gettext("Your data") == "Ihre Daten"
            assert translation.current_language() == "de"
        with translation.language("xx"):  # not shipped: the source language
            assert translation.gettext("Your data") == "Your data"
        lazy = translation.lazy_gettext("Your data")
        with translation.language("de"):
            assert str(lazy) == "Ihre Daten"
        assert str(lazy) == "Your data"


def host_catalogue(folder: Path) -> Path:
    catalog = Catalog(locale="de", domain="messages")
    catalog.add("Host words", "Worte des Hosts")
    target = folder / "de" / "LC_MESSAGES" / "messages.mo"
    target.parent.mkdir(parents=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    target.write_bytes(buffer.getvalue())
    return folder


def test_a_host_with_its_own_babel_keeps_its_locale_selector_and_its_catalogue(
        tmp_path: Path) -> None:
    """The host's selector decides (here: German whatever the browser says); the plugin's
    words come from the plugin's catalogue and the host's from the host's, in one template."""
    app = make_host(BABEL_TRANSLATION_DIRECTORIES=str(host_catalogue(tmp_path)))
    Babel(app, locale_selector=lambda: "de")
    plugin(app)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string('{{ _("Your data") }}/{{ _("Host words") }}') \
            == "Ihre Daten/Worte des Hosts"


def test_a_host_without_babel_gets_it_set_up_without_touching_its_templates() -> None:
    app = plugin(make_host())
    assert "babel" in app.extensions
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string('{{ _("Not a message of ours") }}') \
            == "Not a message of ours"


def test_compiled_catalogues_are_what_the_po_files_say(tmp_path: Path) -> None:
    """``compile`` writes a .mo per .po that loads and translates (what the build ships)."""
    written = i18n.compile_all(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] \
        == ["de/LC_MESSAGES/selfservice.mo"]
    from babel.support import Translations

    with written[0].open("rb") as handle:
        assert Translations(handle).ugettext("Your data") == "Ihre Daten"


def test_the_german_check_finds_english_and_skips_what_is_not_ours() -> None:
    from .german import english_left

    page = ('<main><h1>Ihre Daten</h1><p>Wir haben <span translate="no">the data of '
            'alice@example.com</span> gespeichert.</p><script>var the = 1;</script>'
            '<button aria-label="Cancel the request">x</button></main>')
    assert [f.split(" in ")[0] for f in english_left(page)] == ["'cancel'", "'the'",
                                                                "'request'"]
    assert english_left("<p>Ihre Anfrage ist eingegangen.</p>") == []
    assert english_left("Your request was received.", html=False)


def test_the_german_check_reads_german_words_and_skips_addresses() -> None:
    from .german import english_left

    text = ("Was Sie wissen sollten: Sie will es also so. Öffnen Sie "
            "https://console.example.com/privacy/requests/delete oder schreiben Sie an "
            "privacy@example.com.")
    assert english_left(text, html=False) == []


def test_a_hosts_regional_locale_reads_the_languages_catalogue() -> None:
    """A host whose selector answers de_AT (a region the plugin ships no catalogue for) gets
    the German catalogue, in pages and plural forms alike."""
    app = make_host()
    Babel(app, locale_selector=lambda: "de_AT")
    plugin(app)
    with app.test_request_context():
        assert render_template_string(
            '{{ _("Your data") }}|{{ ngettext("%(num)s record", "%(num)s records", 2) }}') \
            == "Ihre Daten|2 Datensätze"
        assert translation.gettext("Your data") == "Ihre Daten"
