"""A folder of Babel catalogues (``<lang>/LC_MESSAGES/<domain>.po`` and the ``.pot``): what the
plugin's (``devtools.i18n``) and the demo console's (``devtools.demo_i18n``) commands share."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

#: a fixed header date, so that extracting twice writes the same file (no merge conflicts)
FIXED_DATE = datetime(2026, 12, 1, tzinfo=UTC)


def translated(string: object) -> bool:
    """Whether a message's translation is there (every form of a plural)."""
    if isinstance(string, tuple | list):
        return all(bool(s) for s in string)
    return bool(string)


def compiled(catalog: Catalog) -> bytes:
    """``catalog`` as a ``.mo`` file (fuzzy entries left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def fill_catalogue(catalog: Catalog, table: dict[str, object]) -> list[str]:
    """``table``'s translations into ``catalog`` (any domain's); the ids it does not have."""
    unknown = []
    for msgid, text in table.items():
        message = next((m for m in catalog if m.id == msgid
                        or (isinstance(m.id, tuple) and m.id[0] == msgid)), None)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = tuple(text) if isinstance(text, tuple | list) else text
        message.flags.discard("fuzzy")
    return unknown


@dataclass(frozen=True)
class Catalogues:
    """The catalogues of one domain in one folder."""

    folder: Path
    domain: str
    #: whether a written ``.po`` keeps the ids its sources no longer use (as ``#~`` lines)
    keep_obsolete: bool = True

    @property
    def template(self) -> Path:
        return self.folder / f"{self.domain}.pot"

    def po(self, lang: str) -> Path:
        return self.folder / lang / "LC_MESSAGES" / f"{self.domain}.po"

    def po_files(self) -> list[Path]:
        return sorted(self.folder.glob(f"*/LC_MESSAGES/{self.domain}.po"))

    def read(self, path: Path, locale: str | None = None) -> Catalog:
        with path.open("rb") as handle:
            return read_po(handle, locale=locale, domain=self.domain)

    def read_language(self, path: Path) -> Catalog:
        """A ``<lang>/LC_MESSAGES`` file with its language."""
        return self.read(path, path.parent.parent.name)

    def write(self, catalog: Catalog, path: Path) -> None:
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, sort_output=True, omit_header=False,
                 ignore_obsolete=not self.keep_obsolete)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())

    def update(self) -> None:
        """Every language's ``.po`` follows the template (new ids in, gone ids out)."""
        template = self.read(self.template)
        for path in self.po_files():
            catalog = self.read_language(path)
            catalog.update(template, no_fuzzy_matching=True)
            self.write(catalog, path)

    def fill(self, lang: str, table: dict[str, object]) -> list[str]:
        """``table``'s translations into ``lang``'s catalogue; the ids it does not have."""
        path = self.po(lang)
        catalog = self.read(path, lang)
        unknown = fill_catalogue(catalog, table)
        self.write(catalog, path)
        return unknown

    def compile_all(self, out_root: Path | None = None) -> list[Path]:
        """Each ``.po`` as a ``.mo`` beside it (or under ``out_root``), rewritten only when it
        changes; the files."""
        written = []
        for path in self.po_files():
            target = path.with_suffix(".mo")
            if out_root is not None:
                target = out_root / path.relative_to(self.folder).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            data = compiled(self.read_language(path))
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
            written.append(target)
        return written

    def problems(self, wanted: Catalog, command: str) -> list[str]:
        """What keeps the catalogues from holding ``wanted``'s ids, each as one line: an id
        the template lacks, one a language lacks or has fuzzy or untranslated, and a ``.mo``
        that is not what its ``.po`` says. ``command`` is what fixes the template."""
        if not self.template.exists():
            return [f"{self.template.name} is missing: run {command} extract"]
        known = {m.id for m in self.read(self.template) if m.id}
        found = [f"not in {self.template.name} (run {command} extract): {m.id!r}"
                 for m in wanted if m.id and m.id not in known]
        for path in self.po_files():
            lang = path.parent.parent.name
            catalog = self.read(path, lang)
            for message in wanted:
                if not message.id:
                    continue
                entry = catalog.get(message.id, context=message.context)
                if entry is None:
                    found.append(f"{lang}: missing {message.id!r}")
                elif entry.fuzzy:
                    found.append(f"{lang}: fuzzy {message.id!r}")
                elif not translated(entry.string):
                    found.append(f"{lang}: untranslated {message.id!r}")
            mo = path.with_suffix(".mo")
            if mo.exists() and mo.read_bytes() != compiled(catalog):
                found.append(f"{lang}: {mo.name} is not what its .po says (run compile)")
        return found


def report(lines: list[str]) -> int:
    """Print ``lines``; the exit status of a check (1 when there are any)."""
    for line in lines:
        print(line)
    return 1 if lines else 0
