"""What every table module of the plugin shares."""

from __future__ import annotations

import enum
import uuid


def new_id() -> str:
    return uuid.uuid4().hex


def check_in(column: str, values: type[enum.StrEnum]) -> str:
    """A CHECK constraint's text: ``column`` holds one of the enum's values."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"
