"""The export archive's offline viewer (index.html): each source's records as a table a person
reads, pages through and searches, without a network and without anything from outside.

Memory stays flat: while a source streams into the archive, :class:`Sample` keeps at most its
first :data:`RECORDS` records (and at most :data:`BYTES` of them) for the viewer, written as
they pass to one spool for the archive (:func:`spool`: in memory up to :data:`IN_MEMORY`, on
disk beyond); only the first page of each is held as cells. The page is rendered
last, from the template ``selfservice/export/index.html`` (every word the viewer shows is
there, through gettext), in the customer's language: the plugin's catalogue for it is installed
in the viewer's Jinja environment (one per language), and the sources' words (description,
purpose, retention, legal basis, column titles) are passed through ``translate``; the page is
streamed into the ZIP entry. The records travel as JSON in
``<script type="application/json">`` blocks with ``<``, ``>`` and ``&`` escaped, so no value can
close the block; the first page is also rendered as an HTML table (escaped), which is all a
browser without JavaScript shows. A Content-Security-Policy in the page allows only its own
inline script and style (by hash) and no connection at all.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import IO, Any

import jinja2
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from markupsafe import Markup

from .archive_content import FileEntry, SourceEntry, json_default
from .paths import TEMPLATE_FOLDER
from .sources import LEGAL_BASES, DataSource
from .translation import DOMAIN, SOURCE_LANGUAGE, TRANSLATIONS

#: a source's words in the archive's language (the identity: as the source has them)
Translate = Callable[[str], str]

#: records of one source the viewer embeds (the rest: "all N records are in the files")
RECORDS = 2_000
#: and at most this many bytes of them (JSON), whichever comes first
BYTES = 2 * 1024 * 1024
#: a longer value is shortened in the viewer (the files have it whole)
VALUE_CHARS = 2_000
#: the spool of the sampled records stays in memory up to this size, then moves to disk
IN_MEMORY = 4 * 1024 * 1024
#: records per page of a table
PAGE = 25
#: a value longer than this gets a wider column
LONG = 80
#: the template, and the style and script it inlines
TEMPLATE = "selfservice/export/index.html"
_ASSETS = Path(TEMPLATE_FOLDER) / "selfservice" / "export"
#: characters of the rendered page handed to the ZIP entry at a time
_FLUSH = 64 * 1024

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                           default=json_default).encode


def spool() -> IO[bytes]:
    """Where one archive's samples wait until index.html is written (close it after)."""
    return tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)


