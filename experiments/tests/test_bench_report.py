"""The bench report, written from hand-made figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dfaas_experiments.bench.__main__ import main
from dfaas_experiments.bench.churn import ChurnEvent, ChurnRun
from dfaas_experiments.bench.measures import (
    Footprint,
    LayoutChange,
    Overhead,
    Reaction,
    ReloadRun,
    ServerState,
)
from dfaas_experiments.bench.queue import QueueRun
from dfaas_experiments.bench.report import (
    SECTIONS,
    BenchResult,
    Machine,
    as_json,
    markdown,
    write_report,
)
from dfaas_experiments.bench.stats import Latency, Settling
from dfaas_experiments.records import Outcome, RequestRecord, read_records

FAILED = RequestRecord(
    scheduled_s=3.0,
    sent_s=3.01,
    node="node-a",
    function="shasum",
    outcome=Outcome.ERROR,
    latency_ms=1.0,
    error="RemoteProtocolError",
)


def _result() -> BenchResult:
    footprint = Footprint("node-a", 2, 10.0, 10.0, 110 * 1024 * 1024, 0.15)
    return BenchResult(
        command="cd experiments && ../.venv/bin/python -m dfaas_experiments.bench --out x",
        started_at="2026-11-27T23:00:00+00:00",
        wall_s=95.0,
        machine=Machine(2, (1.5, 2.0, 2.5), "6.1", "3.11.7", "HAProxy version 2.6", "abc1234"),
        overhead=Overhead(
            local_node="node-b",
            forwarding_node="node-a",
            samples=2500,
            local=Latency(2500, 1.10, 2.0, 4.0),
            forwarded=Latency(2500, 1.45, 3.0, 9.5),
            unexpected={"forwarded: status 429": 2},
            served_by={"node-b": 1250, "node-c": 1250},
        ),
        reaction=Reaction(
            node="node-a",
            maxrate=20.0,
            offered_rate=60.0,
            duration_s=3.0,
            outcomes={"ok": 180},
            first_forwarded_sent_s=0.34,
            first_forwarded_done_s=0.35,
            settling=Settling(2 / 3, 1.0, 0.1),
            shares=[0.5, 0.66, None],
            footprint=footprint,
            records=[],
        ),
        reloads=ReloadRun(
            rate_per_node={"node-a": 40.0, "node-b": 40.0},
            duration_s=35.0,
            changes=[LayoutChange(2.0, "deploy bench-extra on node-a", 0.6)],
            reloads={"node-a": 4, "node-b": 4, "node-c": 2},
            outcomes={"ok": 2799, "error RemoteProtocolError": 1},
            forwarded=700,
            failures=[FAILED],
            watched="node-a",
            server_states=[ServerState(0.1, "member_node-b", "UP", 50)],
            records=[FAILED],
        ),
        idle_footprint=footprint,
        churn=ChurnRun(
            node="node-a",
            rate=40.0,
            duration_s=80.0,
            events=[
                ChurnEvent("node-b agent killed and restarted", 3.0, 4.2, 250, 0, 12.5),
                ChurnEvent("node-c HAProxy stops", 40.0, 0.1, 90, 3, 30.0, 3),
            ],
            outcomes={"ok": 3197, "http_error 503": 3},
            records=[],
        ),
        queue=QueueRun(
            node="node-c",
            call_ms=50,
            slots=2,
            local_limit=40,
            offered_rate=60.0,
            duration_s=15.0,
            alone=Latency(30, 51.0, 52.0, 53.0),
            local=Latency(600, 80.0, 98.0, 101.5),
            forwarded=Latency(300, 52.0, 55.0, 60.0),
            outcomes={"ok": 900},
            records=[],
        ),
    )


def test_markdown_has_every_section_in_order() -> None:
    text = markdown(_result())

    positions = [text.index(section) for section in SECTIONS]
    assert positions == sorted(positions)


def test_markdown_states_the_overhead_reaction_failures_and_footprint() -> None:
    text = markdown(_result())

    assert "**p50 0.35 ms**, p99 5.50 ms" in text
    assert "first forwarded success: sent at 0.34 s, answered at 0.35 s" in text
    assert "settled at 66.7 % (mean of the second half) from 1.00 s on" in text
    assert "**Failed requests: 1**" in text
    assert "Failed requests were sent between 3.01 s and 3.01 s." in text
    assert "- 3.01 s node-a error RemoteProtocolError" in text
    assert "| 110.0 MiB | 0.15 s | 15.0 ms |" in text
    assert "each change: 0.1 s member_node-b UP weight 50." in text
    assert "| 3.0 s | node-b agent killed and restarted | 4.20 s | 250 | 0 | 12.50 ms | - |" in text
    assert "| 40.0 s | node-c HAProxy stops | 0.10 s | 90 | 3 | 30.00 ms | 3 |" in text
    assert "| run here, under the load | 600 | 80.00 ms | 98.00 ms | 101.50 ms |" in text
    assert "**p50 29.00 ms, p99 50.50 ms** (against the alone p50). Forwarded share 33.3 %" in text


def test_markdown_names_the_command_and_the_machine() -> None:
    text = markdown(_result())

    assert "`cd experiments && ../.venv/bin/python -m dfaas_experiments.bench --out x`" in text
    assert "2 CPUs, load average at start 1.50, 2.00, 2.50" in text


def test_json_has_the_same_figures() -> None:
    document = as_json(_result())

    assert document["forwarding_overhead"]["p50_overhead_ms"] == pytest.approx(0.35)
    assert document["reaction"]["first_forwarded_sent_s"] == 0.34
    assert document["hitless_reload"]["failed"] == 1
    assert document["agent_footprint"]["idle"]["cpu_ms_per_period"] == pytest.approx(15.0)
    assert document["machine"]["load_average"] == [1.5, 2.0, 2.5]
    assert document["churn"]["events"][1]["in_flight_at_stopped_node"] == 3
    assert document["queue"]["added_p99_ms"] == pytest.approx(50.5)


def test_write_report_writes_markdown_json_and_raw_records(tmp_path: Path) -> None:
    write_report(tmp_path, _result())

    assert (tmp_path / "bench.md").read_text().startswith("# `make bench`")
    assert json.loads((tmp_path / "bench.json").read_text())["wall_s"] == 95.0
    assert read_records(tmp_path / "raw" / "reload.csv") == [FAILED]


def test_an_offered_rate_under_the_maxrate_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", "x", "--reaction-rate", "10", "--reaction-maxrate", "20"])

    assert exit_info.value.code == 2
    assert "--reaction-rate must exceed --reaction-maxrate" in capsys.readouterr().err
