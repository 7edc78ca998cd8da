"""The host's own words the plugin shows, in one list, for the host's translators.

A host writes its texts in its configuration, in English: its data sources (what each holds,
why, how long, what its columns mean, what deletion keeps), the processors it tells of an
erasure, its cookies, its sub-processors and their announced changes, what changed in each DPA
version. (The DPA itself, Annex II included, is the contract a customer signs: it is written in
the language of its template, whole.) The plugin shows each through
:func:`selfservice.translation.host_text` (the template filter ``ss_text``), so the host's own
Flask-Babel catalogue translates them: ``flask selfservice texts`` writes them as a message
template (``.pot``) to merge with ``pybabel update`` (each text is its own message id, as
written). A text the host's catalogue lacks is shown as written.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from . import dpa_versions, subprocessors
from .sources import DataSource
from .state import HostCallbacks
from .translation import DURATION

_SOURCE_TEXTS = ("description", "purpose", "retention", "erasure_reason", "irreversible")
_COOKIE_TEXTS = ("provider", "purpose", "duration")
_SUBPROCESSOR_TEXTS = ("purpose", "location", "transfer_mechanism", "data_categories")
#: a fixed date in the template's header, so that writing it twice gives the same file
_DATE = datetime(2026, 12, 1, tzinfo=UTC)


def _source_texts(source: DataSource) -> Iterator[tuple[str, str]]:
    where = f"source {source.name}"
    for attr in _SOURCE_TEXTS:
        yield str(getattr(source, attr) or ""), f"{where}: {attr}"
    schema: Mapping[str, Any] = source.schema
    yield str(schema.get("title") or ""), f"{where}: schema title"
    for name, prop in schema.get("properties", {}).items():
        if isinstance(prop, Mapping):
            for key in ("title", "description"):
                yield str(prop.get(key) or ""), f"{where}: {name} {key}"


def _cookie_texts(config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for entry in config.get("SELFSERVICE_COOKIES") or ():
        for key in _COOKIE_TEXTS:
            text = str(entry.get(key) or "")
            if key != "duration" or not DURATION.fullmatch(text.strip()):  # ours to write
                yield text, f"cookie {entry.get('name')}: {key}"


def _subprocessor_texts(config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    entries = list(subprocessors.listed(config))
    for change in subprocessors.changes(config):
        yield change.description, f"sub-processor change {change.id}: description"
        yield change.short_notice_reason or "", f"sub-processor change {change.id}: reason"
        entries.extend(e for e in (change.before, change.after) if e is not None)
    for entry in entries:
        for key in _SUBPROCESSOR_TEXTS:
            yield str(getattr(entry, key) or ""), f"sub-processor {entry.name}: {key}"


def _dpa_texts(config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # what changed in a version, on the DPA page; not the Annex II measures: the DPA itself, the
    # contract a customer signs, is written in the language of its template, whole
    for version in dpa_versions.listed(config):
        yield version.changes, f"DPA version {version.version}: changes"


def _recipient_texts(host: HostCallbacks) -> Iterator[tuple[str, str]]:
    for recipient in host.deletion.recipients.values():
        yield recipient.description, f"erasure recipient {recipient.name}: description"


def collected(config: Mapping[str, Any], host: HostCallbacks) -> dict[str, list[str]]:
    """Every text of the host's configuration and registrations the plugin shows -> where it
    is written, in their order (the plugin's own sources and cookies are not the host's)."""
    found: dict[str, list[str]] = {}
    walks = (
        *(_source_texts(source) for source in host.sources if not source.builtin),
        _recipient_texts(host), _cookie_texts(config), _subprocessor_texts(config),
        _dpa_texts(config))
    for walk in walks:
        for text, where in walk:
            if text.strip():
                found.setdefault(text, []).append(where)
    return found


def template(config: Mapping[str, Any], host: HostCallbacks,
             project: str = "host texts") -> bytes:
    """The texts as a message template (``.pot``): each text a message id, where it is written
    as a translator's comment."""
    catalog = Catalog(project=project, charset="utf-8", creation_date=_DATE,
                      revision_date=_DATE, fuzzy=False)
    for text, places in collected(config, host).items():
        catalog.add(text, auto_comments=places)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False)
    return buffer.getvalue()
