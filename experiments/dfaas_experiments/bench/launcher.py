"""A federation of real nodes on loopback, run as processes: gateway, HAProxy, agent.

Each node has its own loopback address (127.0.0.x) and the nodes share the
federation's port numbers (public, peer, exporter), as real nodes would. The
binaries come from the virtualenv that runs this module. Every wait is bounded
and `Federation.stop()` ends every process it started.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import trio
import yaml

from dfaas_agent.config import load_config
from dfaas_agent.haproxy import HAProxyController, ProxyTuning, RuntimeApiError
from dfaas_agent.haproxy.runtime_api import exchange
from dfaas_agent.identity import load_or_create_identity
from dfaas_agent.loop.conversions import proxy_files, proxy_layout
from dfaas_experiments.bench.pki import FederationPki

WAIT_S = 30.0  # upper bound of every wait for a process or a state
STOP_WAIT_S = 10.0
BIN = Path(sys.executable).parent
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
FIRST_ADDRESS = 11  # nodes listen on 127.0.0.11, .12, ...


class LaunchError(RuntimeError):
    """A process did not come up, or a state was not reached in time."""


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> float:
    """Poll `condition` until it holds; the seconds waited. LaunchError after `timeout_s`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            raise LaunchError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def free_port(addresses: Iterable[str]) -> int:
    """A TCP port free on every one of `addresses` (bounded number of tries)."""
    addresses = list(addresses)
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for address in addresses[1:]:
                with socket.socket() as other:
                    other.bind((address, port))
        except OSError:
            continue
        return port
    raise LaunchError(f"no port free on all of {addresses}")


@dataclass(frozen=True)
class Ports:
    public: int
    peer: int
    exporter: int
    gateway: int
    api: int
    overlay: int
    prometheus: int  # nothing listens there: the bench runs without Prometheus


