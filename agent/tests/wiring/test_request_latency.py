"""Server-side request durations: real HAProxy logs each request to its real agent, which
exports them on /metrics (`dfaas_request_duration_seconds`), per function and server."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from .conftest import Federation, Node, status_summary, wait_until

FUNCTION = "shasum"
REQUESTS = 30
CONCURRENCY = 6
ROUNDS = 3  # a round that ran nothing here or nothing on node-b is repeated
SLACK_S = 0.002
"""Per request: HAProxy's timers are whole milliseconds."""
METRIC = "dfaas_request_duration_seconds"


def _metrics(node: Node) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The node agent's /metrics samples by (name, labels); empty while it does not answer."""
    try:
        response = httpx.get(node.url(node.ports.api, "/metrics"), timeout=2.0)
    except httpx.HTTPError:
        return {}
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _duration(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], suffix: str, **labels: str
) -> float:
    key = frozenset({"function": FUNCTION, "status": "2xx", **labels}.items())
    return samples.get((f"{METRIC}_{suffix}", key), 0.0)


def _burst(node: Node) -> tuple[Counter[str], dict[str, float]]:
    """Who answered each request of a bounded burst with 200 (its X-Server), and the
    client-side seconds those requests took, summed per server."""
    served: Counter[str] = Counter()
    seconds: dict[str, float] = defaultdict(float)
    url = node.url(node.ports.public, f"/function/{FUNCTION}")

    async def one(client: httpx.AsyncClient, limiter: trio.CapacityLimiter, index: int) -> None:
        async with limiter:
            started = time.perf_counter()
            try:
                response = await client.post(url, content=f"request {index}".encode())
            except httpx.HTTPError:
                return
            elapsed = time.perf_counter() - started
        if response.status_code == 200:
            server = response.headers.get("X-Server", "no X-Server header")
            served[server] += 1
            seconds[server] += elapsed

    async def burst() -> None:
        limiter = trio.CapacityLimiter(CONCURRENCY)
        async with httpx.AsyncClient(timeout=10.0) as client, trio.open_nursery() as nursery:
            for index in range(REQUESTS):
                nursery.start_soon(one, client, limiter, index)

    trio.run(burst)
    return served, seconds


@pytest.mark.component
def test_each_served_request_is_in_the_histogram_of_its_function_and_server(
    start_nodes: Callable[..., Federation],
) -> None:
    federation = start_nodes(["node-a", "node-b"], {"node-a": 2.0, "node-b": 50.0})
    node_a, node_b = federation.by_name("node-a"), federation.by_name("node-b")
    wait_until(
        lambda: node_a.routable_members(FUNCTION, {"node-b"}) == {"node-b"},
        "node-a's HAProxy to forward to node-b (UP, with a weight)",
    )
    served: Counter[str] = Counter()
    client_seconds: Counter[str] = Counter()
    for _ in range(ROUNDS):
        round_served, round_seconds = _burst(node_a)
        served += round_served
        client_seconds.update(round_seconds)
        if served["node-a"] and served["node-b"]:
            break
    assert served["node-a"] > 0, f"{served}\n{status_summary(federation)}"
    assert served["node-b"] > 0, f"{served}\n{status_summary(federation)}"

    here = {"route": "local", "server": "local", "origin": "client"}
    forwarded = {"route": "member", "server": "node-b", "origin": "client"}
    from_member = {"route": "local", "server": "local", "origin": "member"}

    def all_logged() -> bool:
        samples_a, samples_b = _metrics(node_a), _metrics(node_b)
        return (
            _duration(samples_a, "count", **here) >= served["node-a"]
            and _duration(samples_a, "count", **forwarded) >= served["node-b"]
            and _duration(samples_b, "count", **from_member) >= served["node-b"]
        )

    wait_until(all_logged, f"the agents' histograms to count {dict(served)}")

    samples_a, samples_b = _metrics(node_a), _metrics(node_b)
    assert _duration(samples_a, "count", **here) == served["node-a"]
    assert _duration(samples_a, "count", **forwarded) == served["node-b"]
    assert _duration(samples_b, "count", **from_member) == served["node-b"]
    # Server-side durations are positive, within what the client saw, and a forwarded
    # request takes node-a at least as long as it takes node-b to run it.
    local_s = _duration(samples_a, "sum", **here)
    forwarded_s = _duration(samples_a, "sum", **forwarded)
    run_on_b_s = _duration(samples_b, "sum", **from_member)
    assert 0 < local_s <= client_seconds["node-a"] + SLACK_S * served["node-a"]
    assert 0 < forwarded_s <= client_seconds["node-b"] + SLACK_S * served["node-b"]
    assert 0 < run_on_b_s <= forwarded_s + SLACK_S * served["node-b"]
    # Every datagram of a real HAProxy is one of ours and well formed (besides those
    # counted: event, HAProxy's server state messages; other_backend, the members' health
    # checks of each other's peer port).
    for samples in (samples_a, samples_b):
        for reason in ("foreign", "malformed", "unknown_function", "unknown_server"):
            key = ("dfaas_agent_latency_log_dropped_total", frozenset({("reason", reason)}))
            assert samples.get(key, 0.0) == 0, (reason, status_summary(federation))
