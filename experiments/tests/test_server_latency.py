"""Server-side latency in the report: whole-run figures from a node's Prometheus export.

The CSVs are written here in `prometheus_csv`'s format (its own column list), as that
command writes them from `SERVER_LATENCY_QUERIES`."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from dfaas_experiments.prometheus_csv import COLUMNS
from dfaas_experiments.records import write_records
from dfaas_experiments.report import main, write_report
from dfaas_experiments.server_latency import (
    ServerLatencyError,
    histogram_quantile,
    read_server_latency,
)
from tests.test_report import RUN

SCENARIO = Path(__file__).parent.parent / "scenarios" / "paper-short.yml"
Buckets = Mapping[str, float]
"""le → cumulative count, at one sample time."""


def _rows(query: str, labels: str, samples: Mapping[float, Buckets]) -> list[list[str]]:
    return [
        [query, f"{labels},le={le}" if labels else f"le={le}", f"{t:.3f}", f"{1e9 + t:.3f}", str(v)]
        for t, buckets in samples.items()
        for le, v in buckets.items()
    ]


def _write_export(
    path: Path, rows: Sequence[Sequence[str]], columns: Sequence[str] = COLUMNS
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


LOCAL = "function=funca,route=local,server=local"
MEMBER = "function=funca,route=member,server=dfaas-testbed-2"
# node1's export over a 10 s run. Local: 4 requests before the run, 8 during it
# (1 under 50 ms, 6 more under 100 ms, 1 more under 250 ms). The member series first
# appears at 5 s (its first request came during the run): 4 requests, 1 under 100 ms,
# 2 more under 250 ms, 1 above.
NODE1_EXPORT = [
    *_rows(
        "buckets",
        LOCAL,
        {
            0.0: {"0.05": 2, "0.1": 4, "0.25": 4, "+Inf": 4},
            5.0: {"0.05": 3, "0.1": 8, "0.25": 8, "+Inf": 8},
            10.0: {"0.05": 3, "0.1": 11, "0.25": 12, "+Inf": 12},
        },
    ),
    *_rows(
        "buckets",
        MEMBER,
        {
            5.0: {"0.05": 0, "0.1": 0, "0.25": 2, "+Inf": 2},
            10.0: {"0.05": 0, "0.1": 1, "0.25": 3, "+Inf": 4},
        },
    ),
    ["server_p50", "function=funca,route=local,server=local", "5.000", "1000000005.000", "0.07"],
    ["server_p95", "function=funca,route=local,server=local", "5.000", "1000000005.000", "NaN"],
]


def test_whole_run_quantiles_come_from_each_series_increase(tmp_path: Path) -> None:
    path = _write_export(tmp_path / "node1.csv", NODE1_EXPORT)

    local, member = read_server_latency(path, "node1", {"dfaas-testbed-2": "node2"})

    # Local increase: 1 / 7 / 8 / 8. p50: rank 4 in (50, 100] ms: 50 + 50 * 3/6 = 75.
    # p95: rank 7.6 in (100, 250]: 100 + 150 * 0.6 = 190.
    assert (local.route, local.server, local.count) == ("local", "node1", 8)
    assert (local.p50, local.p95) == pytest.approx((75.0, 190.0))
    # Member, counted from 0: 0 / 1 / 3 / 4. p50: rank 2 in (100, 250]: 100 + 150 / 2.
    # p95: rank 3.8 in the +Inf bucket: the highest finite bound, as Prometheus answers.
    assert (member.route, member.server, member.count) == ("member", "node2", 4)
    assert (member.p50, member.p95) == pytest.approx((175.0, 250.0))


def test_a_counter_that_went_down_was_reset_and_its_new_value_counts(tmp_path: Path) -> None:
    # The agent restarted between 5 s and 10 s: 6 requests before, 2 after.
    rows = _rows(
        "buckets",
        LOCAL,
        {
            0.0: {"0.1": 10, "+Inf": 10},
            5.0: {"0.1": 16, "+Inf": 16},
            10.0: {"0.1": 2, "+Inf": 2},
        },
    )
    path = _write_export(tmp_path / "node1.csv", rows)

    (local,) = read_server_latency(path, "node1")

    assert local.count == 8


def test_functions_of_one_route_and_server_are_summed(tmp_path: Path) -> None:
    rows = [
        *_rows("buckets", LOCAL, {0.0: {"0.1": 0, "+Inf": 0}, 10.0: {"0.1": 3, "+Inf": 3}}),
        *_rows(
            "buckets",
            "function=funcb,route=local,server=local",
            {0.0: {"0.1": 0, "+Inf": 0}, 10.0: {"0.1": 0, "+Inf": 1}},
        ),
    ]

    (local,) = read_server_latency(_write_export(tmp_path / "n.csv", rows), "node1")

    assert local.count == 4


def test_quantile_matches_prometheus_histogram_quantile() -> None:
    buckets = {0.001: 0.0, 0.01: 10.0, 0.1: 20.0, float("inf"): 20.0}

    assert histogram_quantile(0.5, buckets) == pytest.approx(0.01)
    assert histogram_quantile(0.25, buckets) == pytest.approx(0.001 + 0.009 * 0.5)
    assert histogram_quantile(0.75, buckets) == pytest.approx(0.01 + 0.09 * 0.5)
    assert histogram_quantile(0.5, {0.1: 0.0, float("inf"): 0.0}) is None


def test_report_puts_server_figures_beside_the_client_figures_of_the_same_requests(
    tmp_path: Path,
) -> None:
    run_csv = tmp_path / "recalc.csv"
    write_records(run_csv, RUN)
    export = _write_export(tmp_path / "node1.csv", NODE1_EXPORT)
    out = tmp_path / "report"

    code = main(
        [
            "--run", f"recalc={run_csv}",
            "--scenario", str(SCENARIO),
            "--node-name", "node2=dfaas-testbed-2",
            "--server-latency", f"recalc:node1={export}",
            "--out", str(out),
        ]
    )  # fmt: skip

    assert code == 0
    text = (out / "summary.md").read_text()
    # Client side, sent to node1: run by node1 in 10 and 20 ms, by node2 in 40 and 60 ms.
    assert "| recalc | node1 | local | node1 | 8 | 75.0 | 190.0 | 2 | 15.0 | 19.5 |" in text
    assert "| recalc | node1 | member | node2 | 4 | 175.0 | 250.0 | 2 | 50.0 | 59.0 |" in text
    (figures,) = json.loads((out / "summary.json").read_text())
    local = figures["server_latency"][0]
    assert local["node"] == "node1"
    assert local["server_side"]["p95"] == pytest.approx(190.0)
    assert local["client_side"]["p50"] == pytest.approx(15.0)
    assert (out / "raw" / "recalc-prometheus-node1.csv").read_bytes() == export.read_bytes()


def test_export_without_the_labels_column_is_refused_naming_the_file(tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c != "labels"]
    path = _write_export(tmp_path / "node1.csv", [[r[0], *r[2:]] for r in NODE1_EXPORT], columns)
    run_csv = tmp_path / "recalc.csv"
    write_records(run_csv, RUN)

    with pytest.raises(ServerLatencyError, match=rf"{path}: not a prometheus_csv .* labels"):
        write_report(
            tmp_path / "report", {"recalc": run_csv}, server_latency={"recalc": {"node1": path}}
        )


def test_export_without_the_buckets_series_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_export(tmp_path / "cpu.csv", [["cpu", "", "0.000", "1000000000.000", "12.5"]])
    run_csv = tmp_path / "recalc.csv"
    write_records(run_csv, RUN)

    code = main(
        ["--run", f"recalc={run_csv}", "--server-latency", f"recalc:node1={path}",
         "--out", str(tmp_path / "report")]
    )  # fmt: skip

    assert code == 2
    assert f"{path}: no 'buckets' series" in capsys.readouterr().err


def test_buckets_summed_without_route_are_refused_naming_the_line(tmp_path: Path) -> None:
    rows = _rows("buckets", "", {0.0: {"0.1": 1, "+Inf": 1}})
    path = _write_export(tmp_path / "node1.csv", rows)

    with pytest.raises(ServerLatencyError, match=rf"{path}:2: .* without label route, server"):
        read_server_latency(path, "node1")


def test_server_latency_for_a_run_not_given_is_refused(tmp_path: Path) -> None:
    run_csv = tmp_path / "recalc.csv"
    write_records(run_csv, RUN)
    export = _write_export(tmp_path / "node1.csv", NODE1_EXPORT)

    with pytest.raises(ValueError, match="not given with --run: static"):
        write_report(
            tmp_path / "report", {"recalc": run_csv}, server_latency={"static": {"node1": export}}
        )


def test_a_node_whose_clients_were_not_served_may_have_no_buckets_series(tmp_path: Path) -> None:
    # node3 had no clients in RUN: its histogram has no client series to export.
    run_csv = tmp_path / "recalc.csv"
    write_records(run_csv, RUN)
    empty = _write_export(tmp_path / "node3.csv", [])

    (summary,) = write_report(
        tmp_path / "report", {"recalc": run_csv}, server_latency={"recalc": {"node3": empty}}
    )

    assert summary.server_latency == ()
    assert "| server count |" not in (tmp_path / "report" / "summary.md").read_text()
