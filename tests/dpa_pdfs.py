"""PDFs for the negotiated-DPA tests: one made with fpdf2, as a scan or a word processor would
give it, and the same signed by the customer with pyHanko (a PAdES signature from a key of
their own)."""

from __future__ import annotations

import random
from pathlib import Path

from fpdf import FPDF

from selfservice.dpa_signing import load, self_signed_pem


def plain_pdf(title: str = "Data Processing Addendum, Acme AI (negotiated)",
              pages: int = 2, attachment_kib: int = 0) -> bytes:
    """A PDF of ``pages`` pages; ``attachment_kib`` makes it longer by a file attached to it
    (an annex, as bytes that do not compress), so it stays a well-formed PDF."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"{title}\nPage {page}\nClause 9: audits once a year, on 30 "
                             "days' notice.\nSigned for Acme AI Limited and EcoHash "
                             "Technology LLC.")
    if attachment_kib:
        annex = random.Random(attachment_kib).randbytes(attachment_kib * 1024)
        pdf.embed_file(bytes=annex, basename="annex-measures.bin")
    return bytes(pdf.output())


def signed_pdf(folder: Path, signer: str = "Robert Oster, Acme AI Limited") -> bytes:
    """``plain_pdf()`` with a digital signature of the customer's own (a self-signed
    certificate: intact, though nobody here trusts it)."""
    pem = folder / "customer-signing.pem"
    pem.write_bytes(self_signed_pem(signer, "Acme AI Limited"))
    customer = load(str(pem), str(pem))
    return customer.sign(plain_pdf("Data Processing Addendum, Acme AI (negotiated, signed)"),
                         name=signer, reason="Agreed DPA")
