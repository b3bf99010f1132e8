"""Turn the agent's Ed25519 identity into libp2p's key pair and peer ID."""

from __future__ import annotations

from typing import TypeAlias

import base58
import multihash  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.keys import KeyPair

from dfaas_agent.identity import peer_id_of_public_key

ED25519_SEED_BYTES = 32

AgentKey: TypeAlias = Ed25519PrivateKey | bytes


def _seed_of(key: AgentKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        return key.private_bytes_raw()
    if not isinstance(key, bytes):
        raise TypeError(f"expected an Ed25519 private key or a 32-byte seed, got {type(key)!r}")
    if len(key) != ED25519_SEED_BYTES:
        raise ValueError(f"Ed25519 seed must be {ED25519_SEED_BYTES} bytes, got {len(key)} bytes")
    return key


def libp2p_key_pair(key: AgentKey) -> KeyPair:
    """The libp2p key pair for the same Ed25519 key (same peer ID as go-libp2p)."""
    return create_new_key_pair(_seed_of(key))


def peer_id_of(key: AgentKey) -> str:
    """The base58 peer ID ("12D3KooW...") that ``key`` gives on the overlay: the node
    identity's derivation, one rule for both (its tests hold it to libp2p's)."""
    return peer_id_of_public_key(Ed25519PrivateKey.from_private_bytes(_seed_of(key)).public_key())


def is_peer_id(text: str) -> bool:
    """Whether ``text`` parses as a libp2p peer ID."""
    # A peer ID is a base58 multihash (identity for Ed25519 keys, sha2-256 for RSA).
    try:
        multihash.decode(base58.b58decode(text))
    except ValueError:
        return False
    return bool(text)
