"""The oracle: the most a federation could have served, per bin, under its rules."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfaas_experiments.oracle import (
    capacities,
    forwardable,
    max_flow,
    neighbours,
    oracle_summary,
    possible_in_bin,
    possible_per_bin,
)
from dfaas_experiments.records import Outcome, RequestRecord
from dfaas_experiments.scenario import Scenario, parse_scenario

F = "funca"


def _mesh(*names: str) -> dict[str, frozenset[str]]:
    return {name: frozenset(names) - {name} for name in names}


def _scenario(nodes: dict[str, Any], load: list[dict[str, Any]] | None = None) -> Scenario:
    first = next(iter(nodes))
    return parse_scenario(
        {
            "name": "oracle",
            "strategies": ["recalc"],
            "nodes": nodes,
            "load": load
            or [
                {
                    "node": first,
                    "function": F,
                    "segments": [{"kind": "constant", "rate": 1, "duration_s": 1}],
                }
            ],
        }
    )


PAPER_CAPACITY = {("node1", F): 10.0, ("node2", F): 20.0, ("node3", F): 30.0}


def test_paper_case_with_idle_helpers_can_serve_all_fifty() -> None:
    best = possible_in_bin({("node1", F): 50.0}, PAPER_CAPACITY, _mesh("node1", "node2", "node3"))

    assert best.possible == pytest.approx(50)
    assert best.own_possible == {"node1": 10, "node2": 0, "node3": 0}


def test_two_hot_nodes_share_one_helpers_room() -> None:
    capacity = {("a", F): 10.0, ("b", F): 10.0, ("helper", F): 30.0}
    offered = {("a", F): 25.0, ("b", F): 25.0, ("helper", F): 10.0}

    best = possible_in_bin(offered, capacity, _mesh("a", "b", "helper"))

    # Own: 10 + 10 + 10; excess 15 + 15 = 30 against 20 of spare room.
    assert best.possible == pytest.approx(50)


def test_offered_above_the_federations_capacity_gives_the_total_capacity() -> None:
    best = possible_in_bin({("node1", F): 80.0}, PAPER_CAPACITY, _mesh("node1", "node2", "node3"))

    assert best.possible == pytest.approx(60)


def test_a_node_without_the_function_cannot_help() -> None:
    capacity = {("node1", F): 10.0, ("node2", F): 20.0, ("node3", "other"): 30.0}

    best = possible_in_bin({("node1", F): 50.0}, capacity, _mesh("node1", "node2", "node3"))

    assert best.possible == pytest.approx(30)


def test_requests_for_a_function_a_node_lacks_can_only_be_served_by_its_neighbours() -> None:
    capacity = {("node1", "other"): 10.0, ("node2", F): 20.0}

    best = possible_in_bin({("node1", F): 5.0}, capacity, _mesh("node1", "node2"))

    assert best.possible == pytest.approx(5)
    assert best.own_possible["node1"] == 0


def test_a_helper_that_is_not_a_neighbour_of_the_hot_node_takes_nothing() -> None:
    capacity = {("hot", F): 10.0, ("near", F): 13.0, ("far", F): 40.0}
    links = {"hot": {"near"}, "near": {"hot", "far"}, "far": {"near"}}

    best = possible_in_bin({("hot", F): 30.0}, capacity, links)

    # A full mesh would serve 30; only near's 13 req/s of room are one hop away.
    assert best.possible == pytest.approx(23)


def test_max_flow_routes_around_a_helper_shared_by_two_hot_nodes() -> None:
    # x reaches p and q, y reaches only p: the best sends x to q and y to p.
    links = {"x": {"p", "q"}, "y": {"p"}}

    flow = max_flow({"x": 5.0, "y": 5.0}, {"p": 5.0, "q": 5.0}, links)

    assert flow == pytest.approx(10)


def test_own_clients_of_a_helper_come_before_another_nodes_excess() -> None:
    capacity = {("hot", F): 10.0, ("helper", F): 20.0}

    best = possible_in_bin(
        {("hot", F): 40.0, ("helper", F): 15.0}, capacity, _mesh("hot", "helper")
    )

    assert best.own_possible == {"hot": 10, "helper": 15}
    # The helper keeps 15 for its own clients, leaving 5 for the hot node's 30 of excess.
    assert best.possible == pytest.approx(10 + 15 + 5)


def test_unbounded_capacity_serves_all_and_helps_with_any_excess() -> None:
    capacity: dict[tuple[str, str], float | None] = {("hot", F): 0.0, ("big", F): None}

    best = possible_in_bin({("hot", F): 40.0, ("big", F): 1000.0}, capacity, _mesh("hot", "big"))

    assert best.possible == pytest.approx(1040)


def test_functions_are_taken_apart() -> None:
    capacity = {("a", F): 10.0, ("a", "g"): 10.0, ("b", F): 0.0, ("b", "g"): 10.0}

    best = possible_in_bin({("a", F): 20.0, ("a", "g"): 20.0}, capacity, _mesh("a", "b"))

    # b has room for g only: a's excess of funca stays unserved.
    assert best.possible == pytest.approx(10 + 10 + 10)
    assert best.own_possible == {"a": 20, "b": 0}


def test_capacity_is_maxrate_else_cpu_limit_over_cpu_per_request_else_unbounded() -> None:
    scenario = _scenario(
        {
            "n1": {"functions": {F: {"maxrate": 7}}},
            "n2": {"cpu_limit_percent": 200, "functions": {F: {"cpu_percent_per_request": 8}}},
            "n3": {"functions": {F: {}}},
            "n4": {
                "cpu_limit_percent": 100,
                "functions": {F: {"maxrate": 3, "cpu_percent_per_request": 10}},
            },
        }
    )

    assert capacities(scenario) == {("n1", F): 7, ("n2", F): 25, ("n3", F): None, ("n4", F): 3}


def test_scenario_neighbours_are_a_full_mesh() -> None:
    scenario = _scenario({name: {"functions": {F: {}}} for name in ("a", "b", "c")})

    assert neighbours(scenario) == _mesh("a", "b", "c")


# Property tests on random small federations (one function, some nodes without it).
_NAMES = ("n0", "n1", "n2", "n3", "n4", "n5")
_capacity = st.one_of(st.none(), st.floats(0, 100, allow_nan=False))


@st.composite
def _federations(
    draw: st.DrawFn,
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float | None], list[str]]:
    names = list(_NAMES[: draw(st.integers(1, len(_NAMES)))])
    offered = {(n, F): draw(st.floats(0, 100, allow_nan=False)) for n in names}
    hosts = [n for n in names if draw(st.booleans())]
    capacity = {(n, F): draw(_capacity) for n in hosts}
    return offered, capacity, names


@given(_federations(), st.data())
def test_possible_never_exceeds_the_offered_load_nor_the_capacity(
    federation: tuple[dict[tuple[str, str], float], dict[tuple[str, str], float | None], list[str]],
    data: st.DataObject,
) -> None:
    offered, capacity, names = federation
    links = {n: set(data.draw(st.lists(st.sampled_from(names), unique=True))) for n in names}

    best = possible_in_bin(offered, capacity, links)

    total_capacity = sum(math.inf if c is None else c for c in capacity.values())
    tolerance = 1e-9 * (1 + sum(offered.values()))
    assert best.possible <= sum(offered.values()) + tolerance
    assert best.possible <= total_capacity + tolerance
    assert best.possible >= sum(best.own_possible.values()) - tolerance
    # The full mesh can only do better than any of its subgraphs.
    assert best.possible <= possible_in_bin(offered, capacity, _mesh(*names)).possible + tolerance


@given(
    st.dictionaries(st.sampled_from(_NAMES), st.floats(0, 100, allow_nan=False)),
    st.dictionaries(
        st.sampled_from(_NAMES), st.floats(0, 100, allow_nan=False) | st.just(math.inf)
    ),
)
def test_full_mesh_fast_path_equals_the_general_max_flow(
    excess: dict[str, float], spare: dict[str, float]
) -> None:
    # A hot node has no spare room: own = capacity, the rest is excess.
    spare = {node: room for node, room in spare.items() if excess.get(node, 0) == 0}
    links = _mesh(*_NAMES)

    assert forwardable(excess, spare, links) == pytest.approx(max_flow(excess, spare, links))


# Binning of a run's records.
def _record(at: float, node: str, outcome: Outcome, served_by: str = "") -> RequestRecord:
    sent = None if outcome is Outcome.DROPPED else at
    return RequestRecord(at, sent, node, F, outcome, served_by=served_by or node)


TWO_NODES = {
    "node1": {"functions": {F: {"maxrate": 2}}},
    "node2": {"functions": {F: {"maxrate": 1}}},
}


def test_records_are_binned_by_send_time_per_node_without_the_drops() -> None:
    records = [
        # bin 0: node1 offered 4 (cap 2), node2 idle (cap 1): possible 3, served 3.
        _record(0.0, "node1", Outcome.OK),
        _record(0.2, "node1", Outcome.OK),
        _record(0.4, "node1", Outcome.OK, served_by="node2"),
        _record(0.6, "node1", Outcome.HTTP_ERROR),
        _record(0.8, "node1", Outcome.DROPPED),
        # bin 1: node2 offered 1, served; node1 one request, failed.
        _record(1.1, "node2", Outcome.OK),
        _record(1.5, "node1", Outcome.ERROR),
    ]

    per_bin = possible_per_bin(records, _scenario(TWO_NODES))

    assert per_bin.possible == pytest.approx((3, 2))
    assert per_bin.served == (3, 1)
    assert per_bin.own_offered == {"node1": (4, 1), "node2": (0, 1)}
    assert per_bin.own_possible == {"node1": (2, 1), "node2": (0, 1)}
    # The request node2 ran for node1 counts for node1, where it was sent.
    assert per_bin.own_served == {"node1": (3, 0), "node2": (0, 1)}


def test_capacity_scales_with_the_bin_length() -> None:
    records = [_record(i / 10, "node1", Outcome.OK) for i in range(20)]  # 10 req/s for 2 s

    per_bin = possible_per_bin(records, _scenario(TWO_NODES), bin_s=2.0)

    assert per_bin.possible == pytest.approx((6,))  # (2 + 1) req/s x 2 s
    assert per_bin.own_possible["node1"] == pytest.approx((4,))


def test_summary_counts_bins_at_target_the_worst_bin_and_own_first_violations() -> None:
    records = [
        # bin 0: node1 offered 4 (cap 2), node2 1 (cap 1): possible 3, served 3, but
        # node2's own request failed while node2 had room for it.
        *(_record(0.1 * i, "node1", Outcome.OK) for i in range(3)),
        _record(0.5, "node1", Outcome.HTTP_ERROR),
        _record(0.6, "node2", Outcome.HTTP_ERROR),
        # bin 1: node1 offered 2: possible 2, served 1.
        _record(1.0, "node1", Outcome.OK),
        _record(1.5, "node1", Outcome.ERROR),
        # bin 2: nothing offered, only a drop: nothing possible, skipped.
        _record(2.5, "node1", Outcome.DROPPED),
    ]

    summary = oracle_summary(records, _scenario(TWO_NODES))

    assert summary.served == 4
    assert summary.possible == pytest.approx(5)
    assert summary.ratio == pytest.approx(4 / 5)
    assert (summary.bins, summary.bins_at_target) == (2, 1)
    assert summary.share_bins_at_target == pytest.approx(0.5)
    assert summary.worst_bin_ratio == pytest.approx(0.5)
    assert summary.worst_bin_s == 1.0
    node1, node2 = summary.per_node["node1"], summary.per_node["node2"]
    assert (node1.own_offered, node1.own_possible, node1.own_served) == (6, 4, 4)
    assert node1.own_first_ratio == pytest.approx(1.0)
    assert node1.violation_bins == 1  # bin 1: 1 of 2
    assert (node2.own_offered, node2.own_possible, node2.own_served) == (1, 1, 0)
    assert node2.own_first_ratio == 0
    assert node2.violation_bins == 1


def test_served_above_possible_is_kept_not_clamped() -> None:
    # node1 (cap 2) gets 4 in bin 0, all served late from a queue; node2 cannot help (cap 0).
    scenario = _scenario(
        {"node1": {"functions": {F: {"maxrate": 2}}}, "node2": {"functions": {F: {"maxrate": 0}}}}
    )
    records = [_record(0.2 * i, "node1", Outcome.OK) for i in range(4)]

    summary = oracle_summary(records, scenario)

    assert summary.ratio == pytest.approx(2.0)
    assert summary.worst_bin_ratio == pytest.approx(2.0)
    assert summary.bins_at_target == 1


def test_a_node_with_no_own_load_has_no_own_first_ratio() -> None:
    summary = oracle_summary([_record(0.0, "node1", Outcome.OK)], _scenario(TWO_NODES))

    assert summary.per_node["node2"].own_first_ratio is None
    assert summary.per_node["node2"].violation_bins == 0


def test_no_records_give_no_bins() -> None:
    summary = oracle_summary([], _scenario(TWO_NODES))

    assert (summary.served, summary.possible, summary.bins) == (0, 0, 0)
    assert summary.ratio is None
    assert summary.worst_bin_ratio is None


def test_first_bin_at_target_counts_from_the_overload_onset() -> None:
    # node1 (cap 2): bin 0 fully served before the onset, bin 1 half, bin 2 fully again.
    records = [
        _record(0.1, "node1", Outcome.OK),
        _record(1.1, "node1", Outcome.OK),
        _record(1.2, "node1", Outcome.HTTP_ERROR),
        _record(2.1, "node1", Outcome.OK),
        _record(2.2, "node1", Outcome.OK),
    ]

    summary = oracle_summary(records, _scenario(TWO_NODES), onset_s=1.0)

    assert (summary.onset_s, summary.first_bin_at_target_s) == (1.0, 1.0)
    assert oracle_summary(records, _scenario(TWO_NODES)).first_bin_at_target_s is None
