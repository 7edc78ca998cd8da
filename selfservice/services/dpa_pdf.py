"""The DPA as a PDF (fpdf2): a title block, the version's HTML fragment laid out as it is on
the page, and a page of signatures. Countersigning (``dpa_signing``) appends the company's
PAdES signature to these bytes without changing them.

Fonts: the TrueType files of ``SELFSERVICE_DPA_FONTS`` (embedded, subset), or without them the
PDF's built-in Helvetica, which has Western European characters only: :func:`unshowable` tells
which characters of a customer's entry the document could not show, so they are refused
rather than printed as question marks.

fpdf2 and fontTools (and the Pillow fpdf2 loads) are imported when a DPA is first rendered or
an entry first checked against the fonts, not with this module: a process that never does
either never loads them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from ..state import get_state
from .dpa_document import BLANK, DpaDocument, processor

if TYPE_CHECKING:
    from fpdf import FPDF

    class _Pdf(FPDF):
        """What the layout below uses of a document :func:`_pdf_class` makes."""

        footer_text: str
        family: str

#: the built-in font and the encoding of its characters
CORE_FONT = "helvetica"
CORE_ENCODING = "windows-1252"
_FAMILY = "dpa"
#: whitespace between two tags (fpdf2 would lay out each run of it as a blank line)
_BETWEEN_TAGS = re.compile(r">\s+<")
#: a table cell without an alignment of its own (fpdf2 centres headers, justifies cells)
_UNALIGNED_CELL = re.compile(r"<(td|th)\b(?![^>]*\balign=)")


@functools.cache
def _headings() -> dict[str, Any]:
    from fpdf.fonts import TextStyle  # lazy: fpdf2, loaded at the first rendering

    return {
        "h2": TextStyle(font_size_pt=13, t_margin=4, b_margin=1, color="#1a1a1a"),
        "h3": TextStyle(font_size_pt=11, t_margin=3, b_margin=0, color="#1a1a1a"),
        "h4": TextStyle(font_size_pt=10, t_margin=2, b_margin=0, color="#1a1a1a"),
        "p": TextStyle(t_margin=0, b_margin=2),
        "li": TextStyle(l_margin=6, t_margin=1),
    }


def _fonts() -> Mapping[str, str] | None:
    fonts: Mapping[str, str] | None = get_state().setting("DPA_FONTS")
    return fonts


@functools.lru_cache(maxsize=8)
def _covered(path: str) -> frozenset[int]:
    """The code points a TrueType font has glyphs for."""
    from fontTools.ttLib import TTFont  # lazy: fontTools, loaded at the first check

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def unshowable(text: str) -> str:
    """The characters of ``text`` the DPA's fonts cannot show (line breaks aside), in order of
    first appearance."""
    fonts = _fonts()
    seen: list[str] = []
    for char in text:
        if char in "\r\n\t" or char in seen:
            continue
        if fonts is not None:
            missing = not all(ord(char) in _covered(fonts[face]) for face in ("regular", "bold"))
        else:
            missing = not _encodes(char)
        if missing:
            seen.append(char)
    return "".join(seen)


def _encodes(char: str) -> bool:
    try:
        char.encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _pdf_class() -> type[_Pdf]:
    from fpdf import FPDF  # lazy: fpdf2, loaded at the first rendering

    class Pdf(FPDF):
        """An A4 document with a footer naming the DPA version on every page."""

        footer_text = ""
        family = CORE_FONT

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font(self.family, size=8)
            self.set_text_color(90)
            self.cell(0, 5, f"{self.footer_text} · page {self.page_no()} of {{nb}}",
                      align="C")

    return cast("type[_Pdf]", Pdf)


def _new_pdf(document: DpaDocument) -> _Pdf:
    pdf = _pdf_class()(format="A4")
    fonts = _fonts()
    if fonts is not None:
        for style, face in (("", "regular"), ("B", "bold"), ("I", "italic"), ("BI", "bold")):
            pdf.add_font(_FAMILY, style, fonts.get(face) or fonts["regular"])
        pdf.family = _FAMILY
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    company = processor()["name"]
    pdf.footer_text = _safe(f"Data Processing Addendum {document.version.version} · {company}"
                            f" · {document.customer_name}")
    pdf.set_title(_safe(f"Data Processing Addendum, version {document.version.version}"))
    pdf.set_author(_safe(company))
    pdf.set_subject(_safe(f"Between {company} and {document.customer_name}"))
    pdf.set_creator("flask-privacy-selfservice")
    if document.signing is not None:  # the same entries make the same bytes
        pdf.set_creation_date(document.signing.signed_at)
    pdf.add_page()
    return pdf


def _safe(text: str) -> str:
    """Text the built-in font can carry (a character it has not becomes "?"): only for the
    host's own text; a customer's entries were checked with :func:`unshowable`. fpdf2 writes
    built-in fonts' text as Latin-1 bytes, which the PDF reads as WinAnsi (Windows-1252): a
    character is handed over as the Latin-1 character of its Windows-1252 byte."""
    if _fonts() is not None:
        return text
    return text.encode(CORE_ENCODING, "replace").decode("latin-1")


def _paragraph(pdf: _Pdf, text: str, *, size: float = 10, bold: bool = False,
               gap: float = 1.5) -> None:
    pdf.set_font(pdf.family, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, _safe(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)


def _title_block(pdf: _Pdf, document: DpaDocument) -> None:
    company = processor()
    _paragraph(pdf, "Data Processing Addendum", size=18, bold=True, gap=1)
    _paragraph(pdf, f"Version {document.version.version}, in effect from "
                    f"{document.version.effective:%d %B %Y}", size=10, gap=4)
    named = company["address"] if company["address"].startswith(company["name"]) else (
        f"{company['name']}, {company['address']}")
    _paragraph(pdf, f"Between {named} (the \"Processor\"), "
                    f"and {document.customer_name} (the \"Customer\").", gap=3)


def _when(moment: datetime | None) -> str:
    return f"{moment:%d %B %Y at %H:%M:%S} UTC" if moment else "unknown"


def _customer_lines(document: DpaDocument) -> list[str]:
    customer, signing = document.customer, document.signing
    if customer is None or signing is None:
        return ["Customer (legal entity): " + (document.org_name or BLANK),
                "Address: " + BLANK, "Registration number: " + BLANK,
                "Name and title of the signer: " + BLANK, "E-mail: " + BLANK,
                "Date and signature: " + BLANK]
    where = f" from the address {signing.ip_address}" if signing.ip_address else ""
    return [
        f"Customer (legal entity): {customer.legal_name}",
        f"Address: {customer.address}",
        f"Registration number: {customer.registration_number or 'not given'}",
        f"Console organisation: {document.org_name}",
        f"Signed by: {signing.signer_name}, {signing.signer_title} ({signing.signer_email}), "
        "who confirmed being authorised to sign on behalf of the Customer.",
        f"Signed electronically in the console on {_when(signing.signed_at)}{where}, signed "
        f"in through single sign-on as {signing.account_email} (last authenticated "
        f"{_when(signing.authenticated_at)}).",
    ]


def _signature_page(pdf: _Pdf, document: DpaDocument, certificate: str | None) -> None:
    company = processor()
    pdf.add_page()
    _paragraph(pdf, "Signatures", size=14, bold=True, gap=3)
    _paragraph(pdf, "For the Customer", size=11, bold=True)
    for line in _customer_lines(document):
        _paragraph(pdf, line, gap=1)
    pdf.ln(4)
    _paragraph(pdf, f"For the Processor: {company['name']}", size=11, bold=True)
    if document.signing is not None and certificate is not None:
        _paragraph(pdf, "Countersigned with a digital signature embedded in this file (PAdES). "
                        "A PDF reader shows it in its signature panel; it stays valid only "
                        "while not one byte of the document signed is changed.", gap=1)
        _paragraph(pdf, f"Signing certificate SHA-256 fingerprint: {certificate}", size=8)
    else:
        _paragraph(pdf, "This is the standard DPA, not signed. An owner or admin of the "
                        "Customer's organisation can sign it in the console; the copy they "
                        "then download is countersigned by the Processor with a digital "
                        "signature.", gap=1)


def _layout(body: str) -> str:
    """The HTML fragment as fpdf2 lays it out best: no blank runs between blocks, table cells
    aligned left as on the page."""
    return _UNALIGNED_CELL.sub(r'<\1 align="left"', _BETWEEN_TAGS.sub("><", body))


def render(document: DpaDocument, body: str, certificate: str | None = None) -> bytes:
    """The DPA as PDF bytes: ``body`` is the version's HTML fragment (dpa_document.body_html);
    ``certificate`` the fingerprint of the certificate that will countersign it."""
    pdf = _new_pdf(document)
    _title_block(pdf, document)
    pdf.set_font(pdf.family, size=10)
    pdf.write_html(_layout(_safe(body)), font_family=pdf.family, tag_styles=_headings(),
                   table_line_separators=True, warn_on_tags_not_matching=False)
    _signature_page(pdf, document, certificate)
    return bytes(pdf.output())

