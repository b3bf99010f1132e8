"""Report writer on a small hand-checked run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dfaas_experiments.analysis import overload_onsets, summarise
from dfaas_experiments.records import Outcome, RecordFormatError, RequestRecord, write_records
from dfaas_experiments.report import main, write_report
from dfaas_experiments.scenario import load_scenario

SCENARIOS = Path(__file__).parent.parent / "scenarios"


def _ok(at: float, node: str, served_by: str, latency_ms: float) -> RequestRecord:
    return RequestRecord(
        scheduled_s=at,
        sent_s=at,
        node=node,
        function="funca",
        outcome=Outcome.OK,
        status=200,
        latency_ms=latency_ms,
        served_by=served_by,
        x_server=served_by,
    )


# node1: 5 sent (4 served, 2 of them by node2), 1 dropped; node2: 2 sent, 1 served.
RUN = [
    _ok(0.0, "node1", "node1", 10),
    _ok(0.2, "node2", "node2", 30),
    _ok(0.5, "node1", "node1", 20),
    RequestRecord(1.0, 1.0, "node1", "funca", Outcome.HTTP_ERROR, status=503, latency_ms=5),
    RequestRecord(1.2, 1.2, "node2", "funca", Outcome.ERROR, latency_ms=2000, error="ReadTimeout"),
    _ok(1.5, "node1", "node2", 40),
    _ok(2.0, "node1", "node2", 60),
    RequestRecord(2.5, None, "node1", "funca", Outcome.DROPPED),
]


def test_served_ratio_and_forwarded_share_leave_dropped_requests_out() -> None:
    summary = summarise("recalc", RUN)

    overall = summary.overall
    assert (overall.sent, overall.served, overall.forwarded, overall.dropped) == (7, 5, 2, 1)
    assert overall.served_ratio == pytest.approx(5 / 7)
    assert overall.forwarded_share == pytest.approx(2 / 5)
    assert summary.per_node["node1"].served_ratio == pytest.approx(4 / 5)
    assert summary.per_node["node1"].forwarded_share == pytest.approx(1 / 2)
    assert summary.per_node["node2"].served_ratio == pytest.approx(1 / 2)


def test_latency_percentiles_separate_local_and_forwarded() -> None:
    summary = summarise("recalc", RUN)

    local, forwarded = summary.latency_local, summary.latency_forwarded
    # Local samples 10, 20, 30 ms; linear interpolation: p95 = 20 + 0.9 * 10.
    assert (local.count, local.p50, local.p95, local.p99) == pytest.approx((3, 20, 29, 29.8))
    assert (forwarded.count, forwarded.p50) == pytest.approx((2, 50))


def test_reaction_is_the_first_forwarded_success_after_the_first_failure() -> None:
    reactions = {r.node: r for r in summarise("recalc", RUN).reactions}

    assert reactions["node1"].onset_s == 1.0
    assert reactions["node1"].delay_s == pytest.approx(0.5)
    assert reactions["node2"].delay_s is None


def test_overload_onset_comes_from_the_scenario_capacities() -> None:
    assert overload_onsets(load_scenario(SCENARIOS / "paper.yml")) == {"node1": 0.0}
    assert overload_onsets(load_scenario(SCENARIOS / "load-step.yml")) == {"node1": 120.0}


def test_report_folder_holds_summary_plots_raw_data_and_scenario(tmp_path: Path) -> None:
    recalc_csv, local_csv = tmp_path / "recalc.csv", tmp_path / "all_local.csv"
    write_records(recalc_csv, RUN)
    write_records(local_csv, [r for r in RUN if not r.forwarded])
    out = tmp_path / "report"
    scenario = SCENARIOS / "paper-short.yml"

    write_report(out, {"recalc": recalc_csv, "all_local": local_csv}, scenario)

    expected = {
        "summary.md",
        "summary.json",
        "scenario.yml",
        "success-ratio.png",
        "latency-cdf.png",
        "served-recalc.png",
        "served-all_local.png",
        "raw/recalc.csv",
        "raw/all_local.csv",
    }
    assert {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} == expected
    assert (out / "scenario.yml").read_bytes() == scenario.read_bytes()
    assert (out / "raw" / "recalc.csv").read_bytes() == recalc_csv.read_bytes()
    assert (out / "success-ratio.png").read_bytes().startswith(b"\x89PNG")


def test_summary_tables_carry_the_computed_figures(tmp_path: Path) -> None:
    csv_path = tmp_path / "recalc.csv"
    write_records(csv_path, RUN)

    write_report(tmp_path / "report", {"recalc": csv_path})

    text = (tmp_path / "report" / "summary.md").read_text()
    assert "| recalc | 7 | 5 | 71.4% | 2 | 40.0% | 1 |" in text
    assert "| recalc | local | 3 | 20.0 | 29.0 | 29.8 |" in text
    assert "| recalc | node1 | 1.0 | 1.5 | 0.5 |" in text
    figures = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert figures[0]["overall"]["served_ratio"] == pytest.approx(5 / 7)


def test_csv_without_the_generator_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("time,status\n0,200\n")

    with pytest.raises(RecordFormatError, match="missing columns"):
        write_report(tmp_path / "report", {"recalc": path})


def test_command_line_reports_a_bad_csv_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.csv"
    path.write_text("time,status\n0,200\n")

    code = main(["--run", f"recalc={path}", "--out", str(tmp_path / "report")])

    assert code == 2
    assert "missing columns" in capsys.readouterr().err


def test_send_lag_measures_how_late_requests_left() -> None:
    late = [
        RequestRecord(float(i), i + lag, "node1", "funca", Outcome.OK, 200, 1.0, "node1")
        for i, lag in enumerate([0.0, 0.010, 0.030])
    ]

    lag = summarise("recalc", [*late, RUN[-1]]).send_lag

    assert (lag.count, lag.p50) == pytest.approx((3, 10))


def test_node_names_count_a_node_answering_under_its_own_name_as_local(tmp_path: Path) -> None:
    # The testbed's nodes answer as dfaas-testbed-N while the scenario calls them nodeN.
    renamed = {"node1": "dfaas-testbed-1", "node2": "dfaas-testbed-2"}
    testbed_run = [
        r if not r.served_by else dataclasses.replace(r, served_by=renamed[r.served_by])
        for r in RUN
    ]
    csv_path = tmp_path / "recalc.csv"
    write_records(csv_path, testbed_run)

    code = main(
        [
            "--run", f"recalc={csv_path}",
            "--node-name", "node1=dfaas-testbed-1",
            "--node-name", "node2=dfaas-testbed-2",
            "--out", str(tmp_path / "report"),
        ]
    )  # fmt: skip

    assert code == 0
    text = (tmp_path / "report" / "summary.md").read_text()
    assert "| recalc | 7 | 5 | 71.4% | 2 | 40.0% | 1 |" in text
    # The raw CSV keeps what the nodes answered.
    assert "dfaas-testbed-1" in (tmp_path / "report" / "raw" / "recalc.csv").read_text()


def test_node_name_for_a_node_the_scenario_lacks_is_refused(tmp_path: Path) -> None:
    csv_path = tmp_path / "recalc.csv"
    write_records(csv_path, RUN)

    with pytest.raises(ValueError, match="not in the scenario: node9"):
        write_report(
            tmp_path / "report",
            {"recalc": csv_path},
            SCENARIOS / "paper-short.yml",
            {"node9": "dfaas-testbed-9"},
        )


def test_node_name_without_equals_sign_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--run", "recalc=x.csv", "--node-name", "node1", "--out", str(tmp_path)])

    assert exit_info.value.code == 2
    assert "expected SCENARIO_NODE=SERVED_BY" in capsys.readouterr().err


def _over_capacity_run() -> list[RequestRecord]:
    """80 requests to node1 in one second of paper-short (capacities 10/20/30): 60 served."""
    runners = ["node1"] * 10 + ["node2"] * 20 + ["node3"] * 30
    served = [_ok(i / 80, "node1", runner, 50) for i, runner in enumerate(runners)]
    failed = [
        RequestRecord((60 + i) / 80, (60 + i) / 80, "node1", "funca", Outcome.HTTP_ERROR, 429)
        for i in range(20)
    ]
    return served + failed


def test_report_compares_served_with_what_was_possible(tmp_path: Path) -> None:
    csv_path = tmp_path / "recalc.csv"
    write_records(csv_path, _over_capacity_run())

    write_report(tmp_path / "report", {"recalc": csv_path}, SCENARIOS / "paper-short.yml")

    text = (tmp_path / "report" / "summary.md").read_text()
    # 75 % of what was sent, but all of the 60 the federation could serve.
    assert "| strategy | sent | served | served ratio | served / possible | forwarded |" in text
    assert "| recalc | 80 | 60 | 75.0% | 100.0% | 50 | 83.3% | 0 |" in text
    assert "## Served against what was possible" in text
    assert "| recalc | 60 | 60 | 100.0% | 1 of 1 (100.0%) | 100.0% at 0 s |" in text
    assert "| recalc | node1 | 80 | 10 | 60 | 600.0% | 0 of 1 |" in text
    assert "| recalc | node2 | 0 | 0 | 0 | n/a | 0 of 0 |" in text
    oracle = json.loads((tmp_path / "report" / "summary.json").read_text())[0]["oracle"]
    assert (oracle["served"], oracle["possible"], oracle["ratio"]) == (60, 60, 1.0)
    assert (oracle["bins"], oracle["bins_at_target"], oracle["worst_bin_ratio"]) == (1, 1, 1.0)
    assert oracle["per_node"]["node1"]["own_first_ratio"] == pytest.approx(6.0)
    assert oracle["per_node"]["node3"]["own_first_ratio"] is None


def test_report_counts_bins_where_a_nodes_own_clients_lost_requests(tmp_path: Path) -> None:
    csv_path = tmp_path / "recalc.csv"
    write_records(csv_path, RUN)

    write_report(tmp_path / "report", {"recalc": csv_path}, SCENARIOS / "paper-short.yml")

    text = (tmp_path / "report" / "summary.md").read_text()
    # Second 1: both nodes had room for their own clients, yet one request each failed.
    assert "| recalc | 7 | 5 | 71.4% | 71.4% | 2 | 40.0% | 1 |" in text
    assert "| recalc | 5 | 7 | 71.4% | 2 of 3 (66.7%) | 33.3% at 1 s |" in text
    assert "| recalc | node1 | 5 | 5 | 4 | 80.0% | 1 of 3 |" in text
    assert "| recalc | node2 | 2 | 2 | 1 | 50.0% | 1 of 2 |" in text


def test_report_without_a_scenario_says_the_oracle_needs_one(tmp_path: Path) -> None:
    csv_path = tmp_path / "recalc.csv"
    write_records(csv_path, RUN)

    write_report(tmp_path / "report", {"recalc": csv_path})

    text = (tmp_path / "report" / "summary.md").read_text()
    assert "served / possible" not in text
    assert "give the scenario (`--scenario`)" in text
    assert json.loads((tmp_path / "report" / "summary.json").read_text())[0]["oracle"] is None
