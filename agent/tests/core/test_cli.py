"""`dfaas-agent check-config` and `dfaas-agent identity`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dfaas_agent.cli import main


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yml"
    path.write_text(text)
    return path


def test_check_config_prints_the_effective_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, "node_ip: 10.0.0.1\nstrategy: staticstrategy\n")

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
