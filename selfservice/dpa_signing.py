"""The company's countersignature on a signed DPA: a PAdES signature (ETSI EN 319 142, the
``ETSI.CAdES.detached`` sub-filter) made with pyHanko, which any PDF reader can check.

The key and certificate are loaded once, when the application starts (a missing or unusable
one stops it there, as the receipt key does): read, checked for a kind PDF readers accept,
matched with the certificate, which must be valid now, and made to sign a test message that the
certificate's public key verifies. All with ``cryptography``: pyHanko and fpdf2 (with the
fontTools and Pillow they load, about 100 MB) are imported when the first DPA is signed or
checked, so a web process or a worker that never signs one never loads them. That first
signature is preceded by one on a blank page, which tells how much room a signature takes.
Verifying needs only this module and the downloaded file:

    python -m selfservice.dpa_signing verify signed.pdf [--trust company-cert.pem]

No Flask in it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import io
import logging
import re
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import signers

#: the signature field the countersignature goes in
FIELD_NAME = "CompanyCountersignature"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)
_CURVES = ("secp256r1", "secp384r1", "secp521r1")


T = TypeVar("T")


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run pyHanko's coroutine to its end: here, or on a thread of its own when this thread
    already runs an event loop (an async server, a browser driver), where asyncio.run, which
    pyHanko's synchronous functions call, is refused."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


class DpaKeyError(RuntimeError):
    """The configured DPA signing key or certificate cannot be used."""


def _pem(value: str, what: str) -> bytes:
    """PEM text, or the contents of the file it names."""
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    try:
        with open(value, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise DpaKeyError(f"cannot read the DPA signing {what} file {value!r}: "
                          f"{exc.strerror}") from exc


def _blocks(pem: bytes, kind: str) -> list[bytes]:
    return [m[0] for m in _PEM_BLOCK.finditer(pem) if m[1].endswith(kind.encode())]


def _private_key(pem: bytes) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    found = _blocks(pem, "PRIVATE KEY")
    if not found:
        raise DpaKeyError("SELFSERVICE_DPA_SIGNING_KEY holds no PEM private key")
    try:
        key = serialization.load_pem_private_key(found[0], password=None)
    except (ValueError, TypeError) as exc:
        raise DpaKeyError("SELFSERVICE_DPA_SIGNING_KEY is not an unencrypted PEM private "
                          "key") from exc
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise DpaKeyError(f"SELFSERVICE_DPA_SIGNING_KEY is a {key.key_size}-bit RSA key: "
                              "use 2048 bits or more")
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVES:
        return key
    raise DpaKeyError("SELFSERVICE_DPA_SIGNING_KEY must be an RSA key (2048+ bits) or an EC key "
                      "on P-256, P-384 or P-521: PDF readers check no other kind")


def _certificates(pem: bytes) -> list[x509.Certificate]:
    found = _blocks(pem, "CERTIFICATE")
    try:
        certificates = [x509.load_pem_x509_certificate(block) for block in found]
    except ValueError as exc:
        raise DpaKeyError("SELFSERVICE_DPA_SIGNING_CERT holds a malformed certificate") from exc
    if not certificates:
        raise DpaKeyError("SELFSERVICE_DPA_SIGNING_CERT holds no PEM certificate")
    return certificates


def _public(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,  # type: ignore[no-any-return]
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    from asn1crypto import x509 as asn1_x509  # lazy: pyHanko's certificate type

    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _sign_with(key: PrivateKey, data: bytes) -> bytes:
    """A SHA-256 signature of ``data`` (PKCS #1 v1.5 for RSA, ECDSA for EC), as a PDF's CMS
    signature carries it."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def _signs(key: PrivateKey, certificate: x509.Certificate) -> None:
    """Sign a test message with ``key`` and verify it with the certificate's public key."""
    message = b"selfservice DPA countersignature start-up check"
    signature = _sign_with(key, message)
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    else:
        raise TypeError(f"a {type(public).__name__} certificate key")


@functools.cache
def _signer_class() -> Callable[..., signers.SimpleSigner]:
    from pyhanko.sign import signers  # lazy: pyHanko, loaded at the first signature

    class LoadedKeySigner(signers.SimpleSigner):
        """pyHanko's signer, with the key parsed once instead of at every signature (an RSA
        key's checks take a tenth of a second each time)."""

        def __init__(self, key: PrivateKey, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._key = key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            if digest_algorithm != "sha256":
                raise ValueError(f"unexpected digest {digest_algorithm}")
            return _sign_with(self._key, data)

    return LoadedKeySigner


@dataclass(frozen=True)
class Countersigner:
    """The company's key and certificate, ready to countersign."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    key: PrivateKey

    @functools.cached_property
    def signer(self) -> signers.SimpleSigner:
        """pyHanko's signer (made at the first signature)."""
        from asn1crypto import keys as asn1_keys  # lazy: with pyHanko
        from pyhanko_certvalidator.registry import SimpleCertificateStore  # lazy: pyHanko's

        der = asn1_keys.PrivateKeyInfo.load(self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        registry = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [_asn1_certificate(c) for c in self.chain])
        return _signer_class()(self.key, signing_cert=_asn1_certificate(self.certificate),
                               signing_key=der, cert_registry=registry)

    @functools.cached_property
    def reserved(self) -> int:
        """Bytes kept in the PDF for the signature: measured on a blank page at the first
        signature (in pyHanko's default room), with room to spare."""
        try:
            signed = self._sign(_blank_pdf(), name="first-use check",
                                reason="first-use check", location=None, room=0)
        except Exception as exc:  # noqa: BLE001 - any failure means the key cannot sign
            raise DpaKeyError(f"the DPA signing key cannot sign: {exc}") from exc
        used = len(_embedded(signed).pkcs7_content)
        return used + 2048 + used % 2  # pyHanko takes an even number only

    @property
    def certificate_sha256(self) -> str:
        """The SHA-256 fingerprint of the certificate (what a PDF reader shows)."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, pdf: bytes, *, name: str, reason: str, location: str | None = None,
             reserved: int | None = None) -> bytes:
        """``pdf`` with the company's signature appended as an incremental update: the bytes
        of ``pdf`` stay the file's first bytes, unchanged."""
        return self._sign(pdf, name=name, reason=reason, location=location,
                          room=reserved or self.reserved)

    def _sign(self, pdf: bytes, *, name: str, reason: str, location: str | None,
              room: int | None) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import (  # lazy: pyHanko
            IncrementalPdfFileWriter,
        )
        from pyhanko.sign import fields, signers  # lazy: pyHanko

        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256", name=name, reason=reason, location=location)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        output = _run(lambda: signers.async_sign_pdf(writer, meta, signer=self.signer,
                                                     bytes_reserved=room))
        return output.getvalue()  # type: ignore[no-any-return]


