"""The deployed set is kept in the state file and comes back after a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from conftest import GatewayProcess

pytestmark = pytest.mark.component


def test_deployed_functions_and_labels_survive_a_restart(
    gateway_starter: Callable[..., GatewayProcess],
) -> None:
    labels = {"dfaas.maxrate": "50", "dfaas.timeout_ms": "2000"}
    first = gateway_starter()
    first.deploy("kept", "shasum", labels=labels, env={"max_inflight": "3"})
    first.deploy("dropped", "figlet")
    with first.client() as client:
        client.request("DELETE", "/system/functions", json={"functionName": "dropped"})
    first.stop()

    second = gateway_starter()
    with second.client() as client:
        functions = {entry["name"]: entry for entry in client.get("/system/functions").json()}
        invoked = client.post("/function/kept", content=b"abc")
    assert set(functions) == {"kept"}
    assert functions["kept"]["labels"] == labels
    assert functions["kept"]["envVars"] == {"max_inflight": "3"}
    assert invoked.status_code == 200


def test_preload_deploys_missing_builtins_once_and_saves_them(
    gateway_starter: Callable[..., GatewayProcess],
) -> None:
    gateway = gateway_starter("--preload", "figlet,nodeinfo")
    saved = json.loads(gateway.state_file.read_text())
    assert [entry["service"] for entry in saved["functions"]] == ["figlet", "nodeinfo"]


def test_unreadable_state_file_stops_the_start_with_a_message(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text("{broken")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dfaas_gateway.cli",
            "--state-file",
            str(state_file),
            "--listen",
            "127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert f"state file {state_file} cannot be read" in result.stderr


def test_sigterm_stops_the_gateway_with_exit_code_0(
    gateway_starter: Callable[..., GatewayProcess],
) -> None:
    gateway = gateway_starter()
    gateway.stop()
    assert gateway.process.returncode == 0
