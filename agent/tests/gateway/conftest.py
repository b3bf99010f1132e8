"""Fixtures: the real dfaas-gateway started as a process on a free loopback port."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

LOOPBACK = "127.0.0.1"
START_WAIT_S = 20.0  # upper bound for the process to answer /healthz
STOP_WAIT_S = 10.0  # upper bound for a graceful stop before SIGKILL


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class GatewayProcess:
    url: str
    node_name: str
    state_file: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, timeout: float = 15.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def deploy(
        self,
        name: str,
        image: str,
        *,
        env: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        method: str = "POST",
    ) -> httpx.Response:
        payload = {"service": name, "image": image, "envVars": env or {}, "labels": labels or {}}
        with self.client() as client:
            return client.request(method, "/system/functions", json=payload)

    def metric(self, sample: str) -> float | None:
        """The value of one exposition line, e.g. 'gateway_service_count{function_name="x"}'."""
        with self.client() as client:
            exposition = client.get("/metrics").text
        for line in exposition.splitlines():
            name, _, value = line.rpartition(" ")
            if name == sample:
                return float(value)
        return None

    def wait_for_metric(self, sample: str, expected: float) -> None:
        deadline = time.monotonic() + START_WAIT_S
        while time.monotonic() < deadline:
            if self.metric(sample) == expected:
                return
            time.sleep(0.02)
        raise AssertionError(f"{sample} never reached {expected}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_WAIT_S)


def start_gateway(
    state_file: Path, log_path: Path, *extra_args: str, node_name: str = "node-a"
) -> GatewayProcess:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "dfaas_gateway.cli",
        "--listen",
        f"{LOOPBACK}:{port}",
        "--state-file",
        str(state_file),
        "--node-name",
        node_name,
        "--cpu-workers",
        "1",
        *extra_args,
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    gateway = GatewayProcess(f"http://{LOOPBACK}:{port}", node_name, state_file, process, log_path)
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{gateway.url}/healthz", timeout=1.0).status_code == 200:
                return gateway
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    gateway.stop()
    raise AssertionError(f"dfaas-gateway did not become healthy:\n{log_path.read_text()}")


GatewayStarter = Callable[..., GatewayProcess]


@pytest.fixture
def gateway_starter(tmp_path: Path) -> Iterator[GatewayStarter]:
    """Start gateways (all sharing one state file unless told otherwise); all stopped after."""
    started: list[GatewayProcess] = []

    def start(*extra_args: str, state_file: Path | None = None) -> GatewayProcess:
        gateway = start_gateway(
            state_file or tmp_path / "state.json", tmp_path / "gateway.log", *extra_args
        )
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="module")
def shared_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """One gateway with every built-in preloaded, for tests that only add uniquely named
    functions or read what they themselves caused."""
    folder = tmp_path_factory.mktemp("gateway")
    gateway = start_gateway(
        folder / "state.json",
        folder / "gateway.log",
        "--preload",
        "figlet,shasum,nodeinfo,cpuburn,sleep",
    )
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def image_functions_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """One gateway with image-classification preloaded, and ocr where tesseract is installed."""
    folder = tmp_path_factory.mktemp("gateway")
    preload = "ocr,image-classification" if shutil.which("tesseract") else "image-classification"
    gateway = start_gateway(folder / "state.json", folder / "gateway.log", "--preload", preload)
    yield gateway
    gateway.stop()
