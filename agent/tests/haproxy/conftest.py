"""Fixtures: a fake gateway, a throwaway federation CA, and real HAProxy nodes.

HAProxy is the real Debian binary in master-worker mode on free loopback ports
under tmp_path. The "gateway" is a fake: a tiny HTTP server standing in for the
FaaS gateway, which cannot run here.
"""

from __future__ import annotations

import datetime
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dfaas_agent.haproxy.controller import HAProxyController
from dfaas_agent.haproxy.layout import FunctionSpec, Member, PeerTls, ProxyLayout, ProxyTuning
from dfaas_agent.haproxy.render import ProxyFiles
from dfaas_agent.haproxy.runtime_api import RuntimeApiError
from dfaas_agent.haproxy.stats import StatRow

LOOPBACK = "127.0.0.1"
WAIT_S = 10.0  # upper bound of every wait for a process or a state


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


# --- fake gateway ---------------------------------------------------------------


@dataclass
class FakeGateway:
    """Stands in for the node's FaaS gateway and records what reached it."""

    label: str
    server: ThreadingHTTPServer
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def function_paths(self) -> list[str]:
        return [path for path, _ in self.requests if path.startswith("/function/")]


def _gateway_handler(gateway: FakeGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.path == "/healthz":
                body = b"OK"
            elif self.path == "/system/functions":
                body = json.dumps([{"name": "figlet"}]).encode()
            else:
                gateway.requests.append((self.path, dict(self.headers.items())))
                body = f"{gateway.label} ran {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Fake-Gateway", gateway.label)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test asserts on `gateway.requests` instead."""

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """HAProxy's health checks close with a reset: not worth a traceback."""


@pytest.fixture
def fake_gateway_factory() -> Iterator[Callable[[str], FakeGateway]]:
    started: list[FakeGateway] = []

    def start(label: str) -> FakeGateway:
        server = _QuietServer((LOOPBACK, 0), BaseHTTPRequestHandler)
        gateway = FakeGateway(label, server)
        server.RequestHandlerClass = _gateway_handler(gateway)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.server.shutdown()
        gateway.server.server_close()


@pytest.fixture
def fake_gateway(fake_gateway_factory: Callable[[str], FakeGateway]) -> FakeGateway:
    return fake_gateway_factory("fake-gateway-a")


# --- throwaway federation CA ------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """A certificate (CN = peer ID) with its key, as PEM files."""

    certificate_file: Path  # certificate + key, HAProxy's `crt`
    key_file: Path
    cert_only_file: Path


@dataclass(frozen=True)
class FederationCA:
    ca_file: Path
    issue: Callable[[str], Identity]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(directory: Path, label: str) -> FederationCA:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} test CA"))
        .issuer_name(_name(f"{label} test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / f"{label}-ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

    def issue(peer_id: str) -> Identity:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(peer_id))
            .issuer_name(ca_cert.subject)
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
            .sign(ca_key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        stem = directory / f"{label}-{peer_id}"
        bundle, key_file, cert_only = (
            stem.with_suffix(".pem"),
            stem.with_suffix(".key"),
            stem.with_suffix(".crt"),
        )
        bundle.write_bytes(cert_pem + key_pem)
        key_file.write_bytes(key_pem)
        cert_only.write_bytes(cert_pem)
        return Identity(bundle, key_file, cert_only)

    return FederationCA(ca_file, issue)


@pytest.fixture
def federation_ca(tmp_path: Path) -> FederationCA:
    return make_ca(tmp_path / "pki", "federation")


# --- real HAProxy nodes --------------------------------------------------------------


def run(coroutine_function: Callable[..., Any], *args: Any) -> Any:
    return trio.run(coroutine_function, *args)


@dataclass
class HAProxyNode:
    """A running master-worker HAProxy driven by a controller."""

    controller: HAProxyController
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def files(self) -> ProxyFiles:
        return self.controller.files

    @property
    def layout(self) -> ProxyLayout:
        layout = self.controller.applied_layout
        assert layout is not None
        return layout

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.layout.public_port}{path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=WAIT_S)


def _answers(controller: HAProxyController) -> bool:
    try:
        run(controller.runtime.show_info)
        run(controller.master.show_proc)
    except RuntimeApiError:
        return False
    return True


@pytest.fixture
def haproxy_factory(tmp_path: Path) -> Iterator[Callable[..., HAProxyNode]]:
    nodes: list[HAProxyNode] = []

    def start(
        layout: ProxyLayout, tuning: ProxyTuning | None = None, **controller_options: Any
    ) -> HAProxyNode:
        directory = tmp_path / layout.node_name
        directory.mkdir()
        files = ProxyFiles(
            config_file=directory / "haproxy.cfg",
            state_dir=directory / "state",
            stats_socket=directory / "stats.sock",
            master_socket=directory / "master.sock",
        )
        controller = HAProxyController(files, **controller_options)
        run(controller.install, layout, tuning or ProxyTuning())
        log_file = directory / "haproxy.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                ["haproxy", "-W", "-S", str(files.master_socket), "-f", str(files.config_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        node = HAProxyNode(controller, process, log_file)
        nodes.append(node)
        wait_until(lambda: _answers(controller), f"HAProxy {layout.node_name} sockets")
        wait_until(lambda: local_server_is_up(node), f"HAProxy {layout.node_name} sees its gateway")
        return node

    yield start
    for node in nodes:
        node.stop()


def local_server_is_up(node: HAProxyNode) -> bool:
    rows: list[StatRow] = run(node.controller.runtime.show_stat)
    return any(r.proxy == "gateway" and r.service == "local" and r.status == "UP" for r in rows)


def server_status(node: HAProxyNode, backend: str, server: str) -> str:
    rows: list[StatRow] = run(node.controller.runtime.show_stat)
    return next(r.status for r in rows if r.proxy == backend and r.service == server)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def node_a_with_member_b(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway: FakeGateway,
    federation_ca: FederationCA,
) -> HAProxyNode:
    """Node A serving `figlet`, with member node-b configured but not running: only
    node-b's configuration and certificate matter."""
    layout = ProxyLayout(
        node_id="QmNodeA",
        node_name="node-a",
        gateway_host=LOOPBACK,
        gateway_port=fake_gateway.port,
        members=(Member("QmNodeB", "node-b", LOOPBACK, free_port()),),
        functions=(FunctionSpec("figlet"),),
        tls=PeerTls(federation_ca.ca_file, federation_ca.issue("QmNodeA").certificate_file),
        bind_address=LOOPBACK,
        public_port=free_port(),
        peer_port=free_port(),
        exporter_port=free_port(),
    )
    return haproxy_factory(layout)
