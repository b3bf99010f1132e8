"""Properties every strategy keeps, on generated observations and peer tables."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfaas_agent.messages import decode, encode
from dfaas_agent.model import (
    FunctionObservation,
    FunctionShares,
    Observation,
    PeerInfo,
    Plan,
    ResourceUsage,
    StrategySettings,
)
from dfaas_agent.strategies import STRATEGIES, Strategy

V = TypeVar("V")
ME = "12D3KooWme"
PEER_IDS = ["12D3KooWa", "12D3KooWb", "12D3KooWc", "12D3KooWd"]
FUNCTIONS = ["curl", "figlet", "ocr", "shasum"]

rates = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
amounts = st.floats(min_value=0, max_value=2e10, allow_nan=False, allow_infinity=False)

function_observations = st.builds(
    FunctionObservation,
    maxrate=st.none() | rates,
    timeout_ms=st.none() | st.integers(min_value=1, max_value=60_000),
    offered_rate=rates,
    executed_for_peers=st.dictionaries(st.sampled_from(PEER_IDS), rates, max_size=3),
    executed_rate=st.none() | rates,
)


@st.composite
def _shares(draw: st.DrawFn, functions: list[str]) -> dict[str, FunctionShares]:
    """A policy's answer for `functions`: members drawn from every peer ID (reachable
    hosts or not: the strategy must keep only those), fractions summing to 1."""
    shares = {}
    for name in functions:
        members = draw(st.lists(st.sampled_from(PEER_IDS), unique=True, max_size=3))
        parts = draw(st.lists(fractions, min_size=len(members) + 2, max_size=len(members) + 2))
        whole = math.fsum(parts) or 1.0
        if not math.fsum(parts):
            parts[0] = 1.0
        local, reject, *to_members = (part / whole for part in parts)
        shares[name] = FunctionShares(local, dict(zip(members, to_members, strict=True)), reject)
    return shares


fractions = st.floats(min_value=0, max_value=1, allow_nan=False)

observations = st.builds(
    Observation,
    peer_id=st.just(ME),
    functions=st.dictionaries(st.sampled_from(FUNCTIONS), function_observations, max_size=4),
    cpu_percent=st.none() | st.floats(min_value=0, max_value=1000),
    ram_bytes=st.none() | amounts,
    forecast=st.none()
    | st.builds(
        ResourceUsage,
        cpu_percent=st.none() | st.floats(min_value=0, max_value=1000),
        ram_bytes=st.none() | amounts,
        power_microwatts=st.none() | st.floats(min_value=0, max_value=1e7),
    ),
).flatmap(
    # Strategy external plans with shares when the policy answered, else without.
    lambda observation: (
        st.none().map(lambda _: observation)
        | _shares(sorted(observation.functions)).map(
            lambda shares: dataclasses.replace(observation, shares=shares)
        )
    )
)


def _peer(peer_id: str) -> st.SearchStrategy[PeerInfo]:
    return st.builds(
        PeerInfo,
        peer_id=st.just(peer_id),
        host=st.none() | st.just("10.0.0.2"),
        port=st.just(30080),
        functions=st.frozensets(st.sampled_from([*FUNCTIONS, "other"])),
        granted_to_us=st.dictionaries(st.sampled_from(FUNCTIONS), rates),
        margin=st.none() | st.floats(min_value=0, max_value=100),
        spare_rate=st.none() | rates,
    )


peer_tables = st.lists(st.sampled_from([*PEER_IDS, ME]), unique=True).flatmap(
    lambda ids: st.fixed_dictionaries({peer_id: _peer(peer_id) for peer_id in ids})
)

strategy_settings = st.builds(
    StrategySettings,
    node_ip=st.just("10.0.0.1"),
    members=st.just(frozenset()) | st.frozensets(st.sampled_from([*PEER_IDS, ME])),
)

each_strategy = pytest.mark.parametrize("strategy", list(STRATEGIES.values()), ids=list(STRATEGIES))
generated = given(observation=observations, peers=peer_tables, config=strategy_settings)
# DFAAS_PROPERTY_EXAMPLES=2000 searches deeper than the default, quick run.
examples = settings(
    max_examples=int(os.environ.get("DFAAS_PROPERTY_EXAMPLES", "120")), deadline=None
)


def _reversed(mapping: Mapping[str, V]) -> dict[str, V]:
    return {key: mapping[key] for key in reversed(list(mapping))}


def _permuted(
    observation: Observation, peers: Mapping[str, PeerInfo]
) -> tuple[Observation, dict[str, PeerInfo]]:
    functions = {
        name: dataclasses.replace(
            observed, executed_for_peers=_reversed(observed.executed_for_peers)
        )
        for name, observed in _reversed(observation.functions).items()
    }
    table = {
        peer_id: dataclasses.replace(info, granted_to_us=_reversed(info.granted_to_us))
        for peer_id, info in _reversed(peers).items()
    }
    return dataclasses.replace(observation, functions=functions), table


@each_strategy
@generated
@examples
def test_weights_stay_within_0_and_100(
    strategy: Strategy,
    observation: Observation,
    peers: dict[str, PeerInfo],
    config: StrategySettings,
) -> None:
    plan = strategy(observation, peers, config)

    for function in plan.functions.values():
        assert 0 <= function.local_weight <= 100
        assert all(0 <= weight <= 100 for weight in function.peer_weights.values())


@each_strategy
@generated
@examples
def test_a_function_is_only_sent_to_reachable_members_that_host_it(
    strategy: Strategy,
    observation: Observation,
    peers: dict[str, PeerInfo],
    config: StrategySettings,
) -> None:
    plan = strategy(observation, peers, config)

    for name, function in plan.functions.items():
        for peer_id in {*function.peer_weights, *function.forward_rates}:
            assert peer_id != ME
            assert peers[peer_id].hosts(name)
            assert peers[peer_id].reachable
            assert not config.members or peer_id in config.members


@each_strategy
@generated
@examples
def test_forwarded_plus_local_never_exceeds_offered(
    strategy: Strategy,
    observation: Observation,
    peers: dict[str, PeerInfo],
    config: StrategySettings,
) -> None:
    plan = strategy(observation, peers, config)

    for name, function in plan.functions.items():
        offered = observation.functions[name].offered_rate
        assert function.local_rate >= 0
        assert all(rate >= 0 for rate in function.forward_rates.values())
        assert function.local_rate + function.forwarded_rate <= offered * (1 + 1e-9) + 1e-9


@each_strategy
@generated
@examples
def test_grants_are_finite_and_within_spare_capacity(
    strategy: Strategy,
    observation: Observation,
    peers: dict[str, PeerInfo],
    config: StrategySettings,
) -> None:
    plan = strategy(observation, peers, config)

    for name, function in plan.functions.items():
        observed = observation.functions[name]
        granted = list(function.admitted_rates.values())
        assert all(math.isfinite(rate) and rate >= 0 for rate in granted)
        if observed.maxrate is not None:
            spare = max(0.0, observed.maxrate - observed.offered_rate)
            assert sum(granted) <= spare * (1 + 1e-9) + 1e-9


@each_strategy
@generated
@examples
def test_plan_is_the_same_for_the_same_inputs_in_any_order(
    strategy: Strategy,
    observation: Observation,
    peers: dict[str, PeerInfo],
    config: StrategySettings,
) -> None:
    permuted_observation, permuted_peers = _permuted(observation, peers)

    first = strategy(observation, peers, config)
    again = strategy(observation, peers, config)
    permuted = strategy(permuted_observation, permuted_peers, config)

    assert repr(first) == repr(again) == repr(permuted)
    assert [encode(m) for m in first.announcements] == [encode(m) for m in permuted.announcements]


@each_strategy
@generated
@examples
def test_announcements_are_valid_messages(
    strategy: Strategy,
    observation: Observation,
    peers: dict[str, PeerInfo],
    config: StrategySettings,
) -> None:
    plan: Plan = strategy(observation, peers, config)

    for message in plan.announcements:
        assert decode(encode(message)) == message


@each_strategy
def test_float_sums_do_not_depend_on_function_order(strategy: Strategy) -> None:
    # (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1 in binary floating point.
    rates = {"curl": 0.1, "figlet": 0.2, "ocr": 0.3}
    peers = {
        "12D3KooWa": PeerInfo(
            peer_id="12D3KooWa", host="10.0.0.2", port=30080, functions=frozenset(rates)
        )
    }
    config = StrategySettings(node_ip="10.0.0.1")

    def observed(order: list[str]) -> Observation:
        return Observation(
            peer_id=ME,
            functions={
                name: FunctionObservation(maxrate=None, timeout_ms=None, offered_rate=rates[name])
                for name in order
            },
            ram_bytes=1.0,
        )

    forward = strategy(observed(["curl", "figlet", "ocr"]), peers, config)
    backward = strategy(observed(["ocr", "figlet", "curl"]), peers, config)

    assert [encode(m) for m in forward.announcements] == [encode(m) for m in backward.announcements]
    assert repr(forward) == repr(backward)
