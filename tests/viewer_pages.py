"""Archives for the viewer's tests: sources of made-up records (hostile ones among them), a
build into a folder, and index.html read back as a small tree (the standard library's parser,
so a test sees what a browser without JavaScript would)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from selfservice import archive
from selfservice.sources import DataSource, Subject

WHEN = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

#: values a viewer must show as text, never run or render
HOSTILE = [
    "</script><script>alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    "<!--<script>alert('comment')//",
    "\"double\" 'single' & ampersand &amp; &lt;b&gt; `back`",
    "\u202eexe.txt\u202c right-to-left override",
    "مرحبا بالعالم — שלום עולם",
    "👩‍💻 e\u0301 ß İstanbul 中文",
    "line one\nline two\ttabbed",
    "<svg onload=alert('svg')>",
    "javascript:alert('link')",
]
LONG = "long " * 2_000  # 10,000 characters

SCHEMA = {"type": "object", "properties": {
    "n": {"type": "integer", "description": "Number of the record"},
    "text": {"type": "string", "description": "A value to show as text"},
    "when": {"type": "string", "format": "date-time", "description": "When it happened"},
    "nested": {"type": "object"}}}
FLAT = {"type": "object", "properties": {
    "n": {"type": "integer"}, "text": {"type": "string"}}}


def hostile_record(n: int) -> dict[str, Any]:
    text = LONG if n % 17 == 16 else HOSTILE[n % len(HOSTILE)]
    return {"n": n, "text": text, "when": WHEN.isoformat(),
            "nested": {"<b>key</b>": "</script><script>alert('nested')</script>",
                       "list": [1, "<i>two</i>", None]}}


def source(name: str, records: Callable[[], Iterable[Mapping[str, Any]]], *,
           schema: Mapping[str, Any] = SCHEMA, description: str = "") -> DataSource:
    return DataSource(name=name, description=description or f"Records of {name}",
                      purpose="Testing the viewer", legal_basis="contract",
                      retention="30 days", schema=schema, export=lambda subject: records())


def hostile_source(count: int = 40) -> DataSource:
    return source("hostile", lambda: (hostile_record(n) for n in range(count)),
                  description="Notes <b>with markup</b> & </script> in the description")


def numbered(name: str, count: int, size: int = 20) -> DataSource:
    """``count`` flat records with ``size`` characters of text each."""
    return source(name, lambda: ({"n": n, "text": f"record {n:07d} " + "x" * size}
                                 for n in range(count)), schema=FLAT)


def build(folder: Path, sources: list[DataSource], **kwargs: Any) -> Path:
    """The archive of ``sources``, unpacked into ``folder``; returns index.html's path."""
    target = folder / "export.zip"
    archive.build(str(target), Subject("acct-viewer"), sources, reference="DR-VIEW-0001",
                  generated_at=WHEN, **kwargs)
    with zipfile.ZipFile(target) as zf:
        zf.extractall(folder / "export")
    return folder / "export" / "index.html"


# -- index.html as a tree -----------------------------------------------------------------------

VOID = {"meta", "input", "br", "img", "link", "hr", "wbr", "source", "area", "base", "col"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        return [n for n in self.iter() if n.tag == tag
                and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def find(self, tag: str, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def table_rows(section: Node) -> list[list[str]]:
    """The rows of a source's table as a browser without JavaScript shows them."""
    body = section.find("tbody")
    return [[td.text() for td in tr.find_all("td")] for tr in body.find_all("tr")]
