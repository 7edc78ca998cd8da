"""What text the plugin stores or looks up: the character rules, written once as patterns that
the published JSON Schemas use as they are and the services check with.

A NUL byte is refused by PostgreSQL and a lone surrogate is not Unicode (a page or an export
that shows it fails to encode), so neither is ever stored; the other control characters have
no place in a customer's text or an identifier either. The patterns are ASCII escapes that
mean the same in Python's ``re`` and in ECMA-262 regular expressions (JSON Schema's).

The published patterns leave surrogates out: not every regex engine takes a surrogate range
(Rust's, which JSON Schema validators such as jsonschema-rs use, refuses the pattern whole),
and a JSON text carries a lone surrogate only as an escape most parsers refuse anyway. The
server's own checks refuse lone surrogates as well.
"""

from __future__ import annotations

import re

#: the control characters free text may not have: all but tab, line feed and carriage return
_FREE_TEXT_BARRED = r"\u0000-\u0008\u000b\u000c\u000e-\u001f"
#: the characters an identifier may not have: the control characters (C0, DEL, C1)
_IDENTIFIER_BARRED = r"\u0000-\u001f\u007f-\u009f"
_SURROGATES = r"\ud800-\udfff"

#: free text (a description), as the OpenAPI document publishes it
FREE_TEXT_PATTERN = rf"^[^{_FREE_TEXT_BARRED}]*$"
#: an identifier someone else made (an account id): 1 to 64 characters, none of them barred
IDENTIFIER_PATTERN = rf"^[^{_IDENTIFIER_BARRED}]{{1,64}}$"
#: a key a client makes up (an Idempotency-Key header): 1 to 80 visible ASCII characters,
#: letters, digits and punctuation, as any HTTP client sends them unchanged
CLIENT_KEY_PATTERN = r"^[!-~]{1,80}$"

#: one line with something visible in it (a name, a title): no control characters, no line
#: breaks, not only spaces
LINE_PATTERN = rf"^[^{_IDENTIFIER_BARRED}]*[^\s{_IDENTIFIER_BARRED}][^{_IDENTIFIER_BARRED}]*$"
#: free text with something visible in it (an address over several lines)
FILLED_TEXT_PATTERN = (rf"^[^{_FREE_TEXT_BARRED}]*[^\s{_FREE_TEXT_BARRED}]"
                       rf"[^{_FREE_TEXT_BARRED}]*$")
#: an e-mail address as a person types one: something, @, a domain with a dot
EMAIL_PATTERN = (rf"^[^@\s{_IDENTIFIER_BARRED}]+@[^@\s{_IDENTIFIER_BARRED}]+"
                 rf"\.[^@\s{_IDENTIFIER_BARRED}]+$")

# the server's checks: the same, with lone surrogates barred too, and the whole value matched
_NOT_FREE_TEXT = re.compile(rf"[{_FREE_TEXT_BARRED}{_SURROGATES}]")
_IDENTIFIER = re.compile(rf"[^{_IDENTIFIER_BARRED}{_SURROGATES}]{{1,64}}")
_CLIENT_KEY = re.compile(CLIENT_KEY_PATTERN)

#: the units of a size past 1,023 bytes
SIZE_UNITS = ("KB", "MB", "GB", "TB")
#: what to tell a person whose text has such a character
REFUSAL = ("must be plain text: remove the control characters (such as NUL) or broken "
           "characters it contains")
#: what to tell a caller whose value does not match one of the patterns
NOT_ALLOWED = ("has characters that are not allowed here (control characters such as NUL, or "
               "broken characters)")


def is_free_text(value: object) -> bool:
    """A string without control characters (tab and line breaks aside) or surrogates."""
    return isinstance(value, str) and _NOT_FREE_TEXT.search(value) is None


def without_control_characters(value: str) -> str:
    """``value`` with the characters free text may not have taken out (for text the plugin
    records but nobody typed, such as a browser's user agent)."""
    return _NOT_FREE_TEXT.sub("", value)


def is_identifier(value: object) -> bool:
    """1 to 64 characters, none of them a control character or a surrogate."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def is_client_key(value: object) -> bool:
    """1 to 80 visible ASCII characters."""
    return isinstance(value, str) and _CLIENT_KEY.fullmatch(value) is not None


def scaled_size(size: int) -> tuple[float, str]:
    """A size of at least 1,024 bytes as a value below 1,024 and its unit (1 KB being 1,024
    bytes, as file managers count)."""
    value = float(size)
    for unit in SIZE_UNITS:
        value /= 1024
        if value < 1024 or unit == SIZE_UNITS[-1]:
            break
    return value, unit


def human_size(size: int | None) -> str:
    """A number of bytes as a person reads it, in English: 812 bytes, 9.5 KB, 56 KB, 1.2 MB
    (``selfservice.formatting.size`` writes it in the reader's language)."""
    if size is None:
        return ""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    value, unit = scaled_size(size)
    shown = f"{value:.1f}" if value < 10 else f"{value:,.0f}"
    return f"{shown.removesuffix('.0')} {unit}"
