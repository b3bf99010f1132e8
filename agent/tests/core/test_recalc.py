"""Recalc: worked examples, including the CloudNet 2021 experiment."""

from __future__ import annotations

import json

import pytest

from dfaas_agent.messages import NodeInfoRecalc, encode
from dfaas_agent.model import FunctionObservation, Observation, PeerInfo, StrategySettings
from dfaas_agent.strategies import recalc

N1, N2, N3 = "12D3KooWnode1", "12D3KooWnode2", "12D3KooWnode3"
SETTINGS = StrategySettings(node_ip="10.0.0.1")


def _node(peer_id: str, maxrate: float | None, offered: float, **extra: float) -> Observation:
    return Observation(
        peer_id=peer_id,
        functions={
            "funca": FunctionObservation(maxrate=maxrate, timeout_ms=None, offered_rate=offered)
        },
        **extra,  # type: ignore[arg-type]
    )


def _peer(peer_id: str, functions: set[str], granted: dict[str, float] | None = None) -> PeerInfo:
    return PeerInfo(
        peer_id=peer_id,
        host=f"10.0.0.{peer_id[-1]}",
        port=30080,
        functions=frozenset(functions),
        granted_to_us=granted or {},
    )


def _announced(plan_announcements: tuple[object, ...]) -> dict[str, dict[str, float]]:
    (message,) = plan_announcements
    assert isinstance(message, NodeInfoRecalc)
    return message.func_limits


def test_paper_case_underloaded_nodes_grant_half_their_spare_capacity() -> None:
    # Node 2 (maxrate 20) and node 3 (maxrate 30) are idle; each has two peers with funca.
    plan2 = recalc.plan(
        _node(N2, 20, 0), {N1: _peer(N1, {"funca"}), N3: _peer(N3, {"funca"})}, SETTINGS
    )
    plan3 = recalc.plan(
        _node(N3, 30, 0), {N1: _peer(N1, {"funca"}), N2: _peer(N2, {"funca"})}, SETTINGS
    )

    assert _announced(plan2.announcements)[N1] == {"funca": 10.0}
    assert _announced(plan3.announcements)[N1] == {"funca": 15.0}


def test_paper_case_overloaded_node_keeps_its_maxrate_and_splits_the_excess_40_60() -> None:
    peers = {
        N2: _peer(N2, {"funca"}, granted={"funca": 10.0}),
        N3: _peer(N3, {"funca"}, granted={"funca": 15.0}),
    }

    function = recalc.plan(_node(N1, 10, 50), peers, SETTINGS).functions["funca"]

    assert function.local_limit == 10.0
    assert function.local_rate == 10.0
    assert function.peer_weights == {N2: 40, N3: 60}
    assert function.forward_rates == pytest.approx({N2: 16.0, N3: 24.0})


def test_overloaded_node_grants_nothing() -> None:
    plan = recalc.plan(_node(N1, 10, 50), {N2: _peer(N2, {"funca"})}, SETTINGS)

    assert _announced(plan.announcements)[N2] == {"funca": 0.0}
    assert plan.functions["funca"].admitted_rates == {N2: 0.0}


def test_grants_are_not_truncated_to_integers() -> None:
    peers = {p: _peer(p, {"funca"}) for p in (N2, N3, "12D3KooWnode4")}

    plan = recalc.plan(_node(N1, 10, 0.5), peers, SETTINGS)

    assert plan.functions["funca"].admitted_rates[N2] == pytest.approx(9.5 / 3)


def test_peer_without_the_function_gets_no_share_and_no_requests() -> None:
    peers = {
        N2: _peer(N2, {"funcb"}, granted={"funca": 50.0}),
        N3: _peer(N3, {"funca"}, granted={"funca": 5.0}),
    }

    function = recalc.plan(_node(N1, 10, 30), peers, SETTINGS).functions["funca"]

    assert function.peer_weights == {N3: 100}
    assert N2 not in function.admitted_rates