def load(key_setting: str, cert_setting: str, *, now: datetime | None = None
         ) -> Countersigner:
    """The countersigner from its two settings (PEM text or a path each; one file may hold
    both). Raises :class:`DpaKeyError` saying what is wrong."""
    key = _private_key(_pem(key_setting, "key"))
    certificates = _certificates(_pem(cert_setting, "certificate"))
    certificate = next((c for c in certificates
                        if _public(c.public_key()) == _public(key.public_key())), None)
    if certificate is None:
        raise DpaKeyError("SELFSERVICE_DPA_SIGNING_CERT has no certificate for "
                          "SELFSERVICE_DPA_SIGNING_KEY (their public keys differ)")
    moment = now or datetime.now(UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise DpaKeyError(f"the DPA signing certificate is valid from "
                          f"{certificate.not_valid_before_utc:%Y-%m-%d} to "
                          f"{certificate.not_valid_after_utc:%Y-%m-%d}, not now")
    try:
        _signs(key, certificate)
    except (InvalidSignature, TypeError, ValueError) as exc:
        raise DpaKeyError(f"the DPA signing key cannot sign: {exc or type(exc).__name__}"
                          ) from exc
    chain = tuple(c for c in certificates if c is not certificate)
    return Countersigner(certificate, chain, key)


def _blank_pdf() -> bytes:
    from fpdf import FPDF  # lazy: fpdf2 loads fontTools and Pillow

    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


def _embedded(pdf: bytes) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader  # lazy: pyHanko

    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    if not signatures:
        raise ValueError("the PDF has no signature")
    return signatures[-1]


def signed_digest(pdf: bytes) -> str:
    """SHA-256 (hex) of the bytes the PDF's last signature covers: every byte of the file but
    the signature value itself, as its /ByteRange says. It is the ``messageDigest`` the
    signature signs, and what a signed DPA records as ``document_sha256``."""
    start, first, second_start, second = _embedded(pdf).byte_range
    return hashlib.sha256(pdf[start:start + first]
                          + pdf[second_start:second_start + second]).hexdigest()


def message_digest(pdf: bytes) -> str:
    """The ``messageDigest`` signed attribute of the PDF's last signature (hex)."""
    attributes = _embedded(pdf).signer_info["signed_attrs"]
    found = [a["values"][0].native for a in attributes if a["type"].native == "message_digest"]
    return bytes(found[0]).hex()


@dataclass(frozen=True)
class Verification:
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    document_sha256: str
    certificate_sha256: str
    signer: str
    signed_at: datetime | None


def verify(pdf: bytes, trusted: list[bytes] | None = None) -> Verification:
    """Validate the PDF's last signature with pyHanko; ``trusted`` are PEM certificates to
    trust (the company's published certificate)."""
    from pyhanko.sign.validation.pdf_embedded import (  # lazy: pyHanko
        async_validate_pdf_signature,
    )
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # lazy: pyHanko
    from pyhanko_certvalidator import ValidationContext  # lazy: pyHanko's

    embedded = _embedded(pdf)
    roots = [_asn1_certificate(c) for pem in trusted or [] for c in _certificates(pem)]
    status = _run(lambda: async_validate_pdf_signature(
        embedded, ValidationContext(trust_roots=roots)))
    certificate = x509.load_der_x509_certificate(embedded.signer_cert.dump())
    return Verification(
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        document_sha256=signed_digest(pdf),
        certificate_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
        signer=certificate.subject.rfc4514_string(), signed_at=status.signer_reported_dt)


def self_signed_pem(common_name: str, organisation: str, *, days: int = 825) -> bytes:
    """A new EC P-256 key and a self-signed certificate for it, in one PEM (for a demo or a
    test: a reader shows such a signature as intact, from a signer it does not know)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
            + certificate.public_bytes(serialization.Encoding.PEM))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m selfservice.dpa_signing",
                                     description="Check a countersigned DPA offline.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="validate the signature of a downloaded DPA")
    check.add_argument("pdf")
    check.add_argument("--trust", action="append", default=[],
                       help="a PEM certificate to trust (the company's); may repeat")
    args = parser.parse_args(argv)
    # pyHanko logs why an unknown certificate is untrusted, with a traceback: the summary
    # below says it in a line
    logging.getLogger("pyhanko").propagate = False
    logging.getLogger("pyhanko").addHandler(logging.NullHandler())
    with open(args.pdf, "rb") as handle:
        pdf = handle.read()
    trusted = []
    for path in args.trust:
        with open(path, "rb") as handle:
            trusted.append(handle.read())
    try:
        result = verify(pdf, trusted)
    except Exception as exc:  # noqa: BLE001 - a file that does not parse is not valid
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    ok = result.intact and result.valid and result.covers_whole_file
    print(f"{'valid' if ok else 'INVALID'}: signed by {result.signer}\n"
          f"  certificate SHA-256: {result.certificate_sha256}"
          f"{' (trusted)' if result.trusted else ' (not among the --trust certificates)'}\n"
          f"  document SHA-256:    {result.document_sha256}\n"
          f"  covers the whole file: {'yes' if result.covers_whole_file else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
