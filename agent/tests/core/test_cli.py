"""`dfaas-agent check-config` and `dfaas-agent identity`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dfaas_agent.cli import main
from dfaas_agent.identity import load_or_create_identity


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yml"
    path.write_text(text)
    return path


def _with_key(tmp_path: Path, text: str = "node_ip: 10.0.0.1\n") -> tuple[Path, Path]:
    """A config whose private_key_file is in tmp_path (not created here)."""
    key_file = tmp_path / "node.pem"
    return _config(tmp_path, f"{text}private_key_file: {key_file}\n"), key_file


def test_check_config_prints_the_effective_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, key_file = _with_key(tmp_path, "node_ip: 10.0.0.1\nstrategy: staticstrategy\n")
    load_or_create_identity(key_file)

    code = main(["--config", str(path), "check-config"], environ={"AGENT_RECALC_PERIOD": "30s"})

    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (printed["strategy"], printed["period"]) == ("static", 30.0)


def test_check_config_exits_2_with_the_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, "node_ip: 10.0.0.1\nperiod: 0\n")

    code = main(["--config", str(path), "check-config"], environ={})

    assert code == 2
    assert capsys.readouterr().err == "config: period: must be >= 1 second, got 0\n"


def test_identity_creates_the_key_and_prints_the_peer_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "node.pem"
    path = _config(tmp_path, f"node_ip: 10.0.0.1\nprivate_key_file: {key_file}\n")

    code = main(["--config", str(path), "identity"], environ={})
    first = capsys.readouterr().out.strip()
    main(["--config", str(path), "identity"], environ={})
    second = capsys.readouterr().out.strip()

    assert code == 0
    assert key_file.exists()
    assert first.startswith("12D3KooW")
    assert first == second


def test_identity_with_a_corrupt_key_fails_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "node.pem"
    key_file.write_text("garbage\n")
    path = _config(tmp_path, f"node_ip: 10.0.0.1\nprivate_key_file: {key_file}\n")

    code = main(["--config", str(path), "identity"], environ={})

    assert code == 1
    assert str(key_file) in capsys.readouterr().err


def test_identity_with_a_bad_config_exits_2(tmp_path: Path) -> None:
    path = _config(tmp_path, "node_ip: nowhere\n")

    assert main(["--config", str(path), "identity"], environ={}) == 2


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], environ={}) == 2
    assert "check-config" in capsys.readouterr().err


# --- check-config reads the node key as run does, and never creates it ----------------------


def _ec_key_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_check_config_with_a_missing_key_exits_2_and_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, key_file = _with_key(tmp_path)

    code = main(["--config", str(path), "check-config"], environ={})

    assert code == 2
    assert capsys.readouterr().err == (
        f"config: private_key_file: {key_file}: no such file (dfaas-agent identity creates it)\n"
    )
    assert not key_file.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"garbage\n", "not a PKCS#8 PEM private key"),
        (
            b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
            "unreadable private key",
        ),
        (None, "expected an Ed25519 key, found"),
        (b"x" * (64 * 1024 + 1), "larger than 65536 bytes: not a key file"),
    ],
)
def test_check_config_with_a_key_that_run_could_not_use_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, problem: str
) -> None:
    path, key_file = _with_key(tmp_path)
    key_file.write_bytes(_ec_key_pem() if content is None else content)
    before = key_file.read_bytes()

    code = main(["--config", str(path), "check-config"], environ={})

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"config: private_key_file: {key_file}: {problem}")
    assert err.count("\n") == 1
    assert key_file.read_bytes() == before


def test_check_config_with_an_unreadable_key_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, key_file = _with_key(tmp_path)
    key_file.mkdir()  # readable by nobody as a file, even by root

    code = main(["--config", str(path), "check-config"], environ={})

    assert code == 2
    assert capsys.readouterr().err == (
        f"config: private_key_file: {key_file}: cannot read: Is a directory\n"
    )


def test_check_config_may_allow_a_key_not_created_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, key_file = _with_key(tmp_path)

    code = main(["--config", str(path), "check-config", "--allow-missing-key"], environ={})

    assert code == 0
    assert json.loads(capsys.readouterr().out)["private_key_file"] == str(key_file)
    assert not key_file.exists()


def test_check_config_allowing_a_missing_key_still_checks_one_that_is_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, key_file = _with_key(tmp_path)
    key_file.write_bytes(_ec_key_pem())

    code = main(["--config", str(path), "check-config", "--allow-missing-key"], environ={})

    assert code == 2
    assert "expected an Ed25519 key" in capsys.readouterr().err


# --- identity says which folders it creates ---------------------------------------------------


def test_identity_says_on_stderr_which_missing_folders_it_creates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "state" / "keys" / "node.pem"
    path = _config(tmp_path, f"node_ip: 10.0.0.1\nprivate_key_file: {key_file}\n")

    code = main(["--config", str(path), "identity"], environ={})

    captured = capsys.readouterr()
    assert code == 0
    assert captured.err.splitlines() == [
        f"identity: created folder {tmp_path / 'state'} (mode 0700) for private_key_file",
        f"identity: created folder {tmp_path / 'state' / 'keys'} (mode 0700) for private_key_file",
    ]
    assert captured.out.startswith("12D3KooW")
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700


def test_identity_in_an_existing_folder_says_nothing_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _with_key(tmp_path)

    main(["--config", str(path), "identity"], environ={})

    assert capsys.readouterr().err == ""