def script_json(value: Any) -> str:
    """JSON that cannot end a ``<script>`` element or open a comment inside it."""
    text = _encode(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def text_of(value: Any) -> str:
    """One value as the viewer shows it: text as is, nothing for null, true/false, numbers,
    and nested values as readable lines ("key: value")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping | list | tuple):
        return _readable(value)
    return str(json_default(value))


def utc_text(value: Any) -> Any:
    """A date-time (or its RFC 3339 text) as "2026-05-05 01:23:58 UTC"; anything else, and a
    time without an offset, as it is."""
    when = value
    if isinstance(value, str) and 19 <= len(value) <= 40:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(when, datetime) or when.tzinfo is None:
        return value
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def shorten(text: str) -> str:
    """A value past :data:`VALUE_CHARS` characters, shortened (the files have it whole)."""
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + "…"


def _readable(value: Any) -> str:
    """An object as one "key: value" line per key, a list as one line per item; what is
    nested deeper is compact JSON."""
    if isinstance(value, Mapping):
        return "\n".join(f"{key}: {_inline(item)}" for key, item in value.items())
    if all(not isinstance(item, Mapping | list | tuple) for item in value):
        return _inline(value)
    return "\n".join(_inline(item) for item in value)


def _inline(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_compact(item)}" for key, item in value.items())
    if isinstance(value, list | tuple) and not any(
            isinstance(item, Mapping | list | tuple) for item in value):
        return ", ".join(_compact(item) for item in value)
    return _compact(value)


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else _encode(value)


class Sample:
    """The records of one source that the viewer shows, taken while the source streams: at
    most RECORDS of them and BYTES of JSON, written to ``spool`` (shared by the sources of one
    archive, one after the other); the first PAGE also kept as cells for the HTML table."""

    def __init__(self, source: DataSource, spool: IO[bytes]) -> None:
        self.fields = source.fields
        self._known = set(self.fields)
        props = source.schema["properties"]
        self._times = [props[name].get("format") == "date-time" for name in self.fields]
        self.spool = spool
        self.start = spool.seek(0, 2)
        self.size = 0
        self.records = 0
        #: no more is taken (the limit is reached)
        self.full = False
        #: a value was shortened
        self.shortened = False
        #: a record has properties its schema does not list (shown in one more column)
        self.extra = False
        self.first: list[list[str]] = []

    def add(self, record: Mapping[str, Any]) -> None:
        if self.full:
            return
        texts = [text_of(utc_text(record.get(name)) if time else record.get(name))
                 for name, time in zip(self.fields, self._times, strict=True)]
        others = {k: v for k, v in record.items() if k not in self._known}
        texts.append(text_of(others) if others else "")
        cells = [shorten(text) for text in texts]
        data = ("," if self.records else "") + script_json(cells)
        encoded = data.encode("utf-8", "replace")
        if self.records and self.size + len(encoded) > BYTES:
            self.full = True
            return
        self.spool.write(encoded)
        self.size += len(encoded)
        self.records += 1
        self.extra = self.extra or bool(others)
        self.shortened = self.shortened or any(len(text) > VALUE_CHARS for text in texts)
        if len(self.first) < PAGE:
            self.first.append(cells)
        self.full = self.records >= RECORDS

    def rows_json(self) -> Iterator[Markup]:
        """The embedded rows (``[[cell, ...], ...]`` without the brackets), read back from the
        spool a block at a time."""
        self.spool.seek(self.start)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        left = self.size
        while left > 0:
            block = self.spool.read(min(_FLUSH, left))
            if not block:
                break
            left -= len(block)
            yield Markup(decoder.decode(block, final=left <= 0))  # noqa: S704 (escaped JSON)


@dataclass
class _View:
    """What the template shows of one source, its words in the archive's language."""

    entry: SourceEntry
    sample: Sample
    translate: Translate

    @property
    def source(self) -> DataSource:
        return self.entry.source

    @property
    def description(self) -> str:
        return self.translate(self.source.description)

    @property
    def purpose(self) -> str:
        return self.translate(self.source.purpose)

    @property
    def retention(self) -> str:
        return self.translate(self.source.retention)

    @property
    def legal_basis(self) -> str:
        return self.translate(LEGAL_BASES[self.source.legal_basis])

    def file(self, suffix: str) -> FileEntry | None:
        return next((f for f in self.entry.files if f.path.endswith(suffix)), None)

    @property
    def columns(self) -> list[dict[str, str]]:
        props = self.source.schema["properties"]
        words = self.translate
        shown = [{"name": name,
                  "label": words(str(props[name]["title"])) if props[name].get("title")
                  else _label(name),
                  "description": words(str(props[name].get("description") or ""))}
                 for name in self.sample.fields]
        return shown + ([{"name": "", "label": "", "description": ""}]
                        if self.sample.extra else [])

    @property
    def first_rows(self) -> list[list[str]]:
        width = len(self.sample.fields) + self.sample.extra
        return [row[:width] for row in self.sample.first]


def _label(name: str) -> str:
    """A property's name as a column heading: "prompt_tokens" is "Prompt tokens"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@cache
def _assets() -> tuple[str, str]:
    return ((_ASSETS / "viewer.css").read_text(encoding="utf-8"),
            (_ASSETS / "viewer.js").read_text(encoding="utf-8"))


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _number(lang: str, value: int) -> str:
    """1,234 or 1.234, as ``lang`` writes it."""
    return format_decimal(value, locale=lang)


def _size(catalogue: NullTranslations, lang: str, value: int) -> str:
    """812 bytes, 1.2 MB or 1,2 MB (1 KB being 1,024 bytes)."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= scale:
            return f"{format_decimal(value / scale, '#,##0.0', locale=lang)} {unit}"
    ngettext = catalogue.ungettext
    return ngettext("%(num)s byte", "%(num)s bytes", value) % {"num": _number(lang, value)}


@cache
def catalogue(lang: str) -> NullTranslations:
    """The plugin's catalogue for ``lang``, read without Flask (none for English)."""
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [lang], DOMAIN)


@cache
def environment(lang: str = SOURCE_LANGUAGE) -> jinja2.Environment:
    """The viewer's templates in ``lang``: autoescaped, with the plugin's catalogue for it
    installed for the gettext calls (English has none: the message ids are English)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_FOLDER), autoescape=True,
                             extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(catalogue(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["number"] = partial(_number, lang)
    env.filters["size"] = partial(_size, catalogue(lang), lang)
    return env


def language(lang: str | None) -> str:
    """``lang`` if the plugin ships a catalogue for it, else English."""
    if not lang or lang == SOURCE_LANGUAGE:
        return SOURCE_LANGUAGE
    return lang if isinstance(catalogue(lang), Translations) else SOURCE_LANGUAGE


def render(manifest: Mapping[str, Any], entries: list[SourceEntry], samples: list[Sample],
           files: list[FileEntry], generated_at: datetime, lang: str = SOURCE_LANGUAGE,
           translate: Translate | None = None) -> Iterator[bytes]:
    """index.html in ``lang``, a block of UTF-8 at a time. ``files``: every file it can list
    the fingerprint of (all but itself and SHA256SUMS). ``translate``: the sources' words in
    ``lang`` (default: the plugin's catalogue, which has the plugin's own sources' words)."""
    lang = language(lang)
    style, script = _assets()
    at = generated_at.astimezone(UTC)
    words = translate or catalogue(lang).ugettext
    stream = environment(lang).get_template(TEMPLATE).generate(
        lang=lang, manifest=manifest, records=manifest["records"],
        views=[_View(e, s, words) for e, s in zip(entries, samples, strict=True)],
        files=files, generated_date=format_date(at, "long", locale=lang),
        generated_time=format_time(at, "short", tzinfo=UTC, locale=lang),
        page_size=PAGE, long=LONG,
        style=Markup(style), script=Markup(script),  # noqa: S704 (the plugin's own files)
        csp=(f"default-src 'none'; style-src '{_hash(style)}'; script-src "
             f"'{_hash(script)}'; img-src 'none'; connect-src 'none'; form-action 'none'; "
             "base-uri 'none'"))
    buffer: list[str] = []
    size = 0
    for text in stream:
        buffer.append(text)
        size += len(text)
        if size >= _FLUSH:
            yield "".join(buffer).encode("utf-8", "replace")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8", "replace")
