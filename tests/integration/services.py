# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers for the plugins' integration tests: ports, bounded waits, child processes,
and direct looks at the real services (not through the plugins) to check what they did."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest

# tests/integration/services.py inside .../ansible_collections/dfaas/edge
HERE = Path(__file__).resolve()
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    """Poll ``check`` until it is true; fail the test naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} not ready within {timeout} s")


def require(binary: str) -> str:
    path = shutil.which(binary) or shutil.which(str(VENV_BIN / binary))
    if path is None:
        # Fail, not skip: a missing binary is a missing install step (`make deps venv`).
        pytest.fail(f"{binary} is not installed: run `make deps venv`")
    return path


class Service:
    """A child process that the fixture stops, killing it if it does not stop in time."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.name = Path(argv[0]).name
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)

    def check_alive(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited: {self.log.read_text()[-2000:]}")
        return True

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def runtime_command(address: str | Path, command: str) -> str:
    """Ask HAProxy directly (not through the plugin), to check what the module did."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(5)
        conn.connect(str(address))
        conn.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


class HAProxy:
    def __init__(self, socket_path: Path, tcp_address: str) -> None:
        self.socket = socket_path
        self.tcp_address = tcp_address

    def stat(self, backend: str, server: str) -> dict[str, str]:
        lines = runtime_command(self.socket, f"show stat {backend} -1 -1").splitlines()
        header = lines[0][2:].split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return next(row for row in rows if row["svname"] == server)

    def weight(self, backend: str, server: str) -> str:
        return runtime_command(self.socket, f"get weight {backend}/{server}").strip()


HAPROXY_CONFIG = """\
global
    stats socket {socket} mode 600 level admin
    stats socket ipv4@{tcp} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe_functions
    bind 127.0.0.1:{public_port}
    default_backend be_figlet
backend be_figlet
    balance roundrobin
    server local 127.0.0.1:{local_port} weight 100
    server node_b 127.0.0.1:{peer_port} weight 10
"""


def http_get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def promql(prometheus_url: str, query: str) -> list[dict[str, Any]]:
    """Ask Prometheus directly (not through the plugins); the result list of a query."""
    url = f"{prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    result: list[dict[str, Any]] = http_get_json(url)["data"]["result"]
    return result


def invoke(gateway_url: str, function: str, count: int) -> None:
    """Call a function ``count`` times (bounded: each call times out after 10 s)."""
    for _call in range(count):
        request = urllib.request.Request(f"{gateway_url}/function/{function}", data=b"dfaas")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ["127.0.0.1:{node}"]}}]
  - job_name: exporter
    static_configs: [{{targets: ["127.0.0.1:{exporter}"]}}]
  - job_name: gateway
    static_configs: [{{targets: ["127.0.0.1:{gateway}"]}}]
  - job_name: haproxy
    static_configs: [{{targets: ["127.0.0.1:{haproxy_metrics}"]}}]
"""

# HAProxy in front of the function runtime, with its built-in Prometheus exporter.
MONITORED_HAPROXY_CONFIG = """\
defaults
    mode http
    timeout connect 2s
    timeout client 15s
    timeout server 15s
frontend fe_functions
    bind 127.0.0.1:{haproxy}
    default_backend be_functions
frontend fe_metrics
    bind 127.0.0.1:{haproxy_metrics}
    http-request use-service prometheus-exporter if {{ path /metrics }}
backend be_functions
    server gateway 127.0.0.1:{gateway}
"""


GATEWAY_USER = "admin"
GATEWAY_PASSWORD = "integration-node-password"


def deploy_directly(gateway_url: str, deployment: dict[str, Any]) -> None:
    """Deploy a function with a plain POST (not through the plugin), with the credential."""
    credential = base64.b64encode(f"{GATEWAY_USER}:{GATEWAY_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"{gateway_url}/system/functions",
        data=json.dumps(deployment).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Basic " + credential},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


class MonitoredNode:
    """URLs of a node's real Prometheus, gateway and HAProxy, and the value its exporter serves."""

    def __init__(
        self, prometheus_url: str, gateway_url: str, haproxy_url: str, answer: float
    ) -> None:
        self.prometheus_url = prometheus_url
        self.gateway_url = gateway_url
        self.haproxy_url = haproxy_url
        self.answer = answer
