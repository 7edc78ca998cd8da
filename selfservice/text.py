"""What text the plugin stores or looks up: the character rules, written once as patterns that
the published JSON Schemas use as they are and the services check with.

A NUL byte is refused by PostgreSQL and a lone surrogate is not Unicode (a page or an export
that shows it fails to encode), so neither is ever stored; the other control characters have
no place in a customer's text or an identifier either. The patterns are ASCII escapes that
mean the same in Python's ``re`` and in ECMA-262 regular expressions (JSON Schema's).
"""

from __future__ import annotations

import re

#: free text (a description): any characters but the control characters other than tab, line
#: feed and carriage return, and surrogates
FREE_TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff]*$"
#: an identifier someone else made (an account id): 1 to 64 characters, none of them a control
#: character (C0, DEL, C1) or a surrogate
IDENTIFIER_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\ud800-\udfff]{1,64}$"
#: a key a client makes up (an Idempotency-Key header): 1 to 80 visible ASCII characters,
#: letters, digits and punctuation, as any HTTP client sends them unchanged
CLIENT_KEY_PATTERN = r"^[!-~]{1,80}$"
#: the characters free text may not have
_NOT_FREE_TEXT = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff]")
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
_CLIENT_KEY = re.compile(CLIENT_KEY_PATTERN)

#: what to tell a person whose text has such a character
REFUSAL = ("must be plain text: remove the control characters (such as NUL) or broken "
           "characters it contains")


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
