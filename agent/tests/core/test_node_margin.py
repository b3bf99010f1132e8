"""Node margin without trained models: measured utilisation, proportional cost model."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfaas_agent.messages import NodeInfoNMS, NodeMarginInfoNMS
from dfaas_agent.model import (
    FunctionObservation,
    Observation,
    PeerInfo,
    ResourceUsage,
    StrategySettings,
    UsageGroup,
)
from dfaas_agent.peers import PeerTable
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
    executed: float | None = None,
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
                executed_rate=executed,
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
    cpu_threshold: float | None = None,
) -> PeerInfo:
    return PeerInfo(
        peer_id=peer_id,
        host="10.0.0.9",
        port=30080,
        functions=functions,
        margin=margin,
        spare_rate=spare,
        max_values=None if cpu_threshold is None else ResourceUsage(cpu_percent=cpu_threshold),
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


def test_node_at_its_threshold_keeps_handing_its_excess_over() -> None:
    # Last period it ran 25 of its 50 req/s and sat exactly at its threshold: not
    # over it, but the other 25 still have to go (it used to stop forwarding here).
    plan = node_margin.plan(
        _observation(50, cpu=120, executed=25), {P2: _peer(P2, 10.0, spare=40.0)}, SETTINGS
    )

    function = plan.functions["funca"]
    assert function.forward_rates == pytest.approx({P2: 25.0})
    assert function.local_rate == pytest.approx(25.0)
    message = _margin_message(plan.announcements)
    assert (message.margin, message.spare_rate) == (0.0, 0.0)


def test_requests_run_for_peers_do_not_push_our_clients_out() -> None:
    # 40 client + 10 peer req/s at 200/120 of the CPU threshold: capacity 30 req/s.
    # Only the clients' excess over the capacity (10) moves; the peers' share is for
    # them to drop when we announce no spare.
    peers = {P3: _peer(P3, margin=50.0, spare=100.0)}

    plan = node_margin.plan(_observation(40, cpu=200, for_peers={P2: 10.0}), peers, SETTINGS)

    function = plan.functions["funca"]
    assert function.forward_rates == pytest.approx({P3: 10.0})
    assert function.local_rate == pytest.approx(30.0)


def test_node_overloaded_by_peers_requests_offers_nothing_and_keeps_its_clients() -> None:
    # 10 client + 30 peer req/s at twice the threshold: capacity 20, clients fit.
    peers = {P2: _peer(P2, margin=0.0, spare=0.0), P3: _peer(P3, margin=50.0, spare=100.0)}

    plan = node_margin.plan(_observation(10, cpu=240, for_peers={P2: 30.0}), peers, SETTINGS)

    assert plan.functions["funca"].peer_weights == {}
    message = _margin_message(plan.announcements)
    assert (message.margin, message.spare_rate) == (0.0, 0.0)


def test_neighbours_without_spare_or_without_the_function_get_nothing() -> None:
    peers = {
        P2: _peer(P2, margin=0.0, spare=0.0),
        P3: _peer(P3, margin=50.0, spare=50.0, functions=frozenset({"funcb"})),
    }

    function = node_margin.plan(_observation(50, cpu=240), peers, SETTINGS).functions["funca"]

    assert (function.local_weight, function.peer_weights) == (100, {})


def test_excess_is_spread_in_proportion_to_the_spare_offered() -> None:
    # Excess 25 req/s, offers 10 + 40: each peer gets half of its offer. Two nodes in
    # need reading the same offers thus do not both fill the same peer first.
    peers = {P2: _peer(P2, margin=10.0, spare=10.0), P3: _peer(P3, margin=10.0, spare=40.0)}

    function = node_margin.plan(_observation(50, cpu=240), peers, SETTINGS).functions["funca"]

    assert function.forward_rates == pytest.approx({P2: 5.0, P3: 20.0})
    assert function.local_rate == pytest.approx(25.0)


def test_peer_weight_is_rounded_down_so_a_peer_never_gets_more_than_it_offered() -> None:
    # 3.3 of 50 req/s is weight 6.6: 6 (3.0 req/s), the rest stays here.
    function = node_margin.plan(
        _observation(50, cpu=240), {P2: _peer(P2, margin=5.0, spare=3.3)}, SETTINGS
    ).functions["funca"]

    assert (function.local_weight, function.peer_weights) == (94, {P2: 6})
    assert function.forward_rates == pytest.approx({P2: 3.0})


def test_helper_filled_to_its_threshold_still_gets_its_room() -> None:
    # Its utilisation margin is 0 at the threshold; its spare rate says what is ours.
    function = node_margin.plan(
        _observation(50, cpu=240), {P2: _peer(P2, margin=0.0, spare=10.0)}, SETTINGS
    ).functions["funca"]

    assert function.forward_rates == pytest.approx({P2: 10.0})


def test_go_peer_margin_counts_against_its_own_cpu_threshold() -> None:
    # Our capacity is 25 req/s at 120 %; the Go peer's threshold is 240 %, so with the
    # same cost per request its capacity is 50 and its 10 % margin is 5 req/s.
    peers = {P2: _peer(P2, margin=10.0, cpu_threshold=240.0)}

    function = node_margin.plan(_observation(50, cpu=240), peers, SETTINGS).functions["funca"]

    assert function.forward_rates == pytest.approx({P2: 5.0})


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
    # 10 req/s use half the binding resource: 10 more fit. No neighbour is in need,
    # so the first one that is may take all of it.
    assert message.spare_rate == pytest.approx(10.0)


def test_spare_rate_is_shared_by_the_neighbours_in_need() -> None:
    # Room 10 req/s. P2 (spare 0) and the Go peer P3 (margin 0) need help, P4 does not.
    p4 = "12D3KooWp4"
    peers = {
        P2: _peer(P2, margin=0.0, spare=0.0),
        P3: _peer(P3, margin=0.0),
        p4: _peer(p4, margin=20.0, spare=5.0),
    }

    plan = node_margin.plan(_observation(10, cpu=60), peers, SETTINGS)

    assert _margin_message(plan.announcements).spare_rate == pytest.approx(5.0)


@pytest.mark.parametrize(
    "observation",
    [
        _observation(10, cpu=90, for_peers={P2: 20.0}),
        # As the agent measures it: only the total run here, not who it was for.
        _observation(10, cpu=90, executed=30.0),
    ],
    ids=["per-peer", "total-only"],
)
def test_requests_run_for_peers_do_not_shrink_the_spare_rate(observation: Observation) -> None:
    # 30 req/s at 90/120: capacity 40, our clients use 10, so P2 may run 30 here,
    # the 20 it already does included (they were subtracted, and the offer shrank).
    plan = node_margin.plan(observation, {P2: _peer(P2, margin=0.0, spare=0.0)}, SETTINGS)

    assert _margin_message(plan.announcements).spare_rate == pytest.approx(30.0)


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


# Properties on generated nodes and neighbours (funca and funcb; peers are ours when
# they announce a spare rate, Go peers otherwise).
_rates = st.floats(min_value=0, max_value=500, allow_nan=False, allow_infinity=False)
_function = st.builds(
    FunctionObservation,
    maxrate=st.none(),
    timeout_ms=st.none(),
    offered_rate=_rates,
    executed_for_peers=st.dictionaries(st.sampled_from([P2, P3]), _rates, max_size=2),
    executed_rate=st.none() | _rates,
)
_node = st.builds(
    Observation,
    peer_id=st.just(ME),
    functions=st.dictionaries(st.sampled_from(["funca", "funcb"]), _function, min_size=1),
    cpu_percent=st.none() | st.floats(min_value=0, max_value=600),
    ram_bytes=st.none() | st.floats(min_value=0, max_value=1e10),
)
_neighbours = st.fixed_dictionaries(
    {
        peer_id: st.builds(
            _peer,
            st.just(peer_id),
            st.none() | st.floats(min_value=0, max_value=100),
            st.none() | _rates,
            st.frozensets(st.sampled_from(["funca", "funcb"])),
        )
        for peer_id in (P2, P3, "12D3KooWp4")
    }
)


@given(observation=_node, peers=_neighbours)
@settings(max_examples=200, deadline=None)
def test_never_plans_more_than_offered_nor_more_to_a_peer_than_it_can_take(
    observation: Observation, peers: dict[str, PeerInfo]
) -> None:
    plan = node_margin.plan(observation, peers, SETTINGS)

    usage = node_margin.utilisation(observation, SETTINGS)
    capacity = node_margin.capacity_rate(observation, usage)
    sent: dict[str, float] = {}
    for name, function in plan.functions.items():
        offered = observation.functions[name].offered_rate
        assert function.local_rate >= 0
        assert function.local_rate + function.forwarded_rate == pytest.approx(offered)
        assert set(function.forward_rates) <= {p for p in peers if peers[p].hosts(name)}
        for peer, rate in function.forward_rates.items():
            sent[peer] = sent.get(peer, 0.0) + rate
    for peer, rate in sent.items():
        info = peers[peer]
        if info.spare_rate is not None:
            bound = info.spare_rate
        else:
            assert info.margin is not None
            assert capacity is not None
            bound = info.margin / 100 * capacity
        assert rate <= bound * (1 + 1e-9) + 1e-9
    excess = node_margin.excess_rate(observation, capacity)
    assert math.fsum(sent.values()) <= excess * (1 + 1e-9) + 1e-9


@given(observation=_node, peers=_neighbours)
@settings(max_examples=200, deadline=None)
def test_offers_to_the_neighbours_in_need_never_exceed_the_room(
    observation: Observation, peers: dict[str, PeerInfo]
) -> None:
    plan = node_margin.plan(observation, peers, SETTINGS)

    messages = [m for m in plan.announcements if isinstance(m, NodeMarginInfoNMS)]
    if not messages or not messages[0].spare_rate:
        return
    capacity = node_margin.capacity_rate(
        observation, node_margin.utilisation(observation, SETTINGS)
    )
    assert capacity is not None
    room = capacity - math.fsum(o.offered_rate for o in observation.functions.values())
    ours = set(observation.functions)
    in_need = [
        p
        for p in peers.values()
        if ours & p.functions and (p.spare_rate == 0 if p.spare_rate is not None else p.margin == 0)
    ]
    assert messages[0].spare_rate * max(1, len(in_need)) <= room * (1 + 1e-9)


def _federation_rounds(
    offered: dict[str, float], threshold: dict[str, float], rounds: int
) -> list[dict[str, float]]:
    """Closed loop: each node's CPU is 10 % per req/s run there, capped at 10/9 of its
    threshold; it plans from last round's run and its peers' last announcements. Only
    the total run here is measured, as the agent does. Returns the req/s run per round.
    """
    names = sorted(offered)
    tables = {name: PeerTable(name, 1e9, lambda: 0.0) for name in names}
    configs = {
        name: StrategySettings(
            node_ip=f"10.0.0.{index + 1}",
            members=frozenset(names) - {name},
            cpu_threshold_percent=threshold[name],
        )
        for index, name in enumerate(names)
    }
    executed = dict.fromkeys(names, 0.0)
    history = []
    for _round in range(rounds):
        plans = {}
        for name in names:
            observation = Observation(
                peer_id=name,
                functions={
                    "funca": FunctionObservation(
                        maxrate=None,
                        timeout_ms=None,
                        offered_rate=offered[name],
                        executed_rate=executed[name],
                    )
                },
                cpu_percent=10.0 * executed[name],
            )
            plans[name] = node_margin.plan(observation, tables[name].snapshot(), configs[name])
        for sender, plan in plans.items():
            for message in plan.announcements:
                for receiver in names:
                    if receiver != sender:
                        tables[receiver].record(sender, message)
        wanted = {name: plans[name].functions["funca"].local_rate for name in names}
        for plan in plans.values():
            for peer, rate in plan.functions["funca"].forward_rates.items():
                wanted[peer] += rate
        limit = {name: threshold[name] / 9.0 for name in names}  # 10 % per req/s, limit 10/9
        executed = {name: min(wanted[name], limit[name]) for name in names}
        history.append(dict(wanted))
    return history


def test_two_nodes_in_need_share_the_helpers_without_overloading_them_for_long() -> None:
    # two-hot-nodes: h1, h2 offer 40 req/s with room for 18; c1, c2 offer 10 with room
    # for 27. Each helper has 17 to spare for the two nodes in need: 8.5 each.
    offered = {"h1": 40.0, "h2": 40.0, "c1": 10.0, "c2": 10.0}
    threshold = {"h1": 180.0, "h2": 180.0, "c1": 270.0, "c2": 270.0}

    history = _federation_rounds(offered, threshold, rounds=20)

    for name in ("c1", "c2"):
        over = [index for index, run in enumerate(history) if run[name] > 27.0 + 1e-6]
        assert len(over) <= 1, f"{name} over its threshold in rounds {over}"
        assert history[-1][name] == pytest.approx(27.0, abs=1.0)
    for name in ("h1", "h2"):
        # 22 req/s over its capacity, 17 of them taken by the helpers (weights round down).
        assert history[-1][name] == pytest.approx(40.0 - 17.0, abs=1.0)


def test_one_node_in_need_gets_all_the_room_of_its_helpers() -> None:
    # The paper's case: node1 offers 50 with room for 9; node2 and node3 are idle with
    # room for 18 and 27. All but 9 req/s move, none over a helper's threshold.
    offered = {"node1": 50.0, "node2": 0.0, "node3": 0.0}
    threshold = {"node1": 90.0, "node2": 180.0, "node3": 270.0}

    history = _federation_rounds(offered, threshold, rounds=10)

    assert all(run["node2"] <= 18.0 + 1e-6 and run["node3"] <= 27.0 + 1e-6 for run in history)
    assert history[-1]["node2"] + history[-1]["node3"] == pytest.approx(41.0, abs=1.0)
