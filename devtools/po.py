"""What the catalogue commands (devtools.i18n_fill, devtools.demo_i18n) share."""

from __future__ import annotations

from babel.messages.catalog import Catalog


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
