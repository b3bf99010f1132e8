"""What a reload keeps: server health, rendered weights, and the excess that the
old worker still answers on kept-alive connections."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from dfaas_agent.haproxy.layout import FunctionSpec, Member, PeerTls, ProxyLayout, ProxyTuning
from dfaas_agent.haproxy.runtime_api import RuntimeApiError, exchange
from dfaas_agent.haproxy.stats import StatRow

from .conftest import (
    LOOPBACK,
    WAIT_S,
    FakeGateway,
    FederationCA,
    HAProxyNode,
    free_port,
    run,
    server_status,
    wait_until,
)

pytestmark = pytest.mark.component

# Node A runs nothing itself: every request is excess, and node B gets it all.
EXCESS_TO_B = ProxyTuning(local_limits={"figlet": 0}, weights={"figlet": {"QmNodeB": 100}})
OVERLOADED = "overloaded function figlet, no other DFaaS node available\n"
MAX_REQUESTS = 3000
MAX_LOAD_SECONDS = 20.0


def with_function(layout: ProxyLayout, name: str) -> ProxyLayout:
    return replace(layout, functions=(*layout.functions, FunctionSpec(name)))


def start_member_b(
    node_a: HAProxyNode,
    haproxy_factory: Callable[..., HAProxyNode],
    gateway_b: FakeGateway,
    federation_ca: FederationCA,
) -> HAProxyNode:
    """Node B at the peer port that node A's layout expects, with A as its member."""
    (member_b,) = node_a.layout.members
    layout = ProxyLayout(
        node_id="QmNodeB",
        node_name="node-b",
        gateway_host=LOOPBACK,
        gateway_port=gateway_b.port,
        members=(Member("QmNodeA", "node-a", LOOPBACK, node_a.layout.peer_port),),
        functions=(FunctionSpec("figlet"),),
        tls=PeerTls(federation_ca.ca_file, federation_ca.issue("QmNodeB").certificate_file),
        bind_address=LOOPBACK,
        public_port=free_port(),
        peer_port=member_b.peer_port,
        exporter_port=free_port(),
    )
    node_b = haproxy_factory(layout)
    wait_until(
        lambda: server_status(node_a, "members", "member_node-b") == "UP",
        "node-a to see node-b fully UP",
    )
    return node_b


@pytest.fixture
def node(node_a_with_member_b: HAProxyNode) -> HAProxyNode:
    """Node A with member B configured; B is not running unless a test starts it."""
    return node_a_with_member_b


@pytest.fixture
def federation(
    node: HAProxyNode,
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway_factory: Callable[[str], FakeGateway],
    federation_ca: FederationCA,
) -> tuple[HAProxyNode, FakeGateway]:
    """Node A sending all its excess to a running node B; returns A and B's gateway."""
    gateway_b = fake_gateway_factory("fake-gateway-b")
    start_member_b(node, haproxy_factory, gateway_b, federation_ca)
    run(node.controller.apply, node.layout, EXCESS_TO_B)
    return node, gateway_b


def test_a_member_down_before_a_reload_is_down_in_the_new_worker(
    node: HAProxyNode, http: httpx.Client
) -> None:
    wait_until(
        lambda: server_status(node, "members", "member_node-b") == "DOWN",
        "node-a to mark the absent node-b DOWN",
    )
    run(node.controller.apply, with_function(node.layout, "shasum"), EXCESS_TO_B)
    # Without the carried state the new worker starts it "UP 1/2" and sends it
    # requests until its checks fail again.
    assert server_status(node, "members", "member_node-b") == "DOWN"
    assert server_status(node, "fn_figlet", "member_node-b") == "DOWN"
    response = http.post(node.url("/function/figlet"), content=b"hi")
    assert (response.status_code, response.text) == (503, OVERLOADED)


def test_an_up_member_stays_fully_up_across_a_reload(
    federation: tuple[HAProxyNode, FakeGateway],
) -> None:
    node, _ = federation
    run(node.controller.apply, with_function(node.layout, "shasum"), EXCESS_TO_B)
    # Not "UP 1/2": one missed check right after the reload must not take it DOWN.
    assert server_status(node, "members", "member_node-b") == "UP"
    assert server_status(node, "fn_figlet", "member_node-b") == "UP"


def test_maintenance_set_at_runtime_survives_a_reload(node: HAProxyNode) -> None:
    run(node.controller.runtime.command, "set server members/member_node-b state maint")
    assert server_status(node, "members", "member_node-b") == "MAINT"
    run(node.controller.apply, with_function(node.layout, "shasum"), ProxyTuning())
    assert server_status(node, "members", "member_node-b") == "MAINT"
    assert server_status(node, "fn_figlet", "member_node-b").startswith("MAINT")


