"""The node's persistent Ed25519 identity and its libp2p peer ID.

The key lives in a PKCS#8 PEM file (the prototype's format). `load_or_create_identity`
(the `identity` and `run` commands) gives a missing or empty file a fresh key, written
atomically with mode 0600, creating missing folders above it with mode 0700 and telling
its caller about each; `load_identity` (`check-config`) only reads. Anything that is not
an Ed25519 PKCS#8 key is an error naming the file, and the file is left untouched.

The peer ID is derived here without importing libp2p (whose import costs the `identity`
and `check-config` commands, which `federate.yml` runs on every node at once, about a
second of CPU each); `tests/core/test_identity.py` checks it against libp2p's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from dfaas_common.files import write_atomically

# An Ed25519 PKCS#8 PEM file is 119 bytes; anything far larger is not a key.
MAX_KEY_FILE_BYTES = 64 * 1024


class IdentityError(Exception):
    """The key file cannot be used; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"identity: {path}: {problem}")
        self.path = path
        self.problem = problem


class KeyFileMissingError(IdentityError):
    """No key yet: the file is missing or empty (`identity` or `run` creates one)."""


@dataclass(frozen=True)
class Identity:
    private_key: ed25519.Ed25519PrivateKey
    peer_id: str


# libp2p's PublicKey protobuf for an Ed25519 key (field 1, Type = Ed25519; field 2, 32
# bytes of key), inside an identity multihash (code 0, length): the key is short enough
# to be its own digest, which is why Ed25519 peer IDs start with "12D3KooW".
_ED25519_PUBLIC_KEY_PROTOBUF = bytes([0x08, 0x01, 0x12, 0x20])
_IDENTITY_MULTIHASH = bytes([0x00, len(_ED25519_PUBLIC_KEY_PROTOBUF) + 32])


def peer_id_of_public_key(public_key: ed25519.Ed25519PublicKey) -> str:
    """The libp2p peer ID ("12D3KooW...") of an Ed25519 public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = _IDENTITY_MULTIHASH + _ED25519_PUBLIC_KEY_PROTOBUF + raw
    return base58.b58encode(digest).decode("ascii")


def _from_private_key(private_key: ed25519.Ed25519PrivateKey) -> Identity:
    return Identity(
        private_key=private_key, peer_id=peer_id_of_public_key(private_key.public_key())
    )


def _parse(path: Path, pem: bytes) -> ed25519.Ed25519PrivateKey:
    if b"-----BEGIN PRIVATE KEY-----" not in pem:
        raise IdentityError(path, "not a PKCS#8 PEM private key")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise IdentityError(path, f"unreadable private key ({error})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise IdentityError(path, f"expected an Ed25519 key, found {type(key).__name__}")
    return key


def _read_key_file(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist; a huge or unreadable file is an error."""
    try:
        with path.open("rb") as handle:
            pem = handle.read(MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise IdentityError(path, f"cannot read: {error.strerror or error}") from None
    if len(pem) > MAX_KEY_FILE_BYTES:
        raise IdentityError(path, f"larger than {MAX_KEY_FILE_BYTES} bytes: not a key file")
    return pem


def _create_folders(folder: Path, on_new_folder: Callable[[Path], None] | None) -> None:
    """Create `folder` and the missing ones above it, each with mode 0700, reporting each."""
    missing: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir(mode=0o700, exist_ok=True)
        if on_new_folder is not None:
            on_new_folder(each)


def _write_new_key(
    path: Path, on_new_folder: Callable[[Path], None] | None
) -> ed25519.Ed25519PrivateKey:
    private_key = ed25519.Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _create_folders(path.parent, on_new_folder)
    write_atomically(path, pem, mode=0o600)
    return private_key


def load_identity(path: Path) -> Identity:
    """Read the key at `path`; a missing or empty file is an error, nothing is created."""
    pem = _read_key_file(path)
    if pem is None:
        raise KeyFileMissingError(path, "no such file (dfaas-agent identity creates it)")
    if not pem.strip():
        raise KeyFileMissingError(path, "empty file (dfaas-agent identity writes a key into it)")
    return _from_private_key(_parse(path, pem))


def load_or_create_identity(
    path: Path, on_new_folder: Callable[[Path], None] | None = None
) -> Identity:
    """Read the key at `path`, or create it there when the file is missing or empty.

    Folders missing above the file are created with mode 0700; `on_new_folder` is
    called with each one, so the command can say so.
    """
    pem = _read_key_file(path)
    if pem is None or not pem.strip():
        try:
            return _from_private_key(_write_new_key(path, on_new_folder))
        except OSError as error:
            raise IdentityError(path, f"cannot write: {error.strerror or error}") from None
    return _from_private_key(_parse(path, pem))
