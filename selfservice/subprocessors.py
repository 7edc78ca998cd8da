"""The host's sub-processors: who else processes personal data on the company's behalf.

One list, configured in ``SELFSERVICE_SUBPROCESSORS``, read by every place that names them: the
DPA's Annex III and the public sub-processor page and JSON. Each entry says what a customer's
privacy officer needs to assess a transfer: the company, what it does for us, where, and under
which transfer mechanism.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: the fields an entry must have (non-empty text), and the optional ones
REQUIRED = ("name", "purpose", "location", "transfer_mechanism")
OPTIONAL = ("url", "data_categories")


@dataclass(frozen=True)
class Subprocessor:
    name: str
    purpose: str
    location: str
    transfer_mechanism: str
    url: str | None = None
    data_categories: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "purpose": self.purpose, "location": self.location,
                "transfer_mechanism": self.transfer_mechanism, "url": self.url,
                "data_categories": self.data_categories}


def entry_problem(entry: Any) -> str | None:
    """What is wrong with one configured entry, or None."""
    if not isinstance(entry, Mapping):
        return "each entry must be a dict"
    missing = [key for key in REQUIRED
               if not isinstance(entry.get(key), str) or not entry[key].strip()]
    if missing:
        return f"an entry ({entry.get('name', 'unnamed')!r}) lacks {', '.join(missing)}"
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        return f"an entry ({entry['name']!r}) has unknown keys {', '.join(unknown)}"
    return None


def valid_list(value: Any) -> bool:
    """The setting's shape: a list of entries with distinct names, each without a problem."""
    if not isinstance(value, list | tuple):
        return False
    names = [entry.get("name") for entry in value if isinstance(entry, Mapping)]
    return (all(entry_problem(entry) is None for entry in value)
            and len(names) == len(set(names)))


def listed(config: Mapping[str, Any]) -> tuple[Subprocessor, ...]:
    """The configured sub-processors, in the order the host listed them."""
    return tuple(Subprocessor(**{key: entry.get(key) for key in (*REQUIRED, *OPTIONAL)})
                 for entry in config["SELFSERVICE_SUBPROCESSORS"])