def test_a_reload_takes_the_rendered_weight_not_the_old_workers(node: HAProxyNode) -> None:
    # The live configuration has weight 0; the runtime API raises it to 100.
    run(node.controller.apply, node.layout, EXCESS_TO_B)
    assert _weight(node, "fn_figlet", "member_node-b") == 100
    # HAProxy would restore 100 from a state file, since the configured weight
    # (0) did not change: the function backends must not load state.
    run(node.controller.apply, with_function(node.layout, "shasum"), ProxyTuning())
    assert _weight(node, "fn_figlet", "member_node-b") == 0


def test_a_member_that_moved_is_not_given_its_old_state(node: HAProxyNode) -> None:
    wait_until(
        lambda: server_status(node, "members", "member_node-b") == "DOWN",
        "node-a to mark the absent node-b DOWN",
    )
    (member_b,) = node.layout.members
    moved = replace(node.layout, members=(replace(member_b, peer_port=free_port()),))
    run(node.controller.apply, moved, ProxyTuning())
    # HAProxy applies a state line's port too: carried, it would keep the old one.
    dump = run(node.controller.runtime.show_servers_state)
    member_line = next(line for line in dump.splitlines() if " member_node-b " in line)
    assert f" {moved.members[0].peer_port} " in f"{member_line} "
    assert f" {member_b.peer_port} " not in f"{member_line} "


def test_the_state_file_serves_one_reload_only(node: HAProxyNode) -> None:
    run(node.controller.apply, with_function(node.layout, "shasum"), ProxyTuning())
    assert node.files.server_state_file.read_text() == "1\n"
    config = node.files.config_file.read_text()
    assert f"server-state-file {node.files.server_state_file}\n" in config


def test_excess_on_a_connection_kept_by_the_old_worker_is_forwarded(
    federation: tuple[HAProxyNode, FakeGateway],
) -> None:
    node, gateway_b = federation
    connection = http.client.HTTPConnection(LOOPBACK, node.layout.public_port, timeout=5.0)
    try:
        first = _post(connection)
        assert (first.status, first.getheader("X-Server")) == (200, "node-b")
        old_pid = run(node.controller.runtime.show_info).pid
        run(node.controller.apply, with_function(node.layout, "shasum"), EXCESS_TO_B)
        wait_until(lambda: _is_stopping(node, old_pid), f"old worker {old_pid} to soft-stop")
        # The old worker answers this one request on the idle connection it kept
        # (idle-close-on-response) and closes it. Its backends are stopped there,
        # so nbsrv() reads 0: the excess must still be forwarded, not refused.
        second = _post(connection)
    finally:
        connection.close()
    assert second.getheader("Connection") == "close", "not answered by the old worker"
    assert (second.status, second.getheader("X-Server")) == (200, "node-b")
    assert len(gateway_b.function_paths()) == 2


def test_keep_alive_excess_requests_sent_during_reloads_are_all_answered(
    federation: tuple[HAProxyNode, FakeGateway],
) -> None:
    node, _ = federation
    layouts = [node.layout, with_function(node.layout, "shasum")]
    with KeepAliveLoad(node.url("/function/figlet")) as load:
        wait_until(lambda: load.answered > 0, "the first answers")
        for reload in range(4):
            run(node.controller.apply, layouts[(reload + 1) % 2], EXCESS_TO_B)
            answered = load.answered
            wait_until(lambda answered=answered: load.answered > answered + 5, "more answers")
    print(
        f"\nkeep-alive excess across 4 reloads: {load.answered} answered,"
        f" {load.closed_by_old_worker} by a stopping worker (Connection: close),"
        f" {len(load.failed)} failed {load.failed[:3]}"
    )
    assert load.answered > 0
    assert load.failed == []


class KeepAliveLoad:
    """One keep-alive client sending requests back to back from a thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answered = 0
        self.closed_by_old_worker = 0
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + MAX_LOAD_SECONDS
        with httpx.Client(timeout=5.0) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                if self.answered + len(self.failed) >= MAX_REQUESTS:
                    break
                try:
                    response = client.post(self.url, content=b"hi")
                except httpx.TransportError as error:
                    self.failed.append(repr(error))
                    continue
                if response.status_code == 200:
                    self.answered += 1
                    if response.headers.get("Connection") == "close":
                        self.closed_by_old_worker += 1
                else:
                    self.failed.append(f"HTTP {response.status_code}: {response.text!r}")

    def __enter__(self) -> KeepAliveLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=MAX_LOAD_SECONDS + WAIT_S)


def _post(connection: http.client.HTTPConnection) -> http.client.HTTPResponse:
    connection.request("POST", "/function/figlet", body=b"hi")
    response = connection.getresponse()
    response.read()
    return response


def _is_stopping(node: HAProxyNode, pid: int) -> bool:
    """Whether worker `pid` has begun its soft stop (asked through the master CLI)."""
    try:
        info = run(exchange, node.files.master_socket, f"@!{pid} show info", 3.0)
    except RuntimeApiError:
        return False
    return "Stopping: 1" in str(info)


def _weight(node: HAProxyNode, backend: str, server: str) -> int | None:
    rows: list[StatRow] = run(node.controller.runtime.show_stat)
    return next(r.weight for r in rows if (r.proxy, r.service) == (backend, server))
