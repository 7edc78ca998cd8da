"""Is a page or an e-mail all German? ``english_left(text_or_html)`` says what English is left.

The test suite's check that no English string is left: the catalogue is complete
(``tests/test_i18n.py``), and what a German reader is shown holds none of the little words every
English sentence needs ("the", "your", "we", ...). What is not ours to translate is marked
``translate="no"`` in the page (the standard HTML attribute: the customer's name and e-mail
address, references, fingerprints, file names, a host's text it has not translated) and is
skipped, as are scripts, styles and attribute values other than ``alt``, ``title``,
``aria-label`` and ``placeholder``, which a reader does meet.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: words of English that German never uses on its own ("was", "will", "also", "so" and "die"
#: are German words too, and are not here)
_WORDS = """
the your you we our us they their this that these those and with from into about after before
is are were would should could can cannot has have had been being not please when
what which who why how here there yet any some every each only than then of for to by on
at it its be do does did done if or but such just more most other own same
request requests account data download settings delete deletion cancel save back sign
"""
ENGLISH = frozenset(_WORDS.split())
#: addresses and e-mail addresses are read as they are, not as words
_ADDRESS = re.compile(r"(?:https?://|mailto:)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß'’-]*")
_SKIP_CONTENT = {"script", "style", "template"}
_READ_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped)

    def _skipping(self) -> bool:
        return any(skipped for _tag, skipped in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skipped = tag in _SKIP_CONTENT or values.get("translate") == "no" \
            or "hidden" in values and tag != "input"
        if not skipped and not self._skipping():
            self.parts.extend(v for k, v in attrs if k in _READ_ATTRIBUTES and v)
            if tag == "input" and values.get("type") in {"submit", "button"} and values.get(
                    "value"):
                self.parts.append(values["value"] or "")
        if tag not in _VOID:
            self._stack.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader of ``html`` reads (what is not marked ``translate="no"``)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def english_left(content: str, *, html: bool = True, allowed: frozenset[str] = frozenset()
                 ) -> list[str]:
    """The English words in ``content`` (an HTML page, or an e-mail's text with
    ``html=False``), each with a few words around it, so a failure says where."""
    text = visible_text(content) if html else " ".join(content.split())
    text = _ADDRESS.sub(" ", text)
    words = list(_WORD.finditer(text))
    found = []
    for index, match in enumerate(words):
        word = match.group(0).lower().strip("'’-")
        if word in ENGLISH and word not in allowed:
            start = words[max(0, index - 4)].start()
            end = words[min(len(words) - 1, index + 4)].end()
            found.append(f"{word!r} in …{text[start:end]}…")
    return found
