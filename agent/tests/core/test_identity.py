"""The node key file and the peer ID derived from it."""

from __future__ import annotations

import importlib.util
import re
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from libp2p.peer.id import ID

from dfaas_agent.identity import (
    IdentityError,
    KeyFileMissingError,
    load_identity,
    load_or_create_identity,
)
from dfaas_agent.overlay.keys import libp2p_key_pair

_PLUGIN_PEER_ID = Path(__file__).parents[3] / "plugins" / "plugin_utils" / "peer_id.py"


def _controller_peer_id_module() -> ModuleType:
    # The collection's own, independent peer-ID code (used on the Ansible controller).
    spec = importlib.util.spec_from_file_location("controller_peer_id", _PLUGIN_PEER_ID)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_key_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "node.pem"

    load_or_create_identity(key_file)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_peer_id_is_stable_across_reloads(tmp_path: Path) -> None:
    key_file = tmp_path / "node.pem"

    first = load_or_create_identity(key_file)
    second = load_or_create_identity(key_file)

    assert first.peer_id == second.peer_id


def test_peer_id_is_an_ed25519_libp2p_id(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "node.pem")

    assert identity.peer_id.startswith("12D3KooW")


def test_peer_id_matches_the_controller_side_derivation(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "node.pem")
    public_pem = (
        identity.private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    assert _controller_peer_id_module().peer_id(public_pem) == identity.peer_id


def test_peer_id_is_the_one_libp2p_gives_the_same_key(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "node.pem")
    seed = identity.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )

    # What the overlay announces: libp2p's own derivation from the same key.
    assert identity.peer_id == ID.from_pubkey(libp2p_key_pair(seed).public_key).to_base58()
    assert identity.peer_id.startswith("12D3KooW")


def test_the_identity_commands_need_no_libp2p() -> None:
    # check-config and identity run on every node at once during federate.yml.
    command = "import sys, dfaas_agent.cli; print('libp2p' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_empty_key_file_gets_a_new_key(tmp_path: Path) -> None:
    key_file = tmp_path / "node.pem"
    key_file.write_bytes(b"")

    identity = load_or_create_identity(key_file)

    assert load_or_create_identity(key_file).peer_id == identity.peer_id


def test_corrupt_key_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    key_file = tmp_path / "node.pem"
    garbage = b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    key_file.write_bytes(garbage)

    with pytest.raises(IdentityError, match=re.escape(str(key_file))):
        load_or_create_identity(key_file)
    assert key_file.read_bytes() == garbage


def test_text_that_is_not_a_pem_key_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "node.pem"
    key_file.write_text("hello\n")

    with pytest.raises(IdentityError, match="not a PKCS#8 PEM private key"):
        load_or_create_identity(key_file)
    assert key_file.read_text() == "hello\n"


def test_key_of_another_type_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "node.pem"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_file.write_bytes(pem)

    with pytest.raises(IdentityError, match="expected an Ed25519 key"):
        load_or_create_identity(key_file)
    assert key_file.read_bytes() == pem


def test_unwritable_key_folder_is_an_error_naming_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    key_file = blocker / "node.pem"

    with pytest.raises(IdentityError, match=re.escape(str(key_file))):
        load_or_create_identity(key_file)


def test_missing_folders_are_created_with_mode_0700_and_reported_in_order(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "a" / "b" / "node.pem"
    reported: list[Path] = []

    load_or_create_identity(key_file, reported.append)

    assert reported == [tmp_path / "a", tmp_path / "a" / "b"]
    assert [stat.S_IMODE(folder.stat().st_mode) for folder in reported] == [0o700, 0o700]


def test_load_identity_reads_the_key_that_load_or_create_wrote(tmp_path: Path) -> None:
    key_file = tmp_path / "node.pem"
    created = load_or_create_identity(key_file)

    assert load_identity(key_file).peer_id == created.peer_id


@pytest.mark.parametrize("content", [None, b"", b"\n  \n"])
def test_load_identity_creates_nothing_for_a_missing_or_empty_file(
    tmp_path: Path, content: bytes | None
) -> None:
    key_file = tmp_path / "node.pem"
    if content is not None:
        key_file.write_bytes(content)

    with pytest.raises(KeyFileMissingError, match=re.escape(str(key_file))):
        load_identity(key_file)
    assert key_file.exists() is (content is not None)
    if content is not None:
        assert key_file.read_bytes() == content


def test_a_huge_key_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    key_file = tmp_path / "node.pem"
    key_file.write_bytes(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * 1_000_000)

    with pytest.raises(IdentityError, match="larger than 65536 bytes"):
        load_or_create_identity(key_file)
