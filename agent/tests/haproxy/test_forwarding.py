"""Two real HAProxy nodes: the excess goes one hop to a member over mutual TLS."""

from __future__ import annotations

import httpx
import pytest

from dfaas_agent.haproxy.layout import ProxyTuning
from dfaas_agent.haproxy.stats import rates_between
from dfaas_agent.haproxy.traffic import function_traffic

from .conftest import Federation, StartFederation, run, server_status, wait_counted, wait_until

pytestmark = pytest.mark.component

# Node A runs nothing itself: every request is excess, and node B gets it all.
EXCESS_TO_B = ProxyTuning(local_limits={"figlet": 0}, weights={"figlet": {"QmNodeB": 100}})


@pytest.fixture
def federation(start_federation: StartFederation) -> Federation:
    return start_federation(("a", "b"), EXCESS_TO_B)


def test_excess_is_executed_by_the_member_over_mutual_tls(
    federation: Federation, http: httpx.Client
) -> None:
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert response.status_code == 200
    assert (response.headers["DFaaS-Node-ID"], response.headers["X-Server"]) == (
        "QmNodeB",
        "node-b",
    )
    assert federation.gateway_b.function_paths() == ["/function/figlet"]
    assert federation.gateway_a.function_paths() == []


def test_excess_stops_going_to_a_member_that_fails_health_checks(
    federation: Federation, http: httpx.Client
) -> None:
    federation.b.stop()
    wait_until(
        lambda: server_status(federation.a, "members", "member_node-b").startswith("DOWN"),
        "node-a to mark node-b DOWN",
    )
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert (response.status_code, response.text) == (
        503,
        "overloaded function figlet, no other DFaaS node available\n",
    )
    assert federation.gateway_b.function_paths() == []


def test_excess_returns_to_local_when_the_limit_is_lifted_at_runtime(
    federation: Federation, http: httpx.Client
) -> None:
    run(federation.a.controller.apply, federation.a.layout, ProxyTuning())
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert response.headers["DFaaS-Node-ID"] == "QmNodeA"
    assert federation.gateway_b.function_paths() == []


def test_excess_follows_the_weights_changed_at_runtime(
    start_federation: StartFederation, http: httpx.Client
) -> None:
    federation = start_federation(("a", "b", "c"), EXCESS_TO_B)
    for _ in range(3):
        http.post(federation.a.url("/function/figlet"), content=b"hi")
    to_c = ProxyTuning(local_limits={"figlet": 0}, weights={"figlet": {"QmNodeC": 100}})
    run(federation.a.controller.apply, federation.a.layout, to_c)
    for _ in range(3):
        http.post(federation.a.url("/function/figlet"), content=b"hi")
    served = {name: len(g.function_paths()) for name, g in federation.gateways.items()}
    assert served == {"a": 0, "b": 3, "c": 3}


def test_traffic_counts_the_excess_as_forwarded_here_and_from_members_there(
    federation: Federation, http: httpx.Client
) -> None:
    runtime_a, runtime_b = federation.a.controller.runtime, federation.b.controller.runtime
    start_a, start_b = run(runtime_a.request_counters), run(runtime_b.request_counters)
    for _ in range(3):
        http.post(federation.a.url("/function/figlet"), content=b"hi")
    wait_counted(runtime_b, "run_figlet", start_b.backends.get("run_figlet", 0) + 3)
    wait_counted(runtime_a, "fn_figlet", start_a.backends.get("fn_figlet", 0) + 3)
    rates_a = rates_between(start_a, run(runtime_a.request_counters))
    rates_b = rates_between(start_b, run(runtime_b.request_counters))
    on_a = function_traffic(federation.a.layout, rates_a)["figlet"]
    on_b = function_traffic(federation.b.layout, rates_b)["figlet"]
    assert on_a.forwarded_rates["QmNodeB"] * rates_a.period_s == pytest.approx(3)
    assert on_a.local_rate == 0
    assert on_b.from_members_rate * rates_b.period_s == pytest.approx(3)
