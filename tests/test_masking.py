"""Masking: staff see ``a***@example.com`` and initials until they reveal, whatever the
value looks like."""

from __future__ import annotations

import pytest

from selfservice.masking import mask_email, mask_name


@pytest.mark.parametrize(("value", "masked"), [
    ("alice@example.com", "a***@example.com"),
    ("Alice.Liddell+tag@Example.COM", "A***@Example.COM"),
    ("ab@example.com", "a***@example.com"),
    ("a@example.com", "***@example.com"),  # one character: keeping it would keep it all
    ("@example.com", "***@example.com"),
    ("alice@", "a***@"),
    ("not-an-address", "***"),
    ("a", "***"),
    ("", ""),
    (None, ""),
    ("   ", ""),
    ("  alice@example.com\n", "a***@example.com"),
    ('"a@b"@example.com', '"***@example.com'),  # the last @ separates the domain
    ("émile@exemple.fr", "é***@exemple.fr"),
    ("e\u0301mile@exemple.fr", "e\u0301***@exemple.fr"),  # the accent stays with its letter
    ("e\u0301@exemple.fr", "***@exemple.fr"),
    ("山田@例え.jp", "山***@例え.jp"),
    ("😀x@example.com", "😀***@example.com"),
])
def test_email(value: str | None, masked: str) -> None:
    assert mask_email(value) == masked


def test_email_never_keeps_more_than_one_character_of_the_local_part() -> None:
    for local in ("bo", "bob", "robert.tables", "x" * 200):
        masked = mask_email(f"{local}@example.com")
        assert masked == f"{local[0]}***@example.com"
        assert local[1:] not in masked.partition("@")[0]


@pytest.mark.parametrize(("value", "masked"), [
    ("Alice Liddell", "A. L."),
    ("alice", "A."),
    ("  Alice   Pleasance\tLiddell ", "A. P. L."),
    ("Jean-Luc Picard", "J. P."),
    ("(Bob) Smith", "B. S."),
    ("- Carol", "C."),
    ("Émile Zola", "É. Z."),
    ("e\u0301mile zola", "E\u0301. Z."),
    ("ßtraße Weg", "ß. W."),  # "ß".upper() is "SS": the letter stays as it is
    ("山田 太郎", "山. 太."),
    ("O'Brien", "O."),
    ("42 Wallaby Way", "4. W. W."),
    ("...", ""),
    ("", ""),
    (None, ""),
])
def test_name(value: str | None, masked: str) -> None:
    assert mask_name(value) == masked
