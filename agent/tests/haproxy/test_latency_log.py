"""HAProxy's per-request log datagrams: read strictly, observed only for the layout's
functions and servers, everything else counted as dropped; the UDP listener on trio."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from dfaas_agent.haproxy.latency_log import (
    CLIENT_ORIGIN,
    LOCAL_ROUTE,
    MEMBER_ORIGIN,
    MEMBER_ROUTE,
    DroppedDatagram,
    RequestTiming,
    RouteCatalogue,
)
from dfaas_agent.haproxy.layout import FunctionSpec, Member, PeerTls, ProxyLayout
from dfaas_agent.haproxy.log_listener import serve_log_datagrams
from dfaas_agent.loop.latency import LatencyRecorder
from dfaas_agent.metrics import AgentMetrics

HEADER = b"<134>1 2026-12-07T05:01:02.345678+00:00 node-a haproxy 4242 - "
TRAILER = b' 127.0.0.1:5123 [07/Dec/2026:05:01:02.333] public run_figlet/local 0/0/1/12/13 200 "POST /function/figlet HTTP/1.1"'  # noqa: E501


def layout(
    functions: tuple[str, ...] = ("figlet", "my_fn"), members: tuple[str, ...] = ("node-b",)
) -> ProxyLayout:
    return ProxyLayout(
        node_id="QmNodeA",
        node_name="node-a",
        gateway_host="127.0.0.1",
        gateway_port=8080,
        members=tuple(Member(f"Qm{name.replace('-', '')}", name, "10.0.0.2") for name in members),
        functions=tuple(FunctionSpec(name) for name in functions),
        tls=PeerTls(ca_file=Path("/ca.pem"), certificate_file=Path("/node.pem")),
    )


def datagram(fields: str, header: bytes = HEADER) -> bytes:
    return header + f'[dfaas@32473 r="{fields}"]'.encode() + TRAILER


CATALOGUE = RouteCatalogue.of(layout())


# --- reading one datagram ---------------------------------------------------------------


def test_a_local_run_for_an_own_client_is_read_with_its_timers() -> None:
    timing = CATALOGUE.read(datagram("public run_figlet local 200 3 12 17"))

    assert timing == RequestTiming("figlet", LOCAL_ROUTE, "local", CLIENT_ORIGIN, 200, 3, 12, 17)
    assert timing.status_class == "2xx"


def test_a_request_sent_to_a_member_is_named_by_the_members_node_name() -> None:
    timing = CATALOGUE.read(datagram("public fn_figlet member_node-b 200 -1 40 45"))

    assert (timing.function, timing.route, timing.server) == ("figlet", MEMBER_ROUTE, "node-b")
    assert timing.queue_ms == -1  # never queued: HAProxy writes -1


def test_a_members_request_run_here_has_the_member_origin() -> None:
    timing = CATALOGUE.read(datagram("peers run_figlet local 503 0 2 2"))

    assert (timing.origin, timing.route, timing.status_class) == (MEMBER_ORIGIN, "local", "5xx")


def test_an_escaped_function_name_maps_back_to_the_function() -> None:
    timing = CATALOGUE.read(datagram("public run_my_5ffn local 200 0 1 1"))

    assert timing.function == "my_fn"


def test_a_request_with_no_answer_sent_has_status_class_none() -> None:
    timing = CATALOGUE.read(datagram("public run_figlet local -1 0 -1 9000"))

    assert timing.status_class == "none"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "foreign"),
        (b"hello", "foreign"),
        (b"<134>Dec  7 05:01:02 haproxy[42]: public run_figlet/local 0/0/1/12/13 200", "foreign"),
        (b"<134>2 2026-12-07T05:01:02Z h haproxy 1 - - message", "foreign"),
        (b"<999>1 2026-12-07T05:01:02Z h haproxy 1 - - message", "foreign"),
        (HEADER + b"- Server gateway/local is UP, reason: Layer7 check passed", "event"),
        (HEADER + b"-no space after the nil structured data", "foreign"),
        (HEADER + b'[other@1 r="public run_figlet local 200 0 1 1"]', "foreign"),
        (datagram("prometheus run_figlet local 200 0 1 1"), "foreign"),
        (HEADER + b'[dfaas@32473 r="public run_figlet local 200 0 1 1', "malformed"),
        (datagram("public run_figlet local 200 0 1"), "malformed"),
        (datagram("public run_figlet local 200 0 1 1 1"), "malformed"),
        (datagram("public run_figlet  local 200 0 1 1"), "malformed"),
        (datagram("public run_figlet local OK 0 1 1"), "malformed"),
        (datagram("public run_figlet local 200 0 1 1.5"), "malformed"),
        (datagram("public run_figlet local 200 0 1 -2"), "malformed"),
        (datagram("public run_figlet local 200 0 1 -1"), "malformed"),
        (datagram("public run_figlet local 200 0 1 99999999999"), "malformed"),
        (datagram("public run_figlet local 200 0 1 \u0661"), "malformed"),
        (datagram("public public <NOSRV> 503 -1 -1 0"), "no_server"),
        (datagram("peers peers <NOSRV> 403 -1 -1 0"), "no_server"),
        (datagram("public run_shasum local 200 0 1 1"), "unknown_function"),
        (datagram("public fn_shasum member_node-b 200 0 1 1"), "unknown_function"),
        (datagram("peers gateway local 200 0 1 1"), "other_backend"),
        (datagram("public run_figlet member_node-b 200 0 1 1"), "unknown_server"),
        (datagram("public fn_figlet member_node-z 200 0 1 1"), "unknown_server"),
        (datagram("public fn_figlet local 200 0 1 1"), "unknown_server"),
    ],
)
def test_a_datagram_that_logs_no_request_of_the_layout_is_dropped_with_its_reason(
    payload: bytes, reason: str
) -> None:
    with pytest.raises(DroppedDatagram) as caught:
        CATALOGUE.read(payload)

    assert caught.value.reason == reason


@given(st.binary(max_size=300))
def test_any_bytes_give_a_timing_or_a_dropped_datagram_never_another_error(
    payload: bytes,
) -> None:
    try:
        CATALOGUE.read(HEADER + b'[dfaas@32473 r="' + payload)
        CATALOGUE.read(payload)
    except DroppedDatagram:
        pass


def test_before_any_layout_every_request_is_an_unknown_function() -> None:
    with pytest.raises(DroppedDatagram) as caught:
        RouteCatalogue.of(None).read(datagram("public run_figlet local 200 0 1 1"))

    assert caught.value.reason == "unknown_function"


# --- into the histogram -----------------------------------------------------------------


def sample(metrics: AgentMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


LOCAL = {"function": "figlet", "route": "local", "server": "local", "origin": "client"}


def test_a_read_request_is_observed_in_seconds_under_its_labels() -> None:
    metrics = AgentMetrics()
    recorder = LatencyRecorder(metrics)
    recorder.follow(layout())

    recorder.receive(datagram("public run_figlet local 200 0 10 30"))
    recorder.receive(datagram("public run_figlet local 200 0 200 250"))

    labels = {**LOCAL, "status": "2xx"}
    assert sample(metrics, "dfaas_request_duration_seconds_count", **labels) == 2
    assert sample(metrics, "dfaas_request_duration_seconds_sum", **labels) == pytest.approx(0.28)
    bucket = {**labels, "le": "0.05"}
    assert sample(metrics, "dfaas_request_duration_seconds_bucket", **bucket) == 1


def test_a_dropped_datagram_is_counted_by_reason_and_observes_nothing() -> None:
    metrics = AgentMetrics()
    recorder = LatencyRecorder(metrics)
    recorder.follow(layout())

    recorder.receive(b"\x00\xff junk")
    recorder.receive(datagram("public run_shasum local 200 0 1 1"))

    assert sample(metrics, "dfaas_agent_latency_log_dropped_total", reason="foreign") == 1
    assert sample(metrics, "dfaas_agent_latency_log_dropped_total", reason="unknown_function") == 1
    families = [f for f in metrics.registry.collect() if f.name == "dfaas_request_duration_seconds"]
    assert [s for f in families for s in f.samples] == []


def test_series_of_a_function_or_member_that_leaves_the_layout_are_removed() -> None:
    metrics = AgentMetrics()
    recorder = LatencyRecorder(metrics)
    recorder.follow(layout())
    recorder.receive(datagram("public run_figlet local 200 0 1 1"))
    recorder.receive(datagram("public run_my_5ffn local 200 0 1 1"))
    recorder.receive(datagram("public fn_figlet member_node-b 200 0 1 1"))

    recorder.follow(layout(functions=("figlet",), members=()))

    count = "dfaas_request_duration_seconds_count"
    assert sample(metrics, count, **LOCAL, status="2xx") == 1
    assert sample(metrics, count, **{**LOCAL, "function": "my_fn"}, status="2xx") is None
    member = {**LOCAL, "route": "member", "server": "node-b"}
    assert sample(metrics, count, **member, status="2xx") is None
    recorder.receive(datagram("public fn_figlet member_node-b 200 0 1 1"))
    assert sample(metrics, count, **member, status="2xx") is None


# --- the UDP listener -------------------------------------------------------------------


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listen_and_send(
    payloads: list[bytes], handle: Callable[[bytes], None], until: int
) -> tuple[str, int]:
    """Start the listener, send `payloads` from another socket, wait (bounded) until
    `handle` has been called `until` times; the address the listener was bound to."""
    received: list[bytes] = []
    bound: list[tuple[str, int]] = []
    all_received = trio.Event()

    def record(payload: bytes) -> None:
        received.append(payload)
        handle(payload)
        if len(received) >= until:
            all_received.set()

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            address = await nursery.start(serve_log_datagrams, free_udp_port(), record)
            bound.append(address)
            with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                for payload in payloads:
                    await sender.sendto(payload, address)
            with trio.fail_after(5):
                await all_received.wait()
            nursery.cancel_scope.cancel()

    trio.run(main)
    return bound[0]


def test_the_listener_hands_every_datagram_to_the_recorder_junk_included() -> None:
    metrics = AgentMetrics()
    recorder = LatencyRecorder(metrics)
    recorder.follow(layout())
    payloads = [b"junk", datagram("public run_figlet local 200 0 1 7"), b"\xff" * 3000]

    address = listen_and_send(payloads, recorder.receive, until=3)

    assert address[0] == "127.0.0.1"
    assert sample(metrics, "dfaas_request_duration_seconds_count", **LOCAL, status="2xx") == 1
    assert sample(metrics, "dfaas_agent_latency_log_dropped_total", reason="foreign") == 2


def test_a_taken_listener_port_is_an_error_naming_it() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]

        with pytest.raises(OSError, match=rf"HAProxy latency log on 127\.0\.0\.1:{port}/udp"):
            trio.run(serve_log_datagrams, port, lambda _: None)
