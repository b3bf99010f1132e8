# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Derive a libp2p peer ID from an Ed25519 key, on the controller.

The encoding follows the libp2p peer-id specification: the public key is wrapped
in the ``PublicKey`` protobuf message (``KeyType`` Ed25519 = 1), and because that
is at most 42 bytes long the peer ID is its *identity* multihash, written in
base58btc. The result starts with ``12D3KooW`` for every Ed25519 key.
"""

from __future__ import annotations

import base64
import binascii

_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_KEY_TYPE = 1
_ED25519_KEY_LEN = 32
_IDENTITY_MULTIHASH = 0x00
_SHA2_256_MULTIHASH = 0x12


class PeerIdError(ValueError):
    """The input is not an Ed25519 key that a peer ID can be derived from."""


def base58btc(data: bytes) -> str:
    """Encode bytes in Bitcoin's base58 alphabet (leading zero bytes become '1')."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[rest])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def is_peer_id(text: str) -> bool:
    """Whether text is a peer ID as libp2p prints it: a base58btc multihash, identity
    (Ed25519 keys, ``12D3KooW...``) or sha2-256 (larger keys, ``Qm...``)."""
    if not text or any(char not in _BASE58_ALPHABET for char in text):
        return False
    number = 0
    for char in text:
        number = number * 58 + _BASE58_ALPHABET.index(char)
    leading_zeros = len(text) - len(text.lstrip("1"))
    data = b"\0" * leading_zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
    if len(data) < 2 or data[1] != len(data) - 2:
        return False
    return data[0] == _IDENTITY_MULTIHASH or (data[0] == _SHA2_256_MULTIHASH and data[1] == 32)


def peer_id_from_raw_public_key(raw: bytes) -> str:
    """Peer ID of a raw 32-byte Ed25519 public key."""
    if len(raw) != _ED25519_KEY_LEN:
        raise PeerIdError(
            "an Ed25519 public key is %d bytes long, got %d" % (_ED25519_KEY_LEN, len(raw))
        )
    # protobuf PublicKey{Type: 1 (varint, field 1), Data: raw (bytes, field 2)}
    protobuf = bytes([0x08, _ED25519_KEY_TYPE, 0x12, len(raw)]) + raw
    multihash = bytes([_IDENTITY_MULTIHASH, len(protobuf)]) + protobuf
    return base58btc(multihash)


def raw_public_key_from_text(key: str) -> bytes:
    """Raw Ed25519 public key from PEM (public or PKCS#8 private), hex or base64 text."""
    text = key.strip()
    if text.startswith("-----BEGIN"):
        return _raw_public_key_from_pem(text.encode("ascii"))
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PeerIdError(
            "expected a PEM Ed25519 key, or a raw 32-byte public key in hex or base64"
        ) from None


def _raw_public_key_from_pem(pem: bytes) -> bytes:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as exc:  # pragma: no cover - ansible-core depends on cryptography
        raise PeerIdError("the Python library 'cryptography' is required: %s" % exc) from exc

    try:
        if b"PRIVATE KEY" in pem.split(b"\n", 1)[0]:
            private = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(private, ed25519.Ed25519PrivateKey):
                raise PeerIdError("the private key is not an Ed25519 key")
            public = private.public_key()
        else:
            loaded = serialization.load_pem_public_key(pem)
            if not isinstance(loaded, ed25519.Ed25519PublicKey):
                raise PeerIdError("the public key is not an Ed25519 key")
            public = loaded
    except (ValueError, TypeError) as exc:
        raise PeerIdError("cannot parse the PEM key: %s" % exc) from exc
    return public.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )


def peer_id(key: str) -> str:
    """Peer ID of an Ed25519 key given as text (see raw_public_key_from_text)."""
    return peer_id_from_raw_public_key(raw_public_key_from_text(key))
