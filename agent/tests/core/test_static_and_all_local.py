"""Static and all-local baselines."""

from __future__ import annotations

from dfaas_agent.messages import NodeInfoStatic
from dfaas_agent.model import FunctionObservation, Observation, PeerInfo, StrategySettings
from dfaas_agent.strategies import all_local, static

ME = "12D3KooWme"
SETTINGS = StrategySettings(node_ip="10.0.0.1")


def _observation(**offered: float) -> Observation:
    return Observation(
        peer_id=ME,
        functions={
            name: FunctionObservation(maxrate=10, timeout_ms=5000, offered_rate=rate)
            for name, rate in offered.items()
        },
    )


def _peer(peer_id: str, *functions: str) -> PeerInfo:
    return PeerInfo(peer_id=peer_id, host="10.0.0.9", port=30080, functions=frozenset(functions))


def test_static_keeps_60_percent_and_splits_40_over_the_hosts() -> None:
    peers = {"p1": _peer("p1", "figlet"), "p2": _peer("p2", "figlet")}

    function = static.plan(_observation(figlet=50), peers, SETTINGS).functions["figlet"]

    assert (function.local_weight, function.peer_weights) == (60, {"p1": 20, "p2": 20})
    assert function.local_rate == 30.0
    assert function.forward_rates == {"p1": 10.0, "p2": 10.0}


def test_static_weights_sum_to_exactly_100_for_three_hosts() -> None:
    peers = {p: _peer(p, "figlet") for p in ("p1", "p2", "p3")}

    function = static.plan(_observation(figlet=30), peers, SETTINGS).functions["figlet"]

    assert function.local_weight + sum(function.peer_weights.values()) == 100
    assert function.peer_weights == {"p1": 14, "p2": 13, "p3": 13}


def test_static_never_sends_a_function_to_a_peer_that_lacks_it() -> None:
    peers = {"p1": _peer("p1", "figlet"), "p2": _peer("p2", "shasum")}

    plan = static.plan(_observation(figlet=10, shasum=10), peers, SETTINGS)

    assert plan.functions["figlet"].peer_weights == {"p1": 40}
    assert plan.functions["shasum"].peer_weights == {"p2": 40}


def test_static_without_hosts_runs_everything_locally() -> None:
    function = static.plan(_observation(figlet=10), {}, SETTINGS).functions["figlet"]

    assert (function.local_weight, function.peer_weights, function.local_rate) == (100, {}, 10.0)


def test_static_announces_address_and_functions() -> None:
    (message,) = static.plan(_observation(shasum=1, figlet=1), {}, SETTINGS).announcements

    assert message == NodeInfoStatic(host="10.0.0.1", port=30080, functions=["figlet", "shasum"])


def test_all_local_runs_everything_here_and_keeps_timeouts() -> None:
    plan = all_local.plan(_observation(figlet=99), {"p1": _peer("p1", "figlet")}, SETTINGS)

    function = plan.functions["figlet"]
    assert (function.local_limit, function.local_weight, function.peer_weights) == (None, 100, {})
    assert function.timeout_ms == 5000
    assert plan.announcements == ()
