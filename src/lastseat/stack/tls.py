"""A local certificate authority and the site's certificate, made once under var/.

Browsers and clients trust the CA (its path is printed by `lastseat up`); the firewall tier
presents the site certificate for the public name, its wildcard, localhost and 127.0.0.1.
Nothing outside the project folder is written.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
CA_DAYS = 3650
SITE_DAYS = 397  # browsers refuse server certificates valid for longer


@dataclass(frozen=True, slots=True)
class SiteCertificates:
    ca_cert: Path
    cert: Path
    key: Path


def certificates_folder(stack_dir: Path) -> Path:
    return stack_dir / "tls"


def ca_path(stack_dir: Path) -> Path:
    """The local CA's certificate: what a client trusts to reach the stack (`--ca`)."""
    return certificates_folder(stack_dir) / CA_FILE


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lastseat local"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _sans(domain: str) -> list[x509.GeneralName]:
    return [
        x509.DNSName(domain),
        x509.DNSName(f"*.{domain}"),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]


def ensure_certificates(folder: Path, domain: str) -> SiteCertificates:
    """The CA and the site certificate, made if missing or if the site name changed."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = SiteCertificates(folder / CA_FILE, folder / "site.pem", folder / "site.key")
    ca_key_path = folder / "ca.key"
    now = dt.datetime.now(dt.UTC)
    if not (paths.ca_cert.exists() and ca_key_path.exists()):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(_name(f"lastseat local CA ({domain})"))
            .issuer_name(_name(f"lastseat local CA ({domain})"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(ca_key_path, ca_key)
        paths.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        paths.cert.unlink(missing_ok=True)  # signed by a CA that is gone
    if paths.cert.exists() and paths.key.exists():
        current = x509.load_pem_x509_certificate(paths.cert.read_bytes())
        names = current.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        fresh = current.not_valid_after_utc - now > dt.timedelta(days=30)
        if fresh and domain in names.value.get_values_for_type(x509.DNSName):
            return paths
    ca_key_loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    assert isinstance(ca_key_loaded, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(domain))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SITE_DAYS))
        .add_extension(x509.SubjectAlternativeName(_sans(domain)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key_loaded.public_key()),
            critical=False,
        )
        .sign(ca_key_loaded, hashes.SHA256())
    )
    _write_key(paths.key, key)
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return paths
