"""A throwaway federation PKI for tests and benchmarks: one CA, one certificate per peer.

The certificates have the shape that the `federation_pki` role gives real nodes: the
subject CN and a DNS SAN are the node's libp2p peer ID; key usage digitalSignature and
keyAgreement; extended key usage TLS server and client, because a node's HAProxy shows
the same certificate on its peer port and when it forwards to a member. Key
identifiers are set as a CA tool sets them, so that strict verifiers (OpenSSL's
X509_STRICT) accept the chain. Keys are P-256, valid for a day, back-dated five
minutes against clock skew. Nothing here is fit for production.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=1)
CLOCK_SKEW = datetime.timedelta(minutes=5)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class IssuedCertificate:
    """One peer's certificate and key, as PEM files."""

    certificate_file: Path
    """Certificate followed by its key: HAProxy's `crt`, the agent's `peer_certificate_file`."""
    key_file: Path
    """The key alone (PKCS#8), for a TLS client such as `ssl.SSLContext.load_cert_chain`."""
    cert_only_file: Path
    """The certificate alone."""


@dataclass(frozen=True)
class FederationPki:
    """A federation CA in `directory` that issues one certificate per peer ID.

    `label` names the files (`<label>-ca.pem`, `<label>-<peer id>.pem`) and the CA's
    subject, so that two CAs (a federation and an outsider) can share a folder.
    """

    directory: Path
    label: str
    ca_file: Path
    ca_certificate: x509.Certificate
    _ca_key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, directory: Path, label: str = "federation") -> FederationPki:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        subject = _name(f"dfaas {label} test CA")
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        ca_file = directory / f"{label}-ca.pem"
        ca_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cls(directory, label, ca_file, certificate, key)

    def issue(self, peer_id: str, certificate_file: Path | None = None) -> IssuedCertificate:
        """A new key and certificate for `peer_id` (CN and DNS SAN), signed by this CA.

        The files go to `certificate_file` (default `<directory>/<label>-<peer id>.pem`),
        with the key alone and the certificate alone next to it (`.key`, `.crt`).
        Issuing again for the same path replaces the files in place.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(peer_id))
            .issuer_name(self.ca_certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(peer_id)]), critical=False)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                critical=False,
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        bundle = certificate_file or self.directory / f"{self.label}-{peer_id}.pem"
        issued = IssuedCertificate(
            certificate_file=bundle,
            key_file=bundle.with_suffix(".key"),
            cert_only_file=bundle.with_suffix(".crt"),
        )
        certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        key_pem = _key_pem(key)
        issued.certificate_file.write_bytes(certificate_pem + key_pem)
        issued.key_file.write_bytes(key_pem)
        issued.cert_only_file.write_bytes(certificate_pem)
        return issued
