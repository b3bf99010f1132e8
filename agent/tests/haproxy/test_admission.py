"""Admission that follows what the runtime can execute, with real HAProxy nodes.

The fake gateways can hold their calls (`hold`/`release`), so that a test fills a
node's execution slots and queue exactly, then looks at where the next request goes.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from dfaas_agent.haproxy.layout import FunctionSpec, PeerTls, ProxyLayout, ProxyTuning
from dfaas_agent.haproxy.render import Timeouts

from .conftest import (
    LOOPBACK,
    WAIT_S,
    FakeGateway,
    Federation,
    FederationCA,
    HAProxyNode,
    StartFederation,
    free_port,
    layout_with_member_b,
    peer_url,
    queued,
    run,
    wait_until,
)

pytestmark = pytest.mark.component


def slots(count: int, queue: int, **tuning: dict) -> ProxyTuning:
    """A tuning where figlet has `count` execution slots and `queue` queue places."""
    return ProxyTuning(slots={"figlet": count}, queue_places={"figlet": queue}, **tuning)


@dataclass
class Pending:
    """A request sent in the background; `answer()` waits for its response."""

    thread: threading.Thread
    result: list[httpx.Response | Exception] = field(default_factory=list)

    def answer(self) -> httpx.Response:
        self.thread.join(WAIT_S)
        assert self.result, "no answer in time"
        outcome = self.result[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def send() -> Iterator[Callable[..., Pending]]:
    """`send(url, client=None)`: POST in a thread (a client of its own by default)."""
    pending: list[Pending] = []

    def start(url: str, client: httpx.Client | None = None) -> Pending:
        request = Pending(threading.Thread(target=lambda: None))

        def post() -> None:
            try:
                if client is not None:
                    request.result.append(client.post(url, content=b"hi"))
                    return
                with httpx.Client(timeout=WAIT_S) as own_client:
                    request.result.append(own_client.post(url, content=b"hi"))
            except httpx.HTTPError as error:
                request.result.append(error)

        request.thread = threading.Thread(target=post, daemon=True)
        request.thread.start()
        pending.append(request)
        return request

    yield start
    for request in pending:
        request.thread.join(WAIT_S)


def standalone(
    haproxy_factory: Callable[..., HAProxyNode],
    gateway: FakeGateway,
    tuning: ProxyTuning,
    *,
    admitted_peers: frozenset[str] | None = None,
    tls: PeerTls | None = None,
) -> HAProxyNode:
    layout = ProxyLayout(
        node_id="QmNodeA",
        node_name="node-a",
        gateway_host=LOOPBACK,
        gateway_port=gateway.port,
        functions=(FunctionSpec("figlet"),),
        tls=tls,
        admitted_peers=admitted_peers,
        bind_address=LOOPBACK,
        public_port=free_port(),
        peer_port=free_port(),
        exporter_port=free_port(),
    )
    return haproxy_factory(layout, tuning)


def fill(
    node: HAProxyNode,
    gateway: FakeGateway,
    send: Callable[..., Pending],
    running: int,
    waiting: int,
) -> list[Pending]:
    """`running` calls held at the gateway, then `waiting` more in node's queue."""
    sent = []
    for count in range(1, running + 1):
        sent.append(send(node.url("/function/figlet")))
        wait_until(lambda count=count: gateway.inflight == count, f"{count} calls running")
    for count in range(1, waiting + 1):
        sent.append(send(node.url("/function/figlet")))
        wait_until(
            lambda count=count: queued(node, "run_figlet") == count, f"{count} requests queued"
        )
    return sent


def test_a_burst_beyond_the_slots_waits_in_the_queue_instead_of_being_refused(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway: FakeGateway,
    send: Callable[..., Pending],
) -> None:
    node = standalone(haproxy_factory, fake_gateway, slots(1, 2))
    fake_gateway.hold()
    burst = fill(node, fake_gateway, send, running=1, waiting=2)
    # The runtime never sees more than its one slot's worth at once.
    assert fake_gateway.inflight == 1
    fake_gateway.open()
    assert [request.answer().status_code for request in burst] == [200, 200, 200]


