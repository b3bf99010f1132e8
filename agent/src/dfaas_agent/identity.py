"""The node's persistent Ed25519 identity and its libp2p peer ID.

The key lives in a PKCS#8 PEM file (the prototype's format). A missing or
empty file gets a fresh key, written atomically with mode 0600; anything else
that is not an Ed25519 PKCS#8 key is an error naming the file, and the file is
left untouched. The peer ID comes from libp2p's own classes, so it is by
construction the one the overlay announces.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from libp2p.crypto.ed25519 import Ed25519PrivateKey as Libp2pEd25519PrivateKey
from libp2p.crypto.keys import KeyPair
from libp2p.peer.id import ID


class IdentityError(Exception):
    """The key file cannot be used; the message names the file."""


@dataclass(frozen=True)
class Identity:
    private_key: ed25519.Ed25519PrivateKey
    key_pair: KeyPair
    """The same key as libp2p wants it, for the overlay."""
    peer_id: str


def _from_private_key(private_key: ed25519.Ed25519PrivateKey) -> Identity:
    seed = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    libp2p_key = Libp2pEd25519PrivateKey.from_bytes(seed)
    key_pair = KeyPair(libp2p_key, libp2p_key.get_public_key())
    peer_id = ID.from_pubkey(key_pair.public_key).to_base58()
    return Identity(private_key=private_key, key_pair=key_pair, peer_id=str(peer_id))


def _parse(path: Path, pem: bytes) -> ed25519.Ed25519PrivateKey:
    if b"-----BEGIN PRIVATE KEY-----" not in pem:
        raise IdentityError(f"identity: {path}: not a PKCS#8 PEM private key")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise IdentityError(f"identity: {path}: unreadable private key ({error})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise IdentityError(
            f"identity: {path}: expected an Ed25519 key, found {type(key).__name__}"
        )
    return key


def _write_new_key(path: Path) -> ed25519.Ed25519PrivateKey:
    private_key = ed25519.Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file with mode 0600; the rename makes it appear complete or not at all.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return private_key


def load_or_create_identity(path: Path) -> Identity:
    """Read the key at `path`, or create it there when the file is missing or empty."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        pem = b""
    except OSError as error:
        raise IdentityError(f"identity: {path}: cannot read: {error.strerror}") from None
    if not pem.strip():
        try:
            return _from_private_key(_write_new_key(path))
        except OSError as error:
            raise IdentityError(f"identity: {path}: cannot write: {error.strerror}") from None
    return _from_private_key(_parse(path, pem))
