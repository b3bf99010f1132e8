"""Real nodes on loopback: `dfaas-gateway`, HAProxy (master-worker) and `dfaas-agent run`.

Each node gets its own loopback address (127.0.0.x), so the nodes share one set
of ports as real nodes would: a member's peer port is the federation's, not a
per-node setting. Processes run from the test's virtualenv; every wait is bounded
and every process is stopped by `Federation.stop()`.
"""

from __future__ import annotations

import datetime
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dfaas_agent.config import load_config
from dfaas_agent.haproxy import HAProxyController, ProxyTuning, RuntimeApiError
from dfaas_agent.identity import load_or_create_identity
from dfaas_agent.loop.conversions import proxy_files, proxy_layout

WAIT_S = 30.0  # upper bound of every wait for a process or a state
STOP_WAIT_S = 10.0
BIN = Path(sys.executable).parent
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.1)


def free_port(addresses: Iterable[str]) -> int:
    """A TCP port that is free on every one of `addresses` (bounded number of tries)."""
    addresses = list(addresses)
    for _ in range(50):
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
    raise AssertionError(f"no port free on all of {addresses}")


# --- federation TLS -------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass(frozen=True)
class FederationPki:
    """A throwaway federation CA that issues one certificate per peer ID."""

    ca_file: Path
    _key: ec.EllipticCurvePrivateKey
    _certificate: x509.Certificate

    @classmethod
    def create(cls, directory: Path) -> FederationPki:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("wiring test federation CA"))
            .issuer_name(_name("wiring test federation CA"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256())
        )
        ca_file = directory / "federation-ca.pem"
        ca_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cls(ca_file, key, certificate)

    def issue(self, peer_id: str, bundle: Path) -> Path:
        """Certificate (CN and SAN = peer ID) and key in one PEM file, HAProxy's `crt`."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(peer_id))
            .issuer_name(self._certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(peer_id)]), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        bundle.write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return bundle


# --- one node ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    public: int
    peer: int
    exporter: int
    gateway: int
    api: int
    overlay: int
    prometheus: int  # nothing listens there: Prometheus is absent


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
    def overlay_address(self) -> str:
        return f"/ip4/{self.address}/tcp/{self.ports.overlay}/p2p/{self.peer_id}"

    def url(self, port: int, path: str) -> str:
        return f"http://{self.address}:{port}{path}"

    def log(self, component: str) -> Path:
        return self.directory / f"{component}.log"

    def start(self, component: str, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log(component).open("ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.processes[component] = process
        return process

    def status(self) -> dict[str, Any] | None:
        try:
            response = httpx.get(self.url(self.ports.api, "/status"), timeout=2.0)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        document: dict[str, Any] = response.json()
        return document

    def answers(self) -> bool:
        return self.status() is not None

    def stop(self, component: str) -> int | None:
        """SIGTERM, bounded wait, then SIGKILL; the exit code of the graceful stop or None."""
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

    def tail(self, component: str, lines: int = 30) -> str:
        path = self.log(component)
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _answers(controller: HAProxyController) -> bool:
    async def ask() -> None:
        await controller.runtime.show_info()
        await controller.master.show_proc()

    try:
        trio.run(ask)
    except (RuntimeApiError, OSError):
        return False
    return True


@dataclass
class Federation:
    nodes: list[Node]

    def by_name(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def stop(self) -> dict[str, int | None]:
        """Stop agents first (they drive HAProxy), then HAProxy and gateways."""
        codes = {}
        for component in ("agent", "haproxy", "gateway"):
            for node in self.nodes:
                code = node.stop(component)
                if component == "agent":
                    codes[node.name] = code
        return codes


def start_federation(
    directory: Path,
    names: list[str],
    maxrates: dict[str, float],
    function: str = "shasum",
    period: str = "1s",
) -> Federation:
    """Gateways with `function` deployed, HAProxy with a bare config, then the agents."""
    addresses = [f"127.0.0.{11 + index}" for index in range(len(names))]
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
            _write_agent_config(node, nodes, pki.ca_file, period)
            _start_gateway(node, function, maxrates[node.name])
            _start_haproxy(node)
        for node in nodes:
            node.start(
                "agent", [str(BIN / "dfaas-agent"), "--config", str(node.config_file), "run"]
            )
        for node in nodes:
            wait_until(node.answers, f"{node.name} agent /status")
    except BaseException:
        federation.stop()
        raise
    return federation


def _write_agent_config(node: Node, nodes: list[Node], ca_file: Path, period: str) -> None:
    others = [other for other in nodes if other is not node]
    document = {
        "node_name": node.name,
        "node_ip": node.address,
        "listen": [f"/ip4/{node.address}/tcp/{node.ports.overlay}"],
        "private_key_file": str(node.directory / "private_key.pem"),
        "bootstrap_peers": [other.overlay_address for other in others],
        "bootstrap_backoff": "0.5s",
        "bootstrap_backoff_max": "2s",
        "kademlia_enabled": False,
        "members": [
            {"name": member.name, "peer_id": member.peer_id, "address": member.address}
            for member in nodes
        ],
        "strategy": "recalc",
        "period": period,
        "haproxy": {
            "binary": HAPROXY,
            "rendered_config_file": str(node.directory / "haproxy.cfg"),
            "state_dir": str(node.directory / "haproxy-state"),
            "master_socket": str(node.directory / "master.sock"),
            "admin_socket": str(node.directory / "admin.sock"),
            "public_port": node.ports.public,
            "peer_port": node.ports.peer,
            "exporter_port": node.ports.exporter,
            "bind_address": node.address,
            "peer_ca_file": str(ca_file),
            "peer_certificate_file": str(node.directory / "node.pem"),
        },
        "gateway_url": node.url(node.ports.gateway, ""),
        "prometheus_url": node.url(node.ports.prometheus, ""),
        "http_listen": f"{node.address}:{node.ports.api}",
        "log_level": "info",
    }
    node.config_file.write_text(yaml.safe_dump(document))


def _start_gateway(node: Node, function: str, maxrate: float) -> None:
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

    def deployed() -> bool:
        payload = {
            "service": function,
            "image": function,
            "labels": {"dfaas.maxrate": str(maxrate)},
        }
        try:
            response = httpx.post(
                node.url(node.ports.gateway, "/system/functions"), json=payload, timeout=2.0
            )
        except httpx.HTTPError:
            return False
        return response.status_code in (202, 409)

    wait_until(deployed, f"{function} deployed on {node.name}'s gateway")


def _start_haproxy(node: Node) -> None:
    """HAProxy with a bare configuration (no members, no functions) rendered for this node."""
    config = load_config(node.config_file, {})
    files = proxy_files(config)
    controller = HAProxyController(files, haproxy_binary=HAPROXY)
    layout = proxy_layout(config, node_id=node.peer_id, members=(), functions=())
    trio.run(controller.install, layout, ProxyTuning())
    node.start(
        "haproxy", [HAPROXY, "-W", "-S", str(files.master_socket), "-f", str(files.config_file)]
    )
    wait_until(lambda: _answers(controller), f"{node.name} HAProxy sockets")


def status_summary(federation: Federation) -> str:
    """For assertion messages: each node's last /status and the tail of its agent log."""
    parts = []
    for node in federation.nodes:
        parts.append(f"--- {node.name} /status: {json.dumps(node.status(), indent=1)}")
        parts.append(f"--- {node.name} agent log:\n{node.tail('agent')}")
    return "\n".join(parts)


@pytest.fixture
def start_nodes(tmp_path: Path) -> Iterator[Callable[..., Federation]]:
    """Start a federation; every process is stopped after the test."""
    started: list[Federation] = []

    def start(names: list[str], maxrates: dict[str, float], **options: Any) -> Federation:
        federation = start_federation(tmp_path, names, maxrates, **options)
        started.append(federation)
        return federation

    yield start
    for federation in started:
        federation.stop()
