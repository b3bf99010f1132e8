# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The peer-ID filter agrees with libp2p itself, and refuses what is not an Ed25519 key."""

from __future__ import annotations

import base64

import pytest
from ansible.errors import AnsibleFilterError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

# The reference implementation: the libp2p package the agent runs on (dev virtualenv).
from libp2p.crypto import ed25519 as libp2p_ed25519
from libp2p.peer import id as libp2p_peer

from ansible_collections.dfaas.edge.plugins.filter.libp2p_peer_id import FilterModule

peer_id_filter = FilterModule().filters()["libp2p_peer_id"]


def raw_public(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def libp2p_peer_id(key: ed25519.Ed25519PrivateKey) -> str:
    public = libp2p_ed25519.Ed25519PublicKey.from_bytes(raw_public(key))
    return libp2p_peer.ID.from_pubkey(public).to_base58()


@pytest.fixture(params=range(5))
def private_key(request):
    return ed25519.Ed25519PrivateKey.generate()


def test_peer_id_of_public_pem_matches_libp2p(private_key):
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert peer_id_filter(pem.decode()) == libp2p_peer_id(private_key)


def test_peer_id_of_pkcs8_private_pem_matches_libp2p(private_key):
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert peer_id_filter(pem.decode()) == libp2p_peer_id(private_key)


def test_peer_id_of_raw_hex_and_base64_match_libp2p(private_key):
    raw = raw_public(private_key)
    expected = libp2p_peer_id(private_key)
    assert peer_id_filter(raw.hex()) == expected
    assert peer_id_filter(base64.b64encode(raw).decode()) == expected


def test_ed25519_peer_ids_start_with_the_libp2p_prefix(private_key):
    raw = raw_public(private_key)
    assert peer_id_filter(raw.hex()).startswith("12D3KooW")


def test_rsa_key_is_refused_with_a_message_naming_the_key_type():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(AnsibleFilterError, match="not an Ed25519 key"):
        peer_id_filter(pem.decode())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("00" * 31, "32 bytes long, got 31"),
        ("not a key at all!", "expected a PEM Ed25519 key"),
        ("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n", "cannot parse"),
    ],
)
def test_malformed_input_is_refused_with_a_clear_message(value, message):
    with pytest.raises(AnsibleFilterError, match=message):
        peer_id_filter(value)


def test_non_string_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects a key as a string, got int"):
        peer_id_filter(42)
