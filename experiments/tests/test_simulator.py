"""The simulator on the paper's case and on small synthetic federations."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dfaas_agent.strategies import UnknownStrategy
from dfaas_experiments.federations import SyntheticSpec, from_scenario, synthetic
from dfaas_experiments.scenario import load_scenario
from dfaas_experiments.simulate import main
from dfaas_experiments.simulator import Federation, SimFunction, SimNode, Simulation

SCENARIOS = Path(__file__).parent.parent / "scenarios"


def _paper(warmup_periods: int = 2) -> Federation:
    return from_scenario(load_scenario(SCENARIOS / "paper.yml"), warmup_periods)


def test_all_local_serves_a_fifth_in_the_paper_case() -> None:
    outcome = Simulation(_paper(), "all_local").run()

    assert outcome.served_ratio == pytest.approx(10 / 50, abs=1e-9)
    assert outcome.forwarded_share == 0


def test_recalc_serves_everything_after_the_first_period_in_the_paper_case() -> None:
    outcome = Simulation(_paper(), "recalc").run()

    assert outcome.after_first_period.served_ratio >= 0.99


def test_recalc_splits_the_excess_by_the_grants_in_the_paper_case() -> None:
    # node2 grants 20/2 and node3 30/2 req/s: the 40 req/s excess goes 40 % / 60 %.
    outcome = Simulation(_paper(), "recalc").run(record_series=True)

    steady = outcome.served_per_step[150]
    assert steady == pytest.approx({"node1": 10, "node2": 16, "node3": 24})


def test_external_with_the_reference_policy_makes_recalcs_split_in_the_paper_case() -> None:
    # The policy, asked in process, sends the excess by the members' announced room
    # (their recalc grants): the same 40 % / 60 % split, from the second period on.
    external = Simulation(_paper(), "external").run(record_series=True)

    assert external.served_per_step[150] == pytest.approx({"node1": 10, "node2": 16, "node3": 24})
    assert external.after_first_period.served_ratio >= 0.99
    # Shares are fractions of the last period's input: at the onset (input 0 before) it
    # said "all here", so node1 served only its 10 of 50 req/s for the first period,
    # where recalc's limit in req/s forwarded at once.
    assert external.served_ratio == pytest.approx(1 - 40 * 60 / (50 * 300), abs=1e-9)


def test_recalc_with_agents_starting_one_period_early_loses_the_first_period() -> None:
    # The paper's run: 40 req/s fail until the first recalculation, about 84 % overall.
    outcome = Simulation(_paper(warmup_periods=1), "recalc").run()

    assert outcome.served_ratio == pytest.approx(1 - 40 * 60 / (50 * 300), abs=1e-9)
    assert outcome.first_help_s == {"node1": 60.0}


def test_static_sends_what_node1_cannot_run_to_the_members_in_the_paper_case() -> None:
    # Static plans 30 req/s at home, but node1's slots run 10: the data path sends
    # the other 40 to node2 and node3 by weight (20 each), and both have the room.
    outcome = Simulation(_paper(), "static").run()

    assert outcome.served_ratio == pytest.approx(1.0)


def _line(
    maxrates: dict[str, float], offered: dict[str, float], steps: int = 20, period_s: float = 1
) -> Federation:
    """A full mesh of nodes with one function `f`."""
    names = sorted(maxrates)
    nodes = {
        name: SimNode(
            name,
            f"10.0.0.{index + 1}",
            {"f": SimFunction(maxrates[name])},
            neighbours=frozenset(names) - {name},
        )
        for index, name in enumerate(names)
    }
    return Federation(
        nodes=nodes,
        offered={(name, "f"): [rate] * steps for name, rate in offered.items()},
        period_s=period_s,
        step_s=1,
        steps=steps,
    )


def test_a_helper_whose_own_load_returns_serves_it_before_the_excess_it_granted() -> None:
    # recalc, period 5 s: helper idles for 10 s (granting hot 10 req/s), then its own
    # clients need all of its capacity. Until the next plan, hot still forwards on the
    # old grant: the helper runs its own clients first and refuses hot's requests.
    federation = _line({"hot": 5, "helper": 10}, {"hot": 15}, steps=20, period_s=5)
    offered = dict(federation.offered)
    offered[("helper", "f")] = [0.0] * 10 + [10.0] * 10
    federation = dataclasses.replace(federation, offered=offered)
    outcome = Simulation(federation, "recalc").run()

    assert outcome.per_node["helper"].served_ratio == pytest.approx(1.0)
    assert outcome.per_node["hot"].served_by_peers == pytest.approx(10 * 10)


def test_requests_a_full_member_refuses_are_tried_on_another_member() -> None:
    # Static sends hot's excess half to full (no room) and half to roomy; what
    # full refuses is tried once on roomy, which serves all of it.
    federation = _line({"hot": 10, "full": 10, "roomy": 100}, {"hot": 30, "full": 10, "roomy": 0})
    outcome = Simulation(federation, "static").run()

    assert outcome.per_node["hot"].served_ratio == pytest.approx(1.0)
    assert outcome.per_node["full"].served_ratio == pytest.approx(1.0)


def test_node_margin_forwards_when_cpu_is_over_its_threshold() -> None:
    all_local = Simulation(_paper(), "all_local").run()
    node_margin = Simulation(_paper(), "node_margin").run()

    assert node_margin.forwarded_share > 0
    assert node_margin.served_ratio > all_local.served_ratio


def test_strategy_alias_runs_the_same_strategy() -> None:
    assert Simulation(_paper(), "recalcstrategy").run().strategy == "recalc"


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(UnknownStrategy, match="round_robin"):
        Simulation(_paper(), "round_robin")


def test_cpu_limit_caps_what_a_node_serves() -> None:
    node = SimNode(
        name="solo",
        address="10.0.0.1",
        functions={"figlet": SimFunction(maxrate=None, cpu_percent_per_request=10)},
        neighbours=frozenset(),
        cpu_limit_percent=100,
    )
    federation = Federation(
        nodes={"solo": node},
        offered={("solo", "figlet"): [30.0] * 10},
        period_s=5,
        step_s=1,
        steps=10,
    )

    outcome = Simulation(federation, "all_local").run()

    assert outcome.served_ratio == pytest.approx(1 / 3)


def test_period_must_be_a_multiple_of_the_step() -> None:
    with pytest.raises(ValueError, match=r"period_s \(2.5\) must be a whole multiple"):
        Federation(nodes={}, offered={}, period_s=2.5, step_s=1, steps=10)


def test_neighbour_that_is_not_a_node_is_refused() -> None:
    node = SimNode("a", "10.0.0.1", {"f": SimFunction(10)}, neighbours=frozenset({"ghost"}))

    with pytest.raises(ValueError, match=r"node a: neighbours must be other known nodes.*ghost"):
        Federation(nodes={"a": node}, offered={}, period_s=1, step_s=1, steps=1)


def test_recalc_beats_all_local_on_a_synthetic_federation() -> None:
    federation = synthetic(SyntheticSpec(nodes=60, neighbours=4, duration_s=120, period_s=20))

    all_local = Simulation(federation, "all_local").run()
    recalc = Simulation(federation, "recalc").run()

    assert all_local.served_ratio < 1
    assert recalc.served_ratio > all_local.served_ratio
    assert recalc.forwarded_share > 0


def test_synthetic_federation_links_are_symmetric() -> None:
    federation = synthetic(SyntheticSpec(nodes=30, neighbours=3, duration_s=10, period_s=10))

    for name, node in federation.nodes.items():
        assert len(node.neighbours) >= 3
        assert all(name in federation.nodes[peer].neighbours for peer in node.neighbours)


def test_synthetic_federations_of_other_degrees_carry_the_same_load() -> None:
    sparse = synthetic(SyntheticSpec(nodes=40, neighbours=2, duration_s=10, period_s=10))
    dense = synthetic(SyntheticSpec(nodes=40, neighbours=8, duration_s=10, period_s=10))

    assert sparse.offered == dense.offered
    assert {n: node.functions for n, node in sparse.nodes.items()} == {
        n: node.functions for n, node in dense.nodes.items()
    }
    assert sparse.nodes["n00000"].neighbours != dense.nodes["n00000"].neighbours


def test_command_line_prints_each_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SCENARIOS / "paper-short.yml")]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("all_local") and "served  20.00%" in line for line in lines)
    assert any(line.startswith("recalc") and "served 100.00%" in line for line in lines)


def test_command_line_writes_results_and_plots(tmp_path: Path) -> None:
    out = tmp_path / "sim"

    assert main([str(SCENARIOS / "paper-short.yml"), "--out", str(out)]) == 0

    document = json.loads((out / "simulation.json").read_text())
    ratios = {entry["strategy"]: entry["served_ratio"] for entry in document["strategies"]}
    assert ratios == pytest.approx({"all_local": 0.2, "recalc": 1.0})
    assert (out / "sim-served-recalc.png").read_bytes().startswith(b"\x89PNG")
