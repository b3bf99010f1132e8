"""Three real agents (`dfaas-agent run`) with their own HAProxy and `dfaas-gateway`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
import pytest
import trio

from .conftest import STOP_WAIT_S, Federation, Node, status_summary, wait_until

FUNCTION = "shasum"
NAMES = ("node-a", "node-b", "node-c")
BURST_REQUESTS = 60
BURST_CONCURRENCY = 6
BURST_ROUNDS = 3  # a round with nothing forwarded is retried: health checks may lag


def _sees_members(node: Node, others: set[str]) -> bool:
    status = node.status()
    return status is not None and others <= set(status["members"]["connected"]) & set(
        status["members"]["in_layout"]
    )


def _forwards_to(node: Node, peers: set[str]) -> bool:
    status = node.status()
    if status is None or FUNCTION not in status["functions"]:
        return False
    weights = status["functions"][FUNCTION]["weights"]
    return set(weights) == peers and sum(weights.values()) == 100


def _burst(node: Node) -> Counter[str]:
    """Who served each of a bounded burst of requests ("status N" for a refusal)."""
    served: Counter[str] = Counter()
    url = node.url(node.ports.public, f"/function/{FUNCTION}")

    async def one(client: httpx.AsyncClient, limiter: trio.CapacityLimiter, index: int) -> None:
        async with limiter:
            try:
                response = await client.post(url, content=f"request {index}".encode())
            except httpx.HTTPError as error:
                served[type(error).__name__] += 1
                return
        if response.status_code == 200:
            served[response.headers.get("X-Server", "no X-Server header")] += 1
        else:
            served[f"status {response.status_code}"] += 1

    async def burst() -> None:
        limiter = trio.CapacityLimiter(BURST_CONCURRENCY)
        async with httpx.AsyncClient(timeout=10.0) as client, trio.open_nursery() as nursery:
            for index in range(BURST_REQUESTS):
                nursery.start_soon(one, client, limiter, index)

    trio.run(burst)
    return served


@pytest.mark.component
def test_an_overloaded_node_has_its_excess_served_by_the_other_members(
    start_nodes: Callable[..., Federation],
) -> None:
    federation = start_nodes(
        ["node-a", "node-b", "node-c"], {"node-a": 2.0, "node-b": 50.0, "node-c": 50.0}
    )
    ids = {node.name: node.peer_id for node in federation.nodes}
    for node in federation.nodes:
        others = set(ids.values()) - {node.peer_id}
        wait_until(
            lambda node=node, others=others: _sees_members(node, others), f"{node.name} members"
        )
    overloaded = federation.by_name("node-a")
    wait_until(
        lambda: _forwards_to(overloaded, {ids["node-b"], ids["node-c"]}),
        "node-a weights towards node-b and node-c",
    )
    # The weights are the agent's plan; what the burst needs is HAProxy's own view:
    # the member servers UP (their health checks pass) with those weights.
    helpers = {"node-b", "node-c"}
    wait_until(
        lambda: overloaded.routable_members(FUNCTION, helpers) == helpers,
        "node-a's HAProxy to have node-b and node-c UP with a weight",
    )

    served: Counter[str] = Counter()
    for _ in range(BURST_ROUNDS):
        served += _burst(overloaded)
        if served["node-b"] + served["node-c"] > 0:
            break

    assert served["node-b"] + served["node-c"] > 0, f"{served}\n{status_summary(federation)}"
    assert served["node-a"] > 0, served


@pytest.mark.component
def test_a_killed_agent_loses_its_weight_at_the_others_without_a_reload(
    start_nodes: Callable[..., Federation],
) -> None:
    # Its server stays in the others' HAProxy (the layout follows the member list, not
    # who is alive): no reload, and it is weighed again as soon as it speaks again.
    federation = start_nodes(list(NAMES), dict.fromkeys(NAMES, 10.0))
    node_a, node_b, node_c = (federation.by_name(name) for name in NAMES)
    both = {node_b.peer_id, node_c.peer_id}
    wait_until(lambda: _sees_members(node_a, both), "node-a members")
    wait_until(lambda: _forwards_to(node_a, both), "node-a to weigh node-b and node-c")
    reloads = node_a.haproxy_reloads()

    node_c.processes["agent"].kill()
    node_c.processes["agent"].wait(STOP_WAIT_S)

    wait_until(lambda: _forwards_to(node_a, {node_b.peer_id}), "node-a to stop weighing node-c")
    assert node_a.in_layout() == both
    assert node_a.haproxy_reloads() == reloads
