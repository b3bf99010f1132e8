"""A campaign plays a scenario per strategy against loopback and writes the report."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from dfaas_experiments.campaign import SwitchFailed, run_campaign, switch_strategy
from dfaas_experiments.load import Limits
from tests.conftest import LoopbackNode

pytestmark = pytest.mark.component


def _tiny_scenario(tmp_path: Path) -> Path:
    scenario = {
        "name": "tiny",
        "period_s": 1,
        "strategies": ["all_local", "recalc"],
        "nodes": {"node1": {"functions": {"figlet": {"maxrate": 5}}}},
        "load": [
            {
                "node": "node1",
                "function": "figlet",
                "segments": [{"kind": "constant", "rate": 10, "duration_s": 0.5}],
            }
        ],
    }
    path = tmp_path / "tiny.yml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return path


def test_each_strategy_is_switched_to_then_loaded_in_turn(
    loopback_node: LoopbackNode, tmp_path: Path
) -> None:
    switched = tmp_path / "switched.txt"
    switch = (
        f"{sys.executable} -c \"import sys; open(sys.argv[1], 'a').write(sys.argv[2] + ' ')\" "
        f"{switched} {{strategy}}"
    )

    summary = run_campaign(
        _tiny_scenario(tmp_path),
        {"node1": loopback_node.url},
        switch,
        tmp_path / "report",
        limits=Limits(timeout_s=5),
        log=lambda line: None,
    )

    assert switched.read_text() == "all_local recalc "
    assert loopback_node.requests == 2 * 5
    assert summary.is_file()
    assert "| recalc | 5 | 5 | 100.0% |" in summary.read_text()
    assert (tmp_path / "report" / "runs" / "all_local.csv").is_file()


def test_failing_switch_command_names_the_strategy(tmp_path: Path) -> None:
    with pytest.raises(SwitchFailed, match="switch to recalc: exit code 3"):
        switch_strategy(f'{sys.executable} -c "raise SystemExit(3)"', "recalc", timeout_s=30)


def test_scenario_node_without_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no target URL for scenario node"):
        run_campaign(_tiny_scenario(tmp_path), {}, None, tmp_path / "report")