def test_without_a_member_a_request_beyond_slots_and_queue_gets_503_at_once(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway: FakeGateway,
    send: Callable[..., Pending],
    http: httpx.Client,
) -> None:
    node = standalone(haproxy_factory, fake_gateway, slots(1, 1))
    fake_gateway.hold()
    held = fill(node, fake_gateway, send, running=1, waiting=1)
    response = http.post(node.url("/function/figlet"), content=b"hi")
    assert response.status_code == 503
    assert len(fake_gateway.function_paths()) == 1
    fake_gateway.open()
    assert [request.answer().status_code for request in held] == [200, 200]


def test_a_request_beyond_slots_and_queue_goes_to_a_member_without_waiting_for_a_period(
    start_federation: StartFederation, send: Callable[..., Pending], http: httpx.Client
) -> None:
    # No rate limit at all: only the slots decide that node-a is full.
    federation = start_federation(("a", "b"), slots(1, 0, weights={"figlet": {"QmNodeB": 100}}))
    federation.gateway_a.hold()
    held = fill(federation.a, federation.gateway_a, send, running=1, waiting=0)
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert (response.status_code, response.headers["X-Server"]) == (200, "node-b")
    federation.gateway_a.open()
    assert held[0].answer().headers["X-Server"] == "node-a"


def test_a_free_slot_does_not_run_more_than_the_local_limit_here(
    start_federation: StartFederation, http: httpx.Client
) -> None:
    # The local limit (dfaas.maxrate) is the operator's word on capacity: 0 req/s here.
    tuning = slots(1, 0, local_limits={"figlet": 0}, weights={"figlet": {"QmNodeB": 100}})
    federation = start_federation(("a", "b"), tuning)
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert response.headers["X-Server"] == "node-b"


def test_own_clients_waiting_for_a_slot_go_before_members_requests(
    node_a_with_member_b: HAProxyNode,
    fake_gateway: FakeGateway,
    member_b: httpx.Client,
    send: Callable[..., Pending],
) -> None:
    node = node_a_with_member_b
    run(node.controller.apply, node.layout, slots(1, 3))
    fake_gateway.hold()
    first = send(node.url("/function/figlet?who=own-1"))
    wait_until(lambda: fake_gateway.inflight == 1, "the first call running")
    from_member = send(peer_url(node, "/function/figlet?who=member"), member_b)
    wait_until(lambda: queued(node, "run_figlet") == 1, "the member's request queued")
    second = send(node.url("/function/figlet?who=own-2"))
    wait_until(lambda: queued(node, "run_figlet") == 2, "the second own request queued")

    fake_gateway.release()
    wait_until(lambda: len(fake_gateway.function_paths()) == 2, "the next call to start")
    fake_gateway.open()
    wait_until(lambda: len(fake_gateway.function_paths()) == 3, "every call to start")

    assert fake_gateway.function_paths() == [
        "/function/figlet?who=own-1",
        "/function/figlet?who=own-2",
        "/function/figlet?who=member",
    ]
    assert [r.answer().status_code for r in (first, second, from_member)] == [200, 200, 200]


def test_a_members_request_running_here_never_pushes_an_own_client_out(
    node_a_with_member_b: HAProxyNode,
    fake_gateway: FakeGateway,
    member_b: httpx.Client,
    send: Callable[..., Pending],
) -> None:
    # One slot and one queue place, the slot held by a member's request: own clients
    # still have their two places (they wait for the slot instead of being sent away),
    # and the member finds no room left.
    node = node_a_with_member_b
    run(node.controller.apply, node.layout, slots(1, 1))
    fake_gateway.hold()
    from_member = send(peer_url(node, "/function/figlet?who=member"), member_b)
    wait_until(lambda: fake_gateway.inflight == 1, "the member's call running")
    own = []
    for count in (1, 2):
        own.append(send(node.url(f"/function/figlet?who=own-{count}")))
        wait_until(
            lambda count=count: queued(node, "run_figlet") == count, f"own request {count} queued"
        )
    refused = member_b.post(peer_url(node, "/function/figlet?who=late"), content=b"hi")
    assert (refused.status_code, refused.headers["DFaaS-Refused"]) == (503, "full")

    fake_gateway.open()
    answers = [request.answer() for request in (from_member, *own)]
    assert [(r.status_code, r.headers["X-Server"]) for r in answers] == [(200, "node-a")] * 3
    assert fake_gateway.function_paths() == [
        "/function/figlet?who=member",
        "/function/figlet?who=own-1",
        "/function/figlet?who=own-2",
    ]


