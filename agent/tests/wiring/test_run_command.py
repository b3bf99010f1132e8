"""`dfaas-agent --config FILE run`: configuration errors and a clean stop on a signal."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from dfaas_agent.cli import main

from .conftest import BIN, STOP_WAIT_S, WAIT_S, free_port, wait_until
from .fakes import PEER_B, SELF


def test_run_with_an_invalid_value_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "agent.yml"
    config_file.write_text("strategy: all_local\nperiod: 0.5s\n")

    code = main(["--config", str(config_file), "run"], environ={})

    error = capsys.readouterr().err
    assert (code, error.count("\n"), error.startswith("config: period:")) == (2, 1, True)


def test_run_with_members_but_no_federation_tls_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "agent.yml"
    members = [
        {"name": "node-a", "peer_id": SELF, "address": "127.0.0.1"},
        {"name": "node-b", "peer_id": PEER_B, "address": "127.0.0.2"},
    ]
    config_file.write_text(
        yaml.safe_dump(
            {
                "node_ip": "127.0.0.1",
                "members": members,
                "private_key_file": str(tmp_path / "key.pem"),
            }
        )
    )

    code = main(["--config", str(config_file), "run"], environ={})

    error = capsys.readouterr().err
    assert code == 2
    assert error == (
        "config: haproxy.peer_ca_file: required with members (forwarding uses mutual TLS)\n"
    )


def _standalone_config(
    tmp_path: Path, api: str, overlay_port: int | None = None, latency_log_port: int = 0
) -> Path:
    """An all_local agent with no HAProxy, gateway or Prometheus: it runs degraded (no
    HAProxy request log to read either, unless `latency_log_port` is given)."""
    config_file = tmp_path / "agent.yml"
    config_file.write_text(
        yaml.safe_dump(
            {
                "strategy": "all_local",
                "period": "1s",
                "listen": [f"/ip4/127.0.0.1/tcp/{overlay_port or free_port(['127.0.0.1'])}"],
                "private_key_file": str(tmp_path / "key.pem"),
                "kademlia_enabled": False,
                "http_listen": api,
                "gateway_url": f"http://127.0.0.1:{free_port(['127.0.0.1'])}",
                "prometheus_url": f"http://127.0.0.1:{free_port(['127.0.0.1'])}",
                "haproxy": {
                    "master_socket": str(tmp_path / "absent-master.sock"),
                    "admin_socket": str(tmp_path / "absent-admin.sock"),
                    "rendered_config_file": str(tmp_path / "haproxy.cfg"),
                    "state_dir": str(tmp_path / "state"),
                    "latency_log_port": latency_log_port,
                },
            }
        )
    )
    return config_file


@pytest.mark.component
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_with_exit_code_0_on_a_signal(tmp_path: Path, stop_signal: int) -> None:
    api = f"127.0.0.1:{free_port(['127.0.0.1'])}"
    config_file = _standalone_config(tmp_path, api)
    with (tmp_path / "agent.log").open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "dfaas-agent"), "--config", str(config_file), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def iterated() -> bool:
            try:
                status = httpx.get(f"http://{api}/status", timeout=2.0).json()
            except httpx.HTTPError:
                return False
            return status["last_iteration"] is not None

        wait_until(iterated, "the agent's first iteration")
        process.send_signal(stop_signal)

        assert process.wait(STOP_WAIT_S) == 0, (tmp_path / "agent.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(STOP_WAIT_S)


@pytest.mark.component
@pytest.mark.parametrize("taken_by", ["api", "overlay", "latency_log"])
def test_run_with_a_taken_port_names_it_in_one_line_and_exits_1(
    tmp_path: Path, taken_by: str
) -> None:
    kind = socket.SOCK_DGRAM if taken_by == "latency_log" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as taken:
        taken.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            taken.listen()
        port = int(taken.getsockname()[1])
        if taken_by == "api":
            config_file = _standalone_config(tmp_path, f"127.0.0.1:{port}")
            named = f"HTTP API on 127.0.0.1:{port}"
        elif taken_by == "latency_log":
            api = f"127.0.0.1:{free_port(['127.0.0.1'])}"
            config_file = _standalone_config(tmp_path, api, latency_log_port=port)
            named = f"HAProxy latency log on 127.0.0.1:{port}/udp"
        else:
            api = f"127.0.0.1:{free_port(['127.0.0.1'])}"
            config_file = _standalone_config(tmp_path, api, overlay_port=port)
            named = f"overlay could not listen on /ip4/127.0.0.1/tcp/{port}"

        finished = subprocess.run(
            [str(BIN / "dfaas-agent"), "--config", str(config_file), "run"],
            capture_output=True,
            text=True,
            timeout=WAIT_S,
            check=False,
        )

    last_line = finished.stderr.strip().splitlines()[-1]
    assert finished.returncode == 1, finished.stderr
    assert last_line.startswith("dfaas-agent: cannot start:")
    assert named in last_line