@dataclass
class Node:
    name: str
    address: str
    directory: Path
    peer_id: str
    ports: Ports
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def config_file(self) -> Path:
        return self.directory / "agent.yml"

    @property
    def master_socket(self) -> Path:
        return self.directory / "master.sock"

    @property
    def admin_socket(self) -> Path:
        return self.directory / "admin.sock"

    @property
    def overlay_address(self) -> str:
        return f"/ip4/{self.address}/tcp/{self.ports.overlay}/p2p/{self.peer_id}"

    @property
    def public_url(self) -> str:
        return f"http://{self.address}:{self.ports.public}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.address}:{self.ports.gateway}"

    def log(self, component: str) -> Path:
        return self.directory / f"{component}.log"

    def start(self, component: str, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log(component).open("ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.processes[component] = process
        return process

    def start_agent(self) -> subprocess.Popen[bytes]:
        return self.start(
            "agent", [str(BIN / "dfaas-agent"), "--config", str(self.config_file), "run"]
        )

    def pid(self, component: str) -> int:
        return self.processes[component].pid

    def status(self) -> dict[str, Any] | None:
        """The agent's /status, or None while it does not answer."""
        try:
            response = httpx.get(f"http://{self.address}:{self.ports.api}/status", timeout=2.0)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        document: dict[str, Any] = response.json()
        return document

    def in_layout(self) -> set[str]:
        status = self.status()
        return set() if status is None else set(status["members"]["in_layout"])

    def stop(self, component: str) -> int | None:
        """SIGTERM, bounded wait, then SIGKILL; the exit code of a graceful stop, else None."""
        process = self.processes.get(component)
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_WAIT_S)
                return None
        return process.returncode

    def haproxy_reloads(self) -> int:
        """Reloads the HAProxy master has done since it started (its `show proc` line).

        The master re-executes itself on a reload and refuses connections for a
        moment then: asked again until it answers, at most `WAIT_S`.
        """
        answers: list[str] = []

        def answered() -> bool:
            try:
                answers.append(trio.run(exchange, self.master_socket, "show proc", 3.0))
            except RuntimeApiError:
                return False
            return True

        wait_until(answered, f"{self.name} HAProxy master CLI")
        return master_reloads(answers[-1])

    def tail(self, component: str, lines: int = 20) -> str:
        path = self.log(component)
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def master_reloads(show_proc: str) -> int:
    """The master's reload count from a `show proc` answer (`<pid> master <reloads> ...`)."""
    for line in show_proc.splitlines():
        columns = line.split()
        if len(columns) >= 3 and columns[0].isdigit() and columns[1] == "master":
            return int(columns[2])
    raise LaunchError(f"show proc answer names no master: {show_proc[:120]!r}")


@dataclass
class Federation:
    nodes: list[Node]

    def by_name(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [process for node in self.nodes for process in node.processes.values()]

    def stop(self) -> None:
        """Agents first (they drive HAProxy), then HAProxy and the gateways."""
        for component in ("agent", "haproxy", "gateway"):
            for node in self.nodes:
                node.stop(component)


# --- gateway functions ---------------------------------------------------------------


def _deployment(function: str, image: str, maxrate: float) -> dict[str, Any]:
    return {"service": function, "image": image, "labels": {"dfaas.maxrate": f"{maxrate:g}"}}


def deploy(node: Node, function: str, maxrate: float, image: str = "shasum") -> None:
    """Deploy a built-in on the node's gateway (an existing one is left as it is)."""
    response = httpx.post(
        f"{node.gateway_url}/system/functions",
        json=_deployment(function, image, maxrate),
        timeout=5.0,
    )
    if response.status_code not in (202, 409):
        raise LaunchError(
            f"deploy {function} on {node.name}: {response.status_code} {response.text}"
        )


def set_maxrate(node: Node, function: str, maxrate: float, image: str = "shasum") -> None:
    response = httpx.put(
        f"{node.gateway_url}/system/functions",
        json=_deployment(function, image, maxrate),
        timeout=5.0,
    )
    if response.status_code != 202:
        raise LaunchError(
            f"update {function} on {node.name}: {response.status_code} {response.text}"
        )


def remove(node: Node, function: str) -> None:
    response = httpx.request(
        "DELETE",
        f"{node.gateway_url}/system/functions",
        json={"functionName": function},
        timeout=5.0,
    )
    if response.status_code != 202:
        raise LaunchError(
            f"delete {function} on {node.name}: {response.status_code} {response.text}"
        )


# --- start -------------------------------------------------------------------------------


def start_federation(
    directory: Path,
    maxrates: dict[str, float],
    function: str = "shasum",
    period: str = "1s",
    strategy: str = "recalc",
) -> Federation:
    """One node per `maxrates` entry (name → dfaas.maxrate of `function`), all started."""
    names = list(maxrates)
    addresses = [f"127.0.0.{FIRST_ADDRESS + index}" for index in range(len(names))]
    pki = FederationPki.create(directory / "pki")
    shared = {role: free_port(addresses) for role in ("public", "peer", "exporter")}
    nodes = []
    for name, address in zip(names, addresses, strict=True):
        node_directory = directory / name
        node_directory.mkdir(parents=True)
        identity = load_or_create_identity(node_directory / "private_key.pem")
        ports = Ports(
            **shared,
            gateway=free_port([address]),
            api=free_port([address]),
            overlay=free_port([address]),
            prometheus=free_port([address]),
        )
        nodes.append(Node(name, address, node_directory, identity.peer_id, ports))
    federation = Federation(nodes)
    try:
        for node in nodes:
            pki.issue(node.peer_id, node.directory / "node.pem")
            _write_agent_config(node, nodes, pki.ca_file, period, strategy)
            _start_gateway(node)
            wait_until(partial(_gateway_answers, node), f"{node.name} gateway")
            deploy(node, function, maxrates[node.name])
            _start_haproxy(node)
        for node in nodes:
            node.start_agent()
        for node in nodes:
            wait_until(partial(_agent_answers, node), f"{node.name} agent /status")
    except BaseException:
        federation.stop()
        raise
    return federation


def _write_agent_config(
    node: Node, nodes: list[Node], ca_file: Path, period: str, strategy: str
) -> None:
    document = {
        "node_name": node.name,
        "node_ip": node.address,
        "listen": [f"/ip4/{node.address}/tcp/{node.ports.overlay}"],
        "private_key_file": str(node.directory / "private_key.pem"),
        "bootstrap_peers": [other.overlay_address for other in nodes if other is not node],
        "bootstrap_backoff": "0.5s",
        "bootstrap_backoff_max": "2s",
        "kademlia_enabled": False,
        "members": [
            {"name": member.name, "peer_id": member.peer_id, "address": member.address}
            for member in nodes
        ],
        "strategy": strategy,
        "period": period,
        "haproxy": {
            "binary": HAPROXY,
            "rendered_config_file": str(node.directory / "haproxy.cfg"),
            "state_dir": str(node.directory / "haproxy-state"),
            "master_socket": str(node.master_socket),
            "admin_socket": str(node.admin_socket),
            "public_port": node.ports.public,
            "peer_port": node.ports.peer,
            "exporter_port": node.ports.exporter,
            "bind_address": node.address,
            "peer_ca_file": str(ca_file),
            "peer_certificate_file": str(node.directory / "node.pem"),
        },
        "gateway_url": node.gateway_url,
        "prometheus_url": f"http://{node.address}:{node.ports.prometheus}",
        "http_listen": f"{node.address}:{node.ports.api}",
        "log_level": "info",
    }
    node.config_file.write_text(yaml.safe_dump(document))


def _start_gateway(node: Node) -> None:
    node.start(
        "gateway",
        [
            str(BIN / "dfaas-gateway"),
            "--listen",
            f"{node.address}:{node.ports.gateway}",
            "--state-file",
            str(node.directory / "gateway-state.json"),
            "--node-name",
            node.name,
            "--cpu-workers",
            "1",
        ],
    )


def _agent_answers(node: Node) -> bool:
    return node.status() is not None


def _gateway_answers(node: Node) -> bool:
    try:
        return httpx.get(f"{node.gateway_url}/system/functions", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _start_haproxy(node: Node) -> None:
    """HAProxy with a bare configuration (no members, no functions); the agent replaces it."""
    config = load_config(node.config_file, {})
    files = proxy_files(config)
    controller = HAProxyController(files, haproxy_binary=HAPROXY)
    layout = proxy_layout(config, node_id=node.peer_id, members=(), functions=())
    trio.run(controller.install, layout, ProxyTuning())
    node.start(
        "haproxy", [HAPROXY, "-W", "-S", str(files.master_socket), "-f", str(files.config_file)]
    )

    def answers() -> bool:
        async def ask() -> None:
            await controller.runtime.show_info()
            await controller.master.show_proc()

        try:
            trio.run(ask)
        except (RuntimeApiError, OSError):
            return False
        return True

    wait_until(answers, f"{node.name} HAProxy sockets")