def test_a_member_beyond_its_grant_runs_while_the_node_is_under_its_limit(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway: FakeGateway,
    federation_ca: FederationCA,
    member_b: httpx.Client,
) -> None:
    # No rate granted to node-b, a local limit of 1 req/s: the first request fits under
    # the limit, the next one does not. A 60 s rate window keeps that true however
    # slowly a busy machine sends the two.
    layout = layout_with_member_b(fake_gateway, federation_ca)
    tuning = slots(2, 2, local_limits={"figlet": 1}, admitted_rates={"figlet": {"QmNodeB": 0}})
    node = haproxy_factory(layout, tuning, timeouts=Timeouts(rate_window_s=60))
    url = peer_url(node, "/function/figlet")
    assert member_b.post(url, content=b"hi").status_code == 200
    refused = member_b.post(url, content=b"hi")
    assert (refused.status_code, refused.headers["DFaaS-Refused"]) == (503, "over-grant")


def test_a_member_is_refused_when_no_slot_or_queue_place_is_left(
    node_a_with_member_b: HAProxyNode,
    fake_gateway: FakeGateway,
    member_b: httpx.Client,
    send: Callable[..., Pending],
) -> None:
    node = node_a_with_member_b
    run(node.controller.apply, node.layout, slots(1, 1))
    fake_gateway.hold()
    held = fill(node, fake_gateway, send, running=1, waiting=1)
    refused = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert (refused.status_code, refused.headers["DFaaS-Refused"]) == (503, "full")
    fake_gateway.open()
    assert [r.answer().status_code for r in held] == [200, 200]


def test_a_request_refused_by_one_member_is_tried_on_another(
    start_federation: StartFederation, http: httpx.Client
) -> None:
    # node-b refuses everything node-a sends (no grant, no room); node-c takes it.
    refuses_a = ProxyTuning(local_limits={"figlet": 0}, admitted_rates={"figlet": {"QmNodeA": 0}})
    half_each = ProxyTuning(
        local_limits={"figlet": 0}, weights={"figlet": {"QmNodeB": 50, "QmNodeC": 50}}
    )
    federation = start_federation(("a", "b", "c"), half_each, {"b": refuses_a})
    answers = [http.post(federation.a.url("/function/figlet"), content=b"hi") for _ in range(6)]
    assert [(r.status_code, r.headers["X-Server"]) for r in answers] == [(200, "node-c")] * 6
    assert federation.gateways["b"].function_paths() == []


def test_a_request_refused_by_two_members_is_tried_on_a_third(
    start_federation: StartFederation, http: httpx.Client
) -> None:
    # node-b and node-c both refuse what node-a sends (a node restarting, or full);
    # node-d takes it: each attempt is one hop, to a member that did not run it. Equal
    # weights: round robin then walks the members in turn (a redispatch avoids only the
    # member tried last, so with unequal weights a third attempt may meet the first).
    refuses_a = ProxyTuning(local_limits={"figlet": 0}, admitted_rates={"figlet": {"QmNodeA": 0}})
    thirds = ProxyTuning(
        local_limits={"figlet": 0},
        weights={"figlet": {"QmNodeB": 10, "QmNodeC": 10, "QmNodeD": 10}},
    )
    federation = start_federation(("a", "b", "c", "d"), thirds, {"b": refuses_a, "c": refuses_a})
    answers = [http.post(federation.a.url("/function/figlet"), content=b"hi") for _ in range(6)]
    assert [(r.status_code, r.headers["X-Server"]) for r in answers] == [(200, "node-d")] * 6
    assert federation.gateways["b"].function_paths() == []
    assert federation.gateways["c"].function_paths() == []


def _node_a_forwarding_to_b_which_answers_503(
    start_federation: StartFederation, headers: dict[str, str]
) -> Federation:
    """node-a sends all its requests to node-b and node-c in turn; node-b's runtime
    answers 503 with `headers`."""
    half_each = ProxyTuning(
        local_limits={"figlet": 0}, weights={"figlet": {"QmNodeB": 50, "QmNodeC": 50}}
    )
    federation = start_federation(("a", "b", "c"), half_each)
    federation.gateways["b"].status = 503
    federation.gateways["b"].headers = headers
    return federation