def test_without_grants_the_excess_is_not_forwarded() -> None:
    function = recalc.plan(_node(N1, 10, 30), {N2: _peer(N2, {"funca"})}, SETTINGS).functions[
        "funca"
    ]

    assert (function.local_rate, function.peer_weights, function.forward_rates) == (10.0, {}, {})


def test_unreachable_peer_is_never_a_target() -> None:
    silent = PeerInfo(peer_id=N2, functions=frozenset({"funca"}), granted_to_us={"funca": 10.0})

    function = recalc.plan(_node(N1, 10, 30), {N2: silent}, SETTINGS).functions["funca"]

    assert function.peer_weights == {}


def test_function_without_maxrate_runs_locally_without_limit() -> None:
    function = recalc.plan(_node(N1, None, 30), {N2: _peer(N2, {"funca"})}, SETTINGS).functions[
        "funca"
    ]

    assert (function.local_limit, function.local_weight, function.local_rate) == (None, 100, 30.0)


def test_announcement_lists_all_our_functions_for_every_member() -> None:
    observation = Observation(
        peer_id=N1,
        functions={
            "funca": FunctionObservation(maxrate=10, timeout_ms=None, offered_rate=0),
            "funcb": FunctionObservation(maxrate=4, timeout_ms=None, offered_rate=0),
        },
    )
    settings = StrategySettings(node_ip="10.0.0.1", members=frozenset({N1, N2, N3}))

    plan = recalc.plan(observation, {N2: _peer(N2, {"funca"})}, settings)

    document = json.loads(encode(plan.announcements[0]))  # type: ignore[arg-type]
    assert document["FuncLimits"] == {
        N2: {"funca": 10.0, "funcb": 0.0},
        N3: {"funca": 0.0, "funcb": 0.0},
    }
    assert document["HAProxyHost"] == "10.0.0.1"
    assert document["HAProxyPort"] == 30080


def test_non_member_peers_are_ignored_when_a_member_list_is_set() -> None:
    settings = StrategySettings(node_ip="10.0.0.1", members=frozenset({N1, N3}))
    peers = {N2: _peer(N2, {"funca"}, granted={"funca": 10.0})}

    plan = recalc.plan(_node(N1, 10, 30), peers, settings)

    assert plan.functions["funca"].peer_weights == {}
    assert N2 not in _announced(plan.announcements)


def test_without_maxrate_the_capacity_is_what_the_slots_were_measured_to_run() -> None:
    # 2 slots, 0.1 s a call: 20 req/s; 5 req/s offered leaves 15 to grant.
    observed = FunctionObservation(
        maxrate=None, timeout_ms=None, offered_rate=5.0, slots=2, service_time_s=0.1
    )
    plan = recalc.plan(
        Observation(peer_id=N1, functions={"funca": observed}),
        {N2: _peer(N2, {"funca"})},
        SETTINGS,
    )
    assert plan.functions["funca"].local_limit == pytest.approx(20.0)
    assert _announced(plan.announcements)[N2] == {"funca": pytest.approx(15.0)}


def test_maxrate_wins_over_the_measured_capacity() -> None:
    observed = FunctionObservation(
        maxrate=10.0, timeout_ms=None, offered_rate=0.0, slots=2, service_time_s=0.1
    )
    assert observed.capacity == 10.0
    assert observed.learned_rate == pytest.approx(20.0)


def test_grants_follow_what_each_member_needed_last_period() -> None:
    # Spare 20 req/s; last period node 2 needed 12 req/s of it, node 3 nothing: half the
    # spare goes in equal parts (5 + 5), the other half to node 2.
    observed = FunctionObservation(
        maxrate=30.0, timeout_ms=None, offered_rate=10.0, executed_for_peers={N2: 12.0}
    )
    plan = recalc.plan(
        Observation(peer_id=N1, functions={"funca": observed}),
        {N2: _peer(N2, {"funca"}), N3: _peer(N3, {"funca"})},
        SETTINGS,
    )
    announced = _announced(plan.announcements)
    assert (announced[N2]["funca"], announced[N3]["funca"]) == (pytest.approx(15.0), 5.0)
