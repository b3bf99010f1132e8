"""The simulator on the paper's case and on small synthetic federations."""

from __future__ import annotations

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


def test_recalc_with_agents_starting_one_period_early_loses_the_first_period() -> None:
    # The paper's run: 40 req/s fail until the first recalculation, about 84 % overall.
    outcome = Simulation(_paper(warmup_periods=1), "recalc").run()

    assert outcome.served_ratio == pytest.approx(1 - 40 * 60 / (50 * 300), abs=1e-9)
    assert outcome.first_help_s == {"node1": 60.0}


def test_static_keeps_sixty_percent_and_spreads_the_rest_in_the_paper_case() -> None:
    # node1 keeps 30 req/s (serves 10), node2 and node3 get 10 each and serve them.
    outcome = Simulation(_paper(), "static").run()

    assert outcome.served_ratio == pytest.approx(30 / 50)


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
