"""What an uploaded PDF is: that it is one (it opens, without a password, and has pages), and
which digital signatures it carries, each checked for intactness with pyHanko (the signed bytes
unchanged and the signature value matching the signer's certificate; whom to trust is not
asked: the company does not know every customer's signing certificate).

A negotiated DPA is often a scan or a PDF signed by hand: a PDF without a signature is fine,
and said so. pyHanko is imported when the first PDF is inspected, not with this module. No Flask
in it.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import PdfFileReader

logger = logging.getLogger(__name__)
#: a PDF's header must lie within its first 1,024 bytes (ISO 32000-1, annex H)
_HEADER_WITHIN = 1024


class NotAPdf(ValueError):
    """The file is not a PDF the console can keep and show; the message says why, in plain
    words."""


@dataclass(frozen=True)
class EmbeddedSignature:
    #: the signature field's name
    field: str
    #: who signed, as the signing certificate names them
    signer: str
    #: the signing time the signature states (None: it states none)
    signed_at: datetime | None
    #: the bytes it signs are unchanged and the signature value matches its certificate
    intact: bool

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "signer": self.signer,
                "signed_at": self.signed_at.isoformat() if self.signed_at else None,
                "intact": self.intact}


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    signatures: list[EmbeddedSignature]


def _reader(data: bytes) -> PdfFileReader:
    from pyhanko.pdf_utils.crypt.api import AuthStatus  # lazy: pyHanko
    from pyhanko.pdf_utils.reader import PdfFileReader  # lazy: pyHanko

    if data.find(b"%PDF-", 0, _HEADER_WITHIN) == -1:
        raise NotAPdf("This file is not a PDF: it does not begin as a PDF does.")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure means it does not open
        raise NotAPdf("This PDF cannot be read: it may be damaged or cut short.") from exc
    if reader.encrypted and reader.decrypt("").status == AuthStatus.FAILED:
        raise NotAPdf("This PDF is protected by a password: upload a copy that opens "
                      "without one.")
    return reader


def _pages(reader: PdfFileReader) -> int:
    try:
        count = int(reader.root["/Pages"]["/Count"])
    except Exception as exc:  # noqa: BLE001 - no page tree: not a document
        raise NotAPdf("This PDF cannot be read: it has no pages a reader can find.") from exc
    if count < 1:
        raise NotAPdf("This PDF has no pages.")
    return count


def _signer(embedded: Any) -> str:
    try:
        subject = embedded.signer_cert.subject
        return str(subject.native.get("common_name") or subject.human_friendly)
    except Exception:  # noqa: BLE001 - a signature without a readable certificate
        return "unknown (the signature names no certificate that can be read)"


def _checked(embedded: Any) -> EmbeddedSignature:
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity  # lazy: pyHanko

    intact = False
    try:
        found = validate_sig_integrity(embedded.signer_info, embedded.signer_cert,
                                       expected_content_type="data",
                                       actual_digest=embedded.compute_digest())
        intact = all(found)
    except Exception:  # noqa: BLE001 - a signature that cannot be checked is not intact
        logger.info("a signature of an uploaded PDF could not be checked", exc_info=True)
    try:
        signed_at = embedded.self_reported_timestamp
    except Exception:  # noqa: BLE001
        signed_at = None
    return EmbeddedSignature(field=str(embedded.field_name), signer=_signer(embedded),
                             signed_at=signed_at, intact=intact)


def inspect(data: bytes) -> PdfFacts:
    """The PDF's pages and digital signatures; NotAPdf when it is not a PDF that opens."""
    reader = _reader(data)
    pages = _pages(reader)
    try:
        found = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - a broken signature field breaks the form
        raise NotAPdf("This PDF cannot be read: its signature fields are damaged.") from exc
    return PdfFacts(pages=pages, signatures=[_checked(embedded) for embedded in found])
