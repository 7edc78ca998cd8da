"""Least privilege: what staff see of a customer's personal data before they reveal it.

An e-mail address keeps its first character and its domain (``a***@example.com``): enough to
tell two customers apart on the telephone, not enough to write to one. A name becomes its
initials (``A. L.``). A value too short to keep anything of is hidden whole; nothing here ever
returns more of a value than these rules allow, whatever the input.
"""

from __future__ import annotations

import unicodedata

#: what stands for the hidden characters
HIDDEN = "***"


def _first_character(text: str) -> str:
    """The first user-perceived character of ``text``: a letter with its combining marks."""
    end = 1
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return text[:end]


def mask_email(value: str | None) -> str:
    """``alice@example.com`` -> ``a***@example.com``. A one-character local part is hidden
    whole (``***@example.com``); a value without ``@`` is hidden whole (``***``); an empty
    value stays empty."""
    text = (value or "").strip()
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        return HIDDEN
    first = _first_character(local)
    kept = first if len(local) > len(first) else ""
    return f"{kept}{HIDDEN}@{domain}"


def _initial(word: str) -> str | None:
    """The word's first letter or digit, as a capital when it has one of a single character."""
    for index, char in enumerate(word):
        if char.isalnum():
            first = _first_character(word[index:])
            upper = first.upper()
            return upper if len(upper) == len(first) else first
    return None


def mask_name(value: str | None) -> str:
    """``Alice Liddell`` -> ``A. L.``: one initial per word (punctuation-only words left out);
    an empty value stays empty."""
    initials = [found for word in (value or "").split() if (found := _initial(word))]
    return " ".join(f"{initial}." for initial in initials)
