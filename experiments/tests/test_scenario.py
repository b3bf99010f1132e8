"""Scenario files: the shipped ones load, bad ones fail naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dfaas_experiments.scenario import ScenarioError, load_scenario, parse_scenario

SCENARIOS = Path(__file__).parent.parent / "scenarios"


def _paper() -> dict[str, Any]:
    data = yaml.safe_load((SCENARIOS / "paper.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yml")), ids=lambda p: p.stem)
def test_shipped_scenario_is_valid(path: Path) -> None:
    scenario = load_scenario(path)

    assert scenario.name == path.stem


def test_paper_scenario_is_the_published_case() -> None:
    scenario = load_scenario(SCENARIOS / "paper.yml")

    capacities = {n: node.functions["funca"].maxrate for n, node in scenario.nodes.items()}
    assert capacities == {"node1": 10, "node2": 20, "node3": 30}
    assert scenario.period_s == 60
    assert scenario.duration_s == 300
    assert [(e.node, e.segments[0].rate_at(0)) for e in scenario.load] == [("node1", 50)]


def test_misspelt_key_is_named() -> None:
    data = _paper()
    data["nodes"]["node2"]["functions"]["funca"]["maxrat"] = 20

    with pytest.raises(ScenarioError, match=r"nodes\.node2\.functions\.funca\.maxrat"):
        parse_scenario(data)


def test_unknown_strategy_is_named() -> None:
    data = _paper()
    data["strategies"] = ["recalc", "round_robin"]

    with pytest.raises(ScenarioError, match=r"strategies: .*round_robin"):
        parse_scenario(data)


def test_strategy_alias_becomes_its_canonical_name() -> None:
    data = _paper()
    data["strategies"] = ["recalcstrategy"]

    assert parse_scenario(data).strategies == ["recalc"]


def test_load_on_an_unknown_node_is_refused() -> None:
    data = _paper()
    data["load"][0]["node"] = "node9"

    with pytest.raises(ScenarioError, match=r"load\[0\]\.node: no node named 'node9'"):
        parse_scenario(data)


def test_unknown_segment_kind_is_named() -> None:
    data = _paper()
    data["load"][0]["segments"][0]["kind"] = "sine"

    with pytest.raises(ScenarioError, match=r"load\.0\.segments\.0"):
        parse_scenario(data)


def test_cpu_limit_without_request_cost_is_refused() -> None:
    data = _paper()
    del data["nodes"]["node1"]["functions"]["funca"]["cpu_percent_per_request"]

    with pytest.raises(ScenarioError, match=r"nodes\.node1: .*cpu_percent_per_request"):
        parse_scenario(data)


def test_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("nodes: [unclosed\n", encoding="utf-8")

    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(path)


def test_a_trace_segment_is_a_scenario_load() -> None:
    data = _paper()
    data["load"][0]["segments"] = [{"kind": "trace", "rates": [12, 30, 0], "step_s": 2}]

    scenario = parse_scenario(data)

    assert scenario.load[0].segments[0].duration_s == 6
