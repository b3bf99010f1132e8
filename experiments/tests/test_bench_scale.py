"""The scale bench: its growth laws and report from hand-made figures, then a short real run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dfaas_experiments.bench import scale
from dfaas_experiments.bench.scale import (
    Churn,
    ChurnFailed,
    SizeRun,
    Stop,
    _histograms,
    growth_exponent,
    growth_law,
    main,
    markdown,
)
from dfaas_testing import processes_mentioning


def _run(nodes: int, cpu_ms: float, churn: Churn | None = None) -> SizeRun:
    return SizeRun(
        strategy="recalc",
        nodes=nodes,
        launch_s=1.0,
        convergence_s=2.0,
        ready_convergence_s=1.0,
        window_s=10.0,
        rss_mib=[100.0, 110.0],
        cpu_ms_per_period=[cpu_ms, cpu_ms],
        published_per_s=[1.0, 1.0],
        received_per_s=[nodes - 1.0, nodes - 1.0],
        received_bytes_per_s=[100.0 * nodes * nodes] * 2,
        iteration_ms=[20.0],
        tuned_ms=[5.0],
        reload_ms=[],
        config_bytes=15000,
        churn=churn,
    )


def test_growth_exponents_name_constant_linear_and_quadratic_costs() -> None:
    sizes = [5, 10, 20, 50]

    assert growth_law(growth_exponent(sizes, [3.0, 3.0, 3.0, 3.0])) == "constant (N^0.00)"
    assert growth_law(growth_exponent(sizes, [2.0 * n for n in sizes])) == "linear (N^1.00)"
    assert growth_law(growth_exponent(sizes, [n * n for n in sizes])) == "quadratic (N^2.00)"
    assert growth_law(growth_exponent(sizes, [n**3 for n in sizes])) == "N^3.00"


def test_a_growth_law_needs_two_positive_points() -> None:
    assert growth_exponent([5, 10], [None, 4.0]) is None
    assert growth_exponent([5, 10], [0.0, 4.0]) is None
    assert growth_law(None) == "n/a"


def test_the_report_tabulates_each_figure_per_size_with_its_law() -> None:
    churn = Churn(20.0, 1.5, 2, 2, 600, 1.2, 1.3)
    stops = [Stop("recalc", 20, "saturated: iterations of 5600 ms")]
    text = markdown([_run(10, 20.0, churn), _run(5, 10.0, churn)], "cmd", "2 CPUs", stops)

    assert "| figure | unit | N=5 | N=10 | growth |" in text
    assert "| agent CPU per period, mean | ms | 10.00 | 20.00 | linear (N^1.00) |" in text
    assert "| gossip payload received per s per agent | B/s | 2500 | 10000 | quadratic" in text
    assert "N=5 2/600 (2 in flight), N=10 2/600 (2 in flight)" in text
    # Figures nobody measured (no agent reloaded in the window) are left out.
    assert "render + check + reload" not in text
    assert "Stopped at N=20: saturated: iterations of 5600 ms." in text


def test_a_saturated_size_is_shown_but_left_out_of_the_growth_law() -> None:
    runs = [_run(5, 10.0), _run(10, 20.0), _run(20, 5.0)]
    stops = [Stop("recalc", 20, "saturated: iterations of 1900 ms")]

    text = markdown(runs, "cmd", "2 CPUs", stops)

    assert "| figure | unit | N=5 | N=10 | N=20 (saturated) | growth |" in text
    assert "| agent CPU per period, mean | ms | 10.00 | 20.00 | 5.00 | linear (N^1.00) |" in text


def test_the_report_is_written_again_from_its_json(tmp_path: Path) -> None:
    churn = Churn(20.0, 1.5, 2, 2, 600, 1.2, 1.3)
    runs = [_run(5, 10.0, churn), _run(10, 20.0, churn)]
    document = {
        "command": "cmd",
        "machine": "2 CPUs",
        "runs": [dataclasses.asdict(run) | {"summary": run.summary()} for run in runs],
        "stops": [],
    }
    source = tmp_path / "scale.json"
    source.write_text(json.dumps(document))

    assert main(["--out", str(tmp_path / "again"), "--from-json", str(source)]) == 0

    assert (tmp_path / "again" / "scale.md").read_text() == markdown(runs, "cmd", "2 CPUs")
    assert (tmp_path / "again" / "scale-recalc.png").stat().st_size > 0


def test_the_report_says_how_often_the_agents_announced() -> None:
    runs = [_run(5, 10.0)]

    assert "agents announce every period (`announce_heartbeat_periods` 1)" in markdown(
        runs, "cmd", "2 CPUs"
    )
    assert "on change, else every 5 periods (`announce_heartbeat_periods` 5)" in markdown(
        runs, "cmd", "2 CPUs", heartbeat_periods=5
    )


def test_a_failed_stop_return_test_keeps_the_idle_figures_and_stops_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def measure(workdir: Path, nodes: int, strategy: str, **options: object) -> SizeRun:
        if nodes == 20:
            raise ChurnFailed(_run(20, 40.0), "timed out after 120 s waiting for node-1")
        return _run(nodes, nodes * 2.0)

    monkeypatch.setattr(scale, "measure_size", measure)

    assert main(["--out", str(tmp_path), "--sizes", "5,10,20,50", "--strategy", "recalc"]) == 0

    document = json.loads((tmp_path / "scale.json").read_text())
    assert [run["nodes"] for run in document["runs"]] == [5, 10, 20]
    assert document["stops"] == [
        {
            "strategy": "recalc",
            "nodes": 20,
            "reason": "stop/return test: timed out after 120 s waiting for node-1",
        }
    ]


def test_histograms_are_read_by_metric_and_label() -> None:
    text = "\n".join(
        [
            "# TYPE dfaas_agent_iteration_seconds histogram",
            'dfaas_agent_iteration_seconds_bucket{le="+Inf"} 4.0',
            "dfaas_agent_iteration_seconds_count 4.0",
            "dfaas_agent_iteration_seconds_sum 0.08",
            "# TYPE dfaas_agent_haproxy_apply_seconds histogram",
            'dfaas_agent_haproxy_apply_seconds_count{how="tuned"} 3.0',
            'dfaas_agent_haproxy_apply_seconds_sum{how="tuned"} 0.03',
            'dfaas_agent_haproxy_apply_seconds_count{how="reloaded"} 1.0',
            'dfaas_agent_haproxy_apply_seconds_sum{how="reloaded"} 0.9',
            "",
        ]
    )

    assert _histograms(text) == {
        ("dfaas_agent_iteration_seconds", ""): (0.08, 4.0),
        ("dfaas_agent_haproxy_apply_seconds", "tuned"): (0.03, 3.0),
        ("dfaas_agent_haproxy_apply_seconds", "reloaded"): (0.9, 1.0),
    }


def test_sizes_out_of_range_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--out", "x", "--sizes", "1,5"])
    assert "sizes must be from 2 to 100" in capsys.readouterr().err


@pytest.mark.parametrize("periods", ["0", "61"])
def test_a_heartbeat_out_of_range_is_refused(
    periods: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["--out", "x", "--heartbeat-periods", periods])
    assert f"--heartbeat-periods must be in [1, 60], got {periods}" in capsys.readouterr().err


@pytest.mark.component
def test_a_short_scale_run_measures_every_figure_and_leaves_no_process(tmp_path: Path) -> None:
    out = tmp_path / "report"

    # Announcements on change with a heartbeat of 5 periods of 1 s: the window covers one.
    options = ["--sizes", "3", "--window", "6", "--strategy", "recalc", "--heartbeat-periods", "5"]
    code = main(["--out", str(out), *options])

    assert code == 0
    (run,) = json.loads((out / "scale.json").read_text())["runs"]
    summary = run["summary"]
    assert run["nodes"] == 3
    assert len(run["rss_mib"]) == 3
    assert summary["received_per_s"] > 0  # every agent hears the other two
    # Idle agents with nothing changed announced less often than every period.
    assert summary["published_per_s"] < 0.75
    assert summary["tuned_ms"] > 0
    assert summary["config_bytes"] > 0
    assert run["churn"]["routed_again_s"] > 0
    assert (out / "scale-recalc.png").stat().st_size > 0
    assert processes_mentioning("dfaas-bench-scale-") == []