def test_a_functions_own_503_at_a_member_is_answered_once_never_tried_elsewhere(
    start_federation: StartFederation, http: httpx.Client
) -> None:
    # node-b's function answers 503 itself: it ran, so running it again on node-c
    # would run it twice. Every request runs exactly once, and the client sees 503.
    forged = {"DFaaS-Function-Status": "200"}  # the function's own header: ignored
    federation = _node_a_forwarding_to_b_which_answers_503(start_federation, forged)
    answers = [http.post(federation.a.url("/function/figlet"), content=b"hi") for _ in range(6)]
    ran = len(federation.gateways["b"].function_paths()) + len(
        federation.gateways["c"].function_paths()
    )
    assert ran == len(answers)
    assert sorted((r.status_code, r.headers["X-Server"]) for r in answers) == (
        [(200, "node-c")] * 3 + [(503, "node-b")] * 3
    )
    assert all("DFaaS-Function-Status" not in r.headers for r in answers)


def test_a_functions_own_503_reaches_own_clients_as_it_is_and_members_marked_as_run(
    node_a_with_member_b: HAProxyNode,
    fake_gateway: FakeGateway,
    member_b: httpx.Client,
    http: httpx.Client,
) -> None:
    fake_gateway.status = 503
    fake_gateway.headers = {"DFaaS-Function-Status": "200"}  # the function's own header
    node = node_a_with_member_b
    own = http.post(node.url("/function/figlet"), content=b"hi")
    assert (own.status_code, own.headers["DFaaS-Function-Status"]) == (503, "200")
    forwarded = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert (forwarded.status_code, forwarded.headers["DFaaS-Function-Status"]) == (502, "503")
    assert "DFaaS-Refused" not in forwarded.headers


def test_a_runtimes_own_refusal_at_a_member_is_tried_on_another(
    start_federation: StartFederation, http: httpx.Client
) -> None:
    # node-b's runtime lacks what the function needs (503 with DFaaS-Refused): the
    # function did not run there, so node-c runs it.
    refusal = {"DFaaS-Refused": "unavailable"}
    federation = _node_a_forwarding_to_b_which_answers_503(start_federation, refusal)
    answers = [http.post(federation.a.url("/function/figlet"), content=b"hi") for _ in range(6)]
    assert [(r.status_code, r.headers["X-Server"]) for r in answers] == [(200, "node-c")] * 6


def test_a_member_request_the_runtime_refuses_is_answered_503_for_its_sender_to_retry(
    node_a_with_member_b: HAProxyNode,
    fake_gateway: FakeGateway,
    member_b: httpx.Client,
    http: httpx.Client,
) -> None:
    fake_gateway.status = 429  # the runtime's own slots are full
    node = node_a_with_member_b
    refused = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert (refused.status_code, refused.headers["DFaaS-Refused"]) == (503, "runtime-busy")
    # The node's own client sees the runtime's answer as it is.
    assert http.post(node.url("/function/figlet"), content=b"hi").status_code == 429


def test_a_configured_member_that_is_not_in_the_live_layout_is_still_served(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway: FakeGateway,
    federation_ca: FederationCA,
    member_b: httpx.Client,
) -> None:
    # node-b's agent is down, so node-a's layout has no live member; node-b's HAProxy
    # still forwards to node-a, which must run its requests, not answer 403.
    tls = PeerTls(federation_ca.ca_file, federation_ca.issue("QmNodeA").certificate_file)
    node = standalone(
        haproxy_factory, fake_gateway, ProxyTuning(), admitted_peers=frozenset({"QmNodeB"}), tls=tls
    )
    response = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert response.status_code == 200
    assert fake_gateway.function_paths() == ["/function/figlet"]


def test_a_client_trickling_its_body_holds_no_execution_slot(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway: FakeGateway,
    http: httpx.Client,
    tmp_path: Path,
) -> None:
    node = standalone(haproxy_factory, fake_gateway, slots(1, 0))
    with socket.create_connection((LOOPBACK, node.layout.public_port), timeout=WAIT_S) as slow:
        slow.sendall(
            b"POST /function/figlet HTTP/1.1\r\nHost: node-a\r\nContent-Length: 1000\r\n\r\n"
            + b"x" * 10
        )
        # HAProxy is holding the half-received request: the one slot stays free.
        for _ in range(3):
            response = http.post(node.url("/function/figlet"), content=b"hi")
            assert (response.status_code, response.headers["X-Server"]) == (200, "node-a")
        assert fake_gateway.function_paths() == ["/function/figlet"] * 3
