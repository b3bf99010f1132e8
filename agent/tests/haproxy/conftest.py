"""Fixtures: a fake gateway, a throwaway federation CA, and real HAProxy nodes.

HAProxy is the real Debian binary in master-worker mode on free loopback ports
under tmp_path, started by `dfaas_testing.start_haproxy`; the CA is
`dfaas_testing.FederationPki`. The "gateway" is a fake: a tiny HTTP server
standing in for the FaaS gateway, so that a test sees exactly what reached it.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from dfaas_agent.haproxy.controller import HAProxyController
from dfaas_agent.haproxy.layout import (
    FunctionSpec,
    HealthCheck,
    Member,
    PeerTls,
    ProxyLayout,
    ProxyTuning,
)
from dfaas_agent.haproxy.render import ProxyFiles
from dfaas_agent.haproxy.stats import StatRow
from dfaas_testing import (
    FederationPki,
    HAProxyProcess,
    IssuedCertificate,
    free_port,
    start_haproxy,
)
from dfaas_testing import wait_until as _wait_until

LOOPBACK = "127.0.0.1"
WAIT_S = 10.0  # upper bound of every wait for a process or a state


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    _wait_until(condition, what, timeout_s)


# --- fake gateway ---------------------------------------------------------------


@dataclass
class FakeGateway:
    """Stands in for the node's FaaS gateway and records what reached it."""

    label: str
    server: ThreadingHTTPServer
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    gate: threading.Semaphore | None = None
    """When set (`hold`), each function call waits for a `release` before it answers."""
    inflight: int = 0
    status: int = 200
    """What function calls answer (429 plays a runtime whose own slots are full)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers of function calls' answers."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def hold(self) -> None:
        """From now on, function calls run until released, one `release` each."""
        self.gate = threading.Semaphore(0)

    def release(self, calls: int = 1) -> None:
        assert self.gate is not None, "hold() first"
        self.gate.release(calls)

    def open(self) -> None:
        """Let every call through, now and from now on."""
        gate, self.gate = self.gate, None
        if gate is not None:
            gate.release(1000)

    def run_call(self) -> None:
        gate = self.gate
        if gate is None:
            return
        with self._lock:
            self.inflight += 1
        try:
            gate.acquire(timeout=WAIT_S)  # bounded: a test that forgets still ends
        finally:
            with self._lock:
                self.inflight -= 1

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
                gateway.run_call()
                body = f"{gateway.label} ran {self.path}".encode()
            status = gateway.status if self.path.startswith("/function/") else 200
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Fake-Gateway", gateway.label)
            if self.path.startswith("/function/"):
                for name, value in gateway.headers.items():
                    self.send_header(name, value)
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
        gateway.open()
        gateway.server.shutdown()
        gateway.server.server_close()


@pytest.fixture
def fake_gateway(fake_gateway_factory: Callable[[str], FakeGateway]) -> FakeGateway:
    return fake_gateway_factory("fake-gateway-a")


# --- throwaway federation CA (dfaas_testing.pki) --------------------------------

Identity = IssuedCertificate
FederationCA = FederationPki


def make_ca(directory: Path, label: str) -> FederationCA:
    """A CA whose files are named after `label` (`federation`, `outsider`...)."""
    return FederationPki.create(directory, label)


@pytest.fixture
def federation_ca(tmp_path: Path) -> FederationCA:
    return make_ca(tmp_path / "pki", "federation")


# --- real HAProxy nodes (dfaas_testing.haproxy) ---------------------------------


def run(coroutine_function: Callable[..., Any], *args: Any) -> Any:
    return trio.run(coroutine_function, *args)


def wait_counted(runtime: Any, backend: str, at_least: int) -> None:
    """Wait until HAProxy's count of `backend`'s requests reaches `at_least`: it counts a
    request when its stream ends, which can come after the client has the answer."""
    wait_until(
        lambda: run(runtime.request_counters).backends.get(backend, 0) >= at_least,
        f"{at_least} requests counted on {backend}",
    )


class HAProxyNode(HAProxyProcess):
    """A running master-worker HAProxy on loopback, driven by its controller."""

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.layout.public_port}{path}"


@pytest.fixture
def haproxy_factory(tmp_path: Path) -> Iterator[Callable[..., HAProxyNode]]:
    """`start(layout, tuning=None, **controller_options)`: HAProxy on `layout`, once its
    sockets answer and it sees its gateway UP; every one is stopped after the test."""
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
        started = start_haproxy(
            f"HAProxy {layout.node_name}",
            controller,
            layout,
            tuning,
            log_file=directory / "haproxy.log",
            timeout_s=WAIT_S,
        )
        node = HAProxyNode(started.name, controller, started.process, started.log_file)
        nodes.append(node)
        wait_until(lambda: local_server_is_up(node), f"HAProxy {layout.node_name} sees its gateway")
        return node

    yield start
    for node in nodes:
        node.stop(WAIT_S)


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
    return haproxy_factory(layout_with_member_b(fake_gateway, federation_ca))


def layout_with_member_b(fake_gateway: FakeGateway, federation_ca: FederationCA) -> ProxyLayout:
    """Node A's layout: `figlet` on `fake_gateway`, member node-b (not running) on a free port."""
    return ProxyLayout(
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


# --- federations of real HAProxy nodes in front of fake gateways --------------------

HEALTH = HealthCheck(interval_s=1, fall=2, rise=2)


@dataclass
class Federation:
    nodes: dict[str, HAProxyNode]
    gateways: dict[str, FakeGateway]

    @property
    def a(self) -> HAProxyNode:
        return self.nodes["a"]

    @property
    def b(self) -> HAProxyNode:
        return self.nodes["b"]

    @property
    def gateway_a(self) -> FakeGateway:
        return self.gateways["a"]

    @property
    def gateway_b(self) -> FakeGateway:
        return self.gateways["b"]


StartFederation = Callable[..., Federation]
"""`start(names, tuning, others=None)`: see the `start_federation` fixture."""


@pytest.fixture
def start_federation(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway_factory: Callable[[str], FakeGateway],
    federation_ca: FederationCA,
) -> StartFederation:
    """Nodes named `names`, all members of each other; the first one gets `tuning`,
    the others `others[name]` (default: none). Returns once the first sees the others UP."""

    def start(
        names: tuple[str, ...],
        tuning: ProxyTuning,
        others: dict[str, ProxyTuning] | None = None,
    ) -> Federation:
        gateways = {name: fake_gateway_factory(f"fake-gateway-{name}") for name in names}
        peer_ports = {name: free_port() for name in names}

        def layout(name: str) -> ProxyLayout:
            return ProxyLayout(
                node_id=f"QmNode{name.upper()}",
                node_name=f"node-{name}",
                gateway_host=LOOPBACK,
                gateway_port=gateways[name].port,
                members=tuple(
                    Member(f"QmNode{other.upper()}", f"node-{other}", LOOPBACK, peer_ports[other])
                    for other in names
                    if other != name
                ),
                functions=(FunctionSpec("figlet"),),
                tls=PeerTls(
                    federation_ca.ca_file,
                    federation_ca.issue(f"QmNode{name.upper()}").certificate_file,
                ),
                bind_address=LOOPBACK,
                public_port=free_port(),
                peer_port=peer_ports[name],
                exporter_port=free_port(),
                health_check=HEALTH,
            )

        first, *rest = names
        nodes = {name: haproxy_factory(layout(name), (others or {}).get(name)) for name in rest}
        nodes[first] = haproxy_factory(layout(first), tuning)
        for other in rest:
            wait_until(
                lambda other=other: (
                    server_status(nodes[first], "members", f"member_node-{other}") == "UP"
                ),
                f"node-{first} to see node-{other} UP",
            )
        return Federation(nodes, gateways)

    return start


# --- clients of the peer port ------------------------------------------------------


def peer_client(federation_ca: FederationCA, identity: Identity | None) -> httpx.Client:
    """A client of a node's peer port, with `identity`'s certificate (None: without one)."""
    context = ssl.create_default_context(cafile=str(federation_ca.ca_file))
    context.check_hostname = False  # node certificates name peer IDs, not 127.0.0.1
    if identity is not None:
        context.load_cert_chain(identity.cert_only_file, identity.key_file)
    return httpx.Client(verify=context, timeout=5.0)


@pytest.fixture
def member_b(federation_ca: FederationCA) -> Iterator[httpx.Client]:
    """Member node-b (peer ID QmNodeB) as a client of other nodes' peer ports."""
    with peer_client(federation_ca, federation_ca.issue("QmNodeB")) as client:
        yield client


def peer_url(node: HAProxyNode, path: str) -> str:
    return f"https://{LOOPBACK}:{node.layout.peer_port}{path}"


def queued(node: HAProxyNode, backend: str) -> int:
    """Requests waiting for a slot in `backend` now, by HAProxy's `show stat`."""
    rows: list[StatRow] = run(node.controller.runtime.show_stat)
    return sum(r.queued for r in rows if r.proxy == backend and r.service == "BACKEND")
