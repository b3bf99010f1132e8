"""The throwaway federation PKI: certificate shape, chain, and real TLS handshakes."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dfaas_testing import FederationPki, IssuedCertificate

PEER_A = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"
PEER_B = "QmNodeB"


def _certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture
def pki(tmp_path: Path) -> FederationPki:
    return FederationPki.create(tmp_path / "pki")


def test_the_certificate_names_the_peer_id_in_its_cn_and_its_san(pki: FederationPki) -> None:
    certificate = _certificate(pki.issue(PEER_A).cert_only_file)

    common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [name.value for name in common_names] == [PEER_A]
    assert san.get_values_for_type(x509.DNSName) == [PEER_A]


def test_the_certificate_is_signed_by_the_federation_ca(pki: FederationPki) -> None:
    certificate = _certificate(pki.issue(PEER_A).cert_only_file)
    ca = _certificate(pki.ca_file)

    certificate.verify_directly_issued_by(ca)  # raises if the signature does not verify


def test_a_certificate_of_a_ca_with_the_same_name_does_not_chain_to_the_federation_ca(
    pki: FederationPki, tmp_path: Path
) -> None:
    # Same label, hence the same CA name: only the signature tells them apart.
    impostor = FederationPki.create(tmp_path / "impostor")
    certificate = _certificate(impostor.issue(PEER_A).cert_only_file)

    with pytest.raises(InvalidSignature):
        certificate.verify_directly_issued_by(_certificate(pki.ca_file))


def test_the_certificate_serves_both_tls_server_and_client_and_is_no_ca(
    pki: FederationPki,
) -> None:
    extensions = _certificate(pki.issue(PEER_A).cert_only_file).extensions

    usage = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    key_usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert set(usage) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert key_usage.digital_signature
    assert not key_usage.key_cert_sign
    assert extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_the_ca_may_sign_certificates_but_no_sub_ca(pki: FederationPki) -> None:
    extensions = _certificate(pki.ca_file).extensions

    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    key_usage = extensions.get_extension_for_class(x509.KeyUsage)
    assert (constraints.critical, constraints.value.ca, constraints.value.path_length) == (
        True,
        True,
        0,
    )
    assert key_usage.critical
    assert key_usage.value.key_cert_sign


def test_the_bundle_holds_the_certificate_followed_by_its_key(pki: FederationPki) -> None:
    issued = pki.issue(PEER_A)

    bundle = issued.certificate_file.read_bytes()
    certificate = x509.load_pem_x509_certificate(bundle)
    key = serialization.load_pem_private_key(
        bundle[bundle.index(b"-----BEGIN PRIVATE KEY") :], None
    )
    assert bundle.startswith(issued.cert_only_file.read_bytes())
    assert bundle.endswith(issued.key_file.read_bytes())
    assert key.public_key() == certificate.public_key()


def test_files_go_next_to_the_given_certificate_file(pki: FederationPki, tmp_path: Path) -> None:
    (tmp_path / "node-a").mkdir()

    issued = pki.issue(PEER_A, tmp_path / "node-a" / "node.pem")

    assert issued == IssuedCertificate(
        certificate_file=tmp_path / "node-a" / "node.pem",
        key_file=tmp_path / "node-a" / "node.key",
        cert_only_file=tmp_path / "node-a" / "node.crt",
    )
    assert all(path.is_file() for path in (issued.key_file, issued.cert_only_file))


def test_issuing_again_for_a_peer_replaces_its_files_in_place(pki: FederationPki) -> None:
    first = pki.issue(PEER_A)
    before = first.cert_only_file.read_bytes()

    second = pki.issue(PEER_A)

    assert second == first
    assert second.cert_only_file.read_bytes() != before


# --- real TLS, in memory -----------------------------------------------------------------


def _context(pki: FederationPki, issued: IssuedCertificate, side: ssl._SSLMethod) -> ssl.SSLContext:
    """A context that requires a peer certificate from `pki`, verified strictly."""
    context = ssl.SSLContext(side)
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    context.load_verify_locations(cafile=str(pki.ca_file))
    context.load_cert_chain(issued.cert_only_file, issued.key_file)
    return context


def _handshake(client_context: ssl.SSLContext, server_context: ssl.SSLContext, name: str) -> str:
    """A full mutual TLS handshake through memory buffers; the CN the server saw."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(to_client, to_server, server_hostname=name)
    server = server_context.wrap_bio(to_server, to_client, server_side=True)
    done = {"client": False, "server": False}
    for _round in range(10):
        for side, connection in (("client", client), ("server", server)):
            if done[side]:
                continue
            try:
                connection.do_handshake()
            except ssl.SSLWantReadError:
                continue
            done[side] = True
        if all(done.values()):
            break
    # TLS 1.3: the server checks the client's certificate on its first read.
    client.write(b"ping")
    assert server.read(4) == b"ping"
    peer = server.getpeercert(binary_form=True)
    assert peer is not None
    common_names = x509.load_der_x509_certificate(peer).subject.get_attributes_for_oid(
        NameOID.COMMON_NAME
    )
    return str(common_names[0].value)


def test_two_members_complete_a_strictly_verified_mutual_tls_handshake(
    pki: FederationPki,
) -> None:
    member_a, member_b = pki.issue(PEER_A), pki.issue(PEER_B)
    client = _context(pki, member_a, ssl.PROTOCOL_TLS_CLIENT)
    server = _context(pki, member_b, ssl.PROTOCOL_TLS_SERVER)

    assert _handshake(client, server, PEER_B) == PEER_A


def test_a_client_certificate_of_another_ca_fails_the_handshake(
    pki: FederationPki, tmp_path: Path
) -> None:
    outsider = FederationPki.create(tmp_path / "outsider", "outsider")
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cafile=str(pki.ca_file))
    client.load_cert_chain(*_chain(outsider.issue(PEER_A)))
    server = _context(pki, pki.issue(PEER_B), ssl.PROTOCOL_TLS_SERVER)

    with pytest.raises(ssl.SSLError, match="certificate"):
        _handshake(client, server, PEER_B)


def _chain(issued: IssuedCertificate) -> tuple[Path, Path]:
    return issued.cert_only_file, issued.key_file
