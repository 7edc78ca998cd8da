"""Signed consent receipts: a consent event as a document its subject can keep and anyone can
verify offline.

The receipt follows the Kantara Initiative Consent Receipt Specification (v1.1) in shape, and
is signed as a JWS (RFC 7515, compact serialisation) with an Ed25519 key (``alg: EdDSA``,
RFC 8037). The public half is published as a JWK Set (RFC 7517); ``kid`` is the key's RFC 7638
thumbprint. Verifying needs only this module (or any JOSE library) and the JWK Set:

    python -m selfservice.receipts verify receipt.json jwks.json

This module has no Flask in it, so the verifier runs anywhere.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .keyfile import read_or_create

RECEIPT_VERSION = "KI-CR-v1.1.0"
MEDIA_TYPE = "application/json"


class ReceiptKeyError(RuntimeError):
    """The configured signing key cannot be used."""


class InvalidReceipt(ValueError):
    """The receipt's signature does not verify, or the receipt was altered."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}
    # RFC 7638: the thumbprint hashes the required members in lexicographic order
    jwk["kid"] = b64url(hashlib.sha256(canonical(jwk)).digest())
    jwk.update({"use": "sig", "alg": "EdDSA"})
    return jwk


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key.public_key())

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def sign(self, payload: bytes) -> str:
        header = b64url(canonical({"alg": "EdDSA", "kid": self.kid, "typ": "JOSE",
                                   "cty": "consent-receipt+json"}))
        body = b64url(payload)
        signature = self.private_key.sign(f"{header}.{body}".encode())
        return f"{header}.{body}.{b64url(signature)}"


def load_private_key(pem: bytes) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ReceiptKeyError("SELFSERVICE_RECEIPT_KEY is not an unencrypted PEM private key"
                              ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ReceiptKeyError("SELFSERVICE_RECEIPT_KEY must be an Ed25519 key "
                              "(openssl genpkey -algorithm ed25519)")
    return SigningKey(key)


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ReceiptKeyError("retired receipt keys must be Ed25519 public keys")
    return key


def generate_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def key_from_setting(value: str | None, default_path: str) -> SigningKey:
    """The signing key from its setting: PEM text, a path to a PEM file, or None for a key kept
    in ``default_path`` (created on first use, readable by its owner only)."""
    if value and value.lstrip().startswith("-----BEGIN"):
        return load_private_key(value.encode())
    try:
        pem = read_or_create(default_path, generate_pem) if not value else _read(value)
    except OSError as exc:
        raise ReceiptKeyError(f"cannot read the receipt signing key file: {exc.strerror}"
                              ) from exc
    if not pem.strip() and not value:
        raise ReceiptKeyError("the receipt signing key file is empty")
    return load_private_key(pem)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def jwks(current: SigningKey, retired: Iterable[str] = ()) -> dict[str, Any]:
    """The JWK Set to publish: the current key and retired ones (old receipts stay
    verifiable)."""
    keys = [current.jwk] + [public_jwk(load_public_key(pem)) for pem in retired]
    return {"keys": keys}


def signed_receipt(receipt: Mapping[str, Any], key: SigningKey) -> dict[str, Any]:
    """The downloadable document: the receipt, and a JWS whose payload is that receipt."""
    payload = canonical(dict(receipt))
    return {"receipt": dict(receipt), "jws": key.sign(payload), "kid": key.kid,
            "verify_with": "the JWK Set at receipt['publicKey']"}


def _split_jws(document: Mapping[str, Any]) -> tuple[dict[str, Any], str, str, bytes, bytes]:
    """(header, header part, payload part, payload, signature) of the document's JWS."""
    token = document.get("jws")
    if not isinstance(token, str) or token.count(".") != 2:
        raise InvalidReceipt("no JWS in the document")
    header_b64, body_b64, signature_b64 = token.split(".")
    try:
        header = json.loads(b64url_decode(header_b64))
        payload = b64url_decode(body_b64)
        signature = b64url_decode(signature_b64)
    except ValueError as exc:
        raise InvalidReceipt("the JWS is malformed") from exc
    if not isinstance(header, dict):
        raise InvalidReceipt("the JWS header is not an object")
    if header.get("alg") != "EdDSA":
        raise InvalidReceipt(f"unexpected algorithm {header.get('alg')!r}")
    return header, header_b64, body_b64, payload, signature


def _public_key(key_set: Mapping[str, Any], kid: Any) -> Ed25519PublicKey:
    """The key set's Ed25519 key with this ``kid`` (which must be its thumbprint)."""
    matching = [k for k in key_set.get("keys", []) if k.get("kid") == kid]
    if not matching:
        raise InvalidReceipt("the receipt was signed with a key not in this key set")
    jwk = matching[0]
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise InvalidReceipt("the key set's key is not an Ed25519 key")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(str(jwk.get("x", ""))))
    except ValueError as exc:
        raise InvalidReceipt("the key set's key is malformed") from exc
    if public_jwk(public_key)["kid"] != jwk["kid"]:
        raise InvalidReceipt("the key's kid is not its thumbprint")
    return public_key


def verify(document: Mapping[str, Any], key_set: Mapping[str, Any]) -> dict[str, Any]:
    """Check a downloaded receipt offline against a JWK Set. Returns the receipt, or raises
    :class:`InvalidReceipt`."""
    header, header_b64, body_b64, payload, signature = _split_jws(document)
    public_key = _public_key(key_set, header.get("kid"))
    try:
        public_key.verify(signature, f"{header_b64}.{body_b64}".encode())
    except InvalidSignature as exc:
        raise InvalidReceipt("the signature does not verify") from exc
    try:
        receipt = json.loads(payload)
    except ValueError as exc:
        raise InvalidReceipt("the signed payload is not JSON") from exc
    if "receipt" in document and canonical(document["receipt"]) != canonical(receipt):
        raise InvalidReceipt("the receipt differs from what was signed")
    return receipt  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m selfservice.receipts",
                                     description="Verify a consent receipt or a deletion "
                                                 "certificate offline.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="verify RECEIPT (a downloaded .json) with JWKS")
    check.add_argument("receipt")
    check.add_argument("jwks", help="the published JWK Set, saved as a file")
    args = parser.parse_args(argv)
    with open(args.receipt, encoding="utf-8") as handle:
        document = json.load(handle)
    with open(args.jwks, encoding="utf-8") as handle:
        key_set = json.load(handle)
    try:
        receipt = verify(document, key_set)
    except InvalidReceipt as exc:
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    kid = json.loads(b64url_decode(document["jws"].split(".")[0]))["kid"]
    if receipt.get("type") == "deletion-certificate":
        print(f"valid: deletion certificate {receipt.get('reference')} for "
              f"{receipt.get('subject')}, completed {receipt.get('completed_at')}, "
              f"signed by key {kid}")
        return 0
    purposes = [p["purpose"] for s in receipt.get("services", []) for p in s.get("purposes", [])]
    granted = receipt.get("ledger", {}).get("granted")
    print(f"valid: receipt {receipt.get('consentReceiptID')} for "
          f"{receipt.get('piiPrincipalId')}: {', '.join(purposes)} = "
          f"{'yes' if granted else 'no'}, signed by key {kid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
