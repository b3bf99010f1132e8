"""Strategy external: how a policy's shares become a plan, and its fallback."""

from __future__ import annotations

import dataclasses

import pytest

from dfaas_agent.loop.conversions import local_limit
from dfaas_agent.model import (
    FunctionObservation,
    FunctionShares,
    Observation,
    PeerInfo,
    StrategySettings,
)
from dfaas_agent.strategies import external, recalc, static

ME, N2, N3 = "12D3KooWme", "12D3KooWnode2", "12D3KooWnode3"
SETTINGS = StrategySettings(node_ip="10.0.0.1")
PEERS = {
    N2: PeerInfo(
        N2, host="10.0.0.2", port=30080, functions=frozenset({"f"}), granted_to_us={"f": 6}
    ),
    N3: PeerInfo(
        N3, host="10.0.0.3", port=30080, functions=frozenset({"f"}), granted_to_us={"f": 2}
    ),
}


def _observation(offered: float, shares: FunctionShares | None = None) -> Observation:
    observed = FunctionObservation(maxrate=10, timeout_ms=None, offered_rate=offered)
    return Observation(
        peer_id=ME, functions={"f": observed}, shares=None if shares is None else {"f": shares}
    )


def test_without_shares_the_fallback_plans_whole_under_its_own_name() -> None:
    observation = _observation(14)

    assert external.plan(observation, PEERS, SETTINGS) == recalc.plan(observation, PEERS, SETTINGS)
    with_static = dataclasses.replace(SETTINGS, fallback_strategy="static")
    assert external.plan(observation, PEERS, with_static) == static.plan(
        observation, PEERS, with_static
    )


def test_shares_without_reject_become_weights_and_the_local_share_of_the_rate() -> None:
    shares = FunctionShares(local=0.5, members={N2: 0.3, N3: 0.2}, reject=0.0)

    plan = external.plan(_observation(20, shares), PEERS, SETTINGS)

    function = plan.functions["f"]
    assert plan.strategy == "external"
    assert (function.local_weight, dict(function.peer_weights)) == (50, {N2: 30, N3: 20})
    assert function.local_limit is None
    assert local_limit(function) == 10  # HAProxy runs 0.5 x 20 req/s here, spreads the rest
    assert function.forward_rates == pytest.approx({N2: 6.0, N3: 4.0})


def test_all_local_shares_leave_the_node_unlimited() -> None:
    plan = external.plan(_observation(20, FunctionShares(1.0, {}, 0.0)), PEERS, SETTINGS)

    assert local_limit(plan.functions["f"]) is None
    assert plan.functions["f"].peer_weights == {}


def test_a_reject_share_caps_local_admission_and_the_rest_is_refused_without_members() -> None:
    plan = external.plan(_observation(20, FunctionShares(0.75, {}, 0.25)), PEERS, SETTINGS)

    function = plan.functions["f"]
    assert function.local_limit == 15
    assert function.peer_weights == {}  # nowhere to go: HAProxy answers 503 beyond 15 req/s


def test_a_reject_share_with_members_sends_the_excess_to_them_by_their_shares() -> None:
    shares = FunctionShares(local=0.5, members={N2: 0.25}, reject=0.25)

    function = external.plan(_observation(20, shares), PEERS, SETTINGS).functions["f"]

    assert function.local_limit == 10
    assert (function.local_weight, dict(function.peer_weights)) == (67, {N2: 33})
    assert function.forward_rates == {N2: 5.0}


def test_announcements_and_grants_are_the_fallbacks_whether_the_policy_answered_or_not() -> None:
    shares = FunctionShares(local=1.0, members={}, reject=0.0)
    answered = external.plan(_observation(2, shares), PEERS, SETTINGS)
    fallen_back = recalc.plan(_observation(2), PEERS, SETTINGS)

    assert answered.announcements == fallen_back.announcements
    assert answered.functions["f"].admitted_rates == fallen_back.functions["f"].admitted_rates
    assert answered.functions["f"].admitted_rates  # recalc grants its spare 8 req/s


def test_a_member_that_is_no_reachable_host_gets_no_weight() -> None:
    peers = {N2: PEERS[N2], N3: dataclasses.replace(PEERS[N3], functions=frozenset({"g"}))}
    shares = FunctionShares(local=0.5, members={N2: 0.25, N3: 0.25}, reject=0.0)

    function = external.plan(_observation(20, shares), peers, SETTINGS).functions["f"]

    assert set(function.peer_weights) == {N2}
    assert set(function.forward_rates) == {N2}
