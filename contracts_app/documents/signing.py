"""Digital signatures of summaries with pyHanko (PAdES baseline B-B), and their check.

The key and certificate come from configuration (``SIGNING_KEY_FILE``,
``SIGNING_CERT_FILE``, ``SIGNING_KEY_PASSPHRASE``). Without them, a self-signed
development pair is created once under ``instance/signing/`` (never committed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

SIGNATURE_FIELD = "SummarySignature"


@dataclasses.dataclass(frozen=True)
class SigningMaterial:
    key_file: pathlib.Path
    cert_file: pathlib.Path
    passphrase: bytes | None = None


def material_from_config(config: dict, instance_path: str) -> SigningMaterial:
    key_file = config.get("SIGNING_KEY_FILE")
    cert_file = config.get("SIGNING_CERT_FILE")
    passphrase = config.get("SIGNING_KEY_PASSPHRASE")
    if key_file and cert_file:
        return SigningMaterial(
            pathlib.Path(key_file),
            pathlib.Path(cert_file),
            passphrase.encode() if passphrase else None,
        )
    folder = pathlib.Path(instance_path) / "signing"
    material = SigningMaterial(folder / "dev-signing-key.pem", folder / "dev-signing-cert.pem")
    if not material.key_file.exists() or not material.cert_file.exists():
        create_development_pair(material)
    return material


def create_development_pair(material: SigningMaterial) -> None:
    """A self-signed P-256 key and certificate for development and tests."""
    material.key_file.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Contracts summaries (development)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contracts"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    material.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    material.key_file.chmod(0o600)
    material.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@functools.cache
def _signer(material: SigningMaterial) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load(
        str(material.key_file), str(material.cert_file), key_passphrase=material.passphrase
    )
    if signer is None:
        raise RuntimeError("The signing key or certificate could not be loaded.")
    return signer


def sign_pdf(pdf: bytes, material: SigningMaterial, reason: str) -> bytes:
    """Sign the whole file (PAdES B-B: CAdES detached, SHA-256, no timestamp)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
    )
    output = signers.sign_pdf(writer, metadata, signer=_signer(material))
    return output.getvalue()


def signature_problem(pdf: bytes, material: SigningMaterial) -> str | None:
    """None if the file carries our intact signature over all of it; else the reason."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # a damaged or non-PDF file
        return f"The file is not a readable PDF ({type(exc).__name__})."
    if not signatures:
        return "The file carries no digital signature."
    trust = load_cert_from_pemder(str(material.cert_file))
    context = ValidationContext(trust_roots=[trust], allow_fetching=False)
    for signature in signatures:
        try:
            status = validate_pdf_signature(signature, context)
        except Exception as exc:
            return f"The signature could not be validated ({type(exc).__name__})."
        if not status.intact:
            return "The file was changed after it was signed."
        if not status.trusted:
            return "The signature was not made by this system's key."
        if status.coverage.name != "ENTIRE_FILE":
            return "Content was added after the signature."
    return None


def has_signature(pdf: bytes) -> bool:
    """Whether the file carries any embedded signature (intact or not)."""
    try:
        return bool(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures)
    except Exception:  # a damaged or non-PDF file carries none that can be read
        return False
