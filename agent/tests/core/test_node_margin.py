"""Node margin without trained models: measured utilisation, proportional cost model."""

from __future__ import annotations

import pytest

from dfaas_agent.messages import NodeInfoNMS, NodeMarginInfoNMS
from dfaas_agent.model import (
    FunctionObservation,
    Observation,
    PeerInfo,
    ResourceUsage,
    StrategySettings,
    UsageGroup,
)
from dfaas_agent.strategies import node_margin

ME, P2, P3 = "12D3KooWme", "12D3KooWp2", "12D3KooWp3"
# CPU threshold 120 % (1.2 cores), RAM threshold 5.5 GB: the prototype's defaults.
SETTINGS = StrategySettings(node_ip="10.0.0.1")


def _observation(
    offered: float,
    cpu: float | None,
    ram: float | None = 1e9,
    *,
    for_peers: dict[str, float] | None = None,
    forecast: ResourceUsage | None = None,
) -> Observation:
    return Observation(
        peer_id=ME,
        functions={
            "funca": FunctionObservation(
                maxrate=None,
                timeout_ms=None,
                offered_rate=offered,
                executed_for_peers=for_peers or {},
            )
        },
        cpu_percent=cpu,
        ram_bytes=ram,
        forecast=forecast,
    )


def _peer(
    peer_id: str,
    margin: float | None,
    spare: float | None = None,
    functions: frozenset[str] = frozenset({"funca"}),
) -> PeerInfo:
    return PeerInfo(
        peer_id=peer_id,
        host="10.0.0.9",
        port=30080,
        functions=functions,
        margin=margin,
        spare_rate=spare,
    )


def _margin_message(announcements: tuple[object, ...]) -> NodeMarginInfoNMS:
    messages = [m for m in announcements if isinstance(m, NodeMarginInfoNMS)]
    assert len(messages) == 1
    return messages[0]


def test_node_under_its_thresholds_runs_everything_locally() -> None:
    plan = node_margin.plan(_observation(50, cpu=60), {P2: _peer(P2, 30)}, SETTINGS)

    function = plan.functions["funca"]
    assert (function.local_weight, function.peer_weights, function.local_rate) == (100, {}, 50.0)


def test_overloaded_node_hands_its_excess_to_neighbours_with_margin() -> None:
    # CPU at 240 % of a 120 % threshold: 50 req/s cost twice what the node may spend,
    # so it can keep 25 req/s. P2 (a Go peer, margin only) can take 30 % of 25 req/s,
    # P3 announces 5 req/s of spare capacity: 12.5 req/s move, 37.5 stay.
    peers = {P2: _peer(P2, margin=30.0), P3: _peer(P3, margin=10.0, spare=5.0)}

    function = node_margin.plan(_observation(50, cpu=240), peers, SETTINGS).functions["funca"]

    assert function.local_weight == 75
    assert function.peer_weights == {P2: 15, P3: 10}
    assert function.forward_rates == pytest.approx({P2: 7.5, P3: 5.0})
    assert function.local_rate == pytest.approx(37.5)


def test_requests_run_for_peers_reduce_what_the_node_keeps() -> None:
    # 40 client + 10 peer req/s at 200/120 of the CPU threshold: capacity 30 req/s,
    # of which peers use 10, so 20 client req/s stay and 20 move.
    peers = {P2: _peer(P2, margin=0.0, spare=100.0), P3: _peer(P3, margin=50.0, spare=100.0)}

    function = node_margin.plan(
        _observation(40, cpu=200, for_peers={P2: 10.0}), peers, SETTINGS
    ).functions["funca"]

    assert function.forward_rates == pytest.approx({P3: 20.0})
    assert function.local_rate == pytest.approx(20.0)


def test_neighbours_without_margin_or_without_the_function_get_nothing() -> None:
    peers = {
        P2: _peer(P2, margin=0.0, spare=0.0),
        P3: _peer(P3, margin=50.0, spare=50.0, functions=frozenset({"funcb"})),
    }

    function = node_margin.plan(_observation(50, cpu=240), peers, SETTINGS).functions["funca"]

    assert (function.local_weight, function.peer_weights) == (100, {})


def test_neighbour_with_most_spare_capacity_is_filled_first() -> None:
    peers = {P2: _peer(P2, margin=10.0, spare=5.0), P3: _peer(P3, margin=10.0, spare=40.0)}

    function = node_margin.plan(_observation(50, cpu=240), peers, SETTINGS).functions["funca"]

    assert function.forward_rates == pytest.approx({P3: 25.0})


def test_without_measurements_nothing_is_forwarded_and_no_margin_is_offered() -> None:
    peers = {P2: _peer(P2, margin=50.0, spare=50.0)}

    plan = node_margin.plan(_observation(50, cpu=None, ram=None), peers, SETTINGS)

    assert plan.functions["funca"].peer_weights == {}
    assert _margin_message(plan.announcements).margin == 0.0


def test_forecast_replaces_the_measurement() -> None:
    forecast = ResourceUsage(cpu_percent=240.0, ram_bytes=1e9)
    peers = {P2: _peer(P2, margin=10.0, spare=100.0)}

    function = node_margin.plan(
        _observation(50, cpu=10, forecast=forecast), peers, SETTINGS
    ).functions["funca"]

    assert function.forward_rates == pytest.approx({P2: 25.0})


def test_margin_is_the_free_share_of_utilisation_divided_among_neighbours() -> None:
    # CPU 60/120 and RAM 2.75/5.5 GB: 50 % used, 50 points free, two neighbours.
    peers = {P2: _peer(P2, margin=1.0), P3: _peer(P3, margin=1.0)}

    plan = node_margin.plan(_observation(10, cpu=60, ram=2.75e9), peers, SETTINGS)

    message = _margin_message(plan.announcements)
    assert message.margin == pytest.approx(25.0)
    # 10 req/s use half the binding resource: 10 more fit, 5 per neighbour.
    assert message.spare_rate == pytest.approx(5.0)


def test_load_is_announced_per_usage_group() -> None:
    settings = StrategySettings(node_ip="10.0.0.1", function_groups={"funca": UsageGroup.HIGH})

    plan = node_margin.plan(_observation(10, cpu=60), {P2: _peer(P2, 1.0)}, settings)

    load = _margin_message(plan.announcements).load
    assert (load.rate_high_usage, load.rate_medium_usage, load.rate_low_usage) == (10.0, 0.0, 0.0)


def test_overloaded_node_announces_zero_margin_and_zero_load() -> None:
    plan = node_margin.plan(_observation(10, cpu=240), {P2: _peer(P2, 1.0)}, SETTINGS)

    message = _margin_message(plan.announcements)
    assert (message.margin, message.load.rate_medium_usage, message.spare_rate) == (0.0, 0.0, 0.0)


def test_common_neighbours_are_recomputed_every_period() -> None:
    both = {P2: _peer(P2, 1.0), P3: _peer(P3, 1.0)}
    one_left = {P2: _peer(P2, 1.0), P3: _peer(P3, 1.0, functions=frozenset({"funcb"}))}

    before = _margin_message(
        node_margin.plan(_observation(10, cpu=60), both, SETTINGS).announcements
    )
    after = _margin_message(
        node_margin.plan(_observation(10, cpu=60), one_left, SETTINGS).announcements
    )

    assert after.margin == pytest.approx(2 * before.margin)


def test_without_common_neighbours_only_node_info_is_announced() -> None:
    plan = node_margin.plan(_observation(10, cpu=60), {}, SETTINGS)

    assert [type(m) for m in plan.announcements] == [NodeInfoNMS]
