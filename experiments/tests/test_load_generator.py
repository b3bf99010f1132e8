"""The open-loop generator against a real HTTP server on loopback."""

from __future__ import annotations

import csv
import socket
import time
from pathlib import Path

import pytest
import trio

from dfaas_experiments.load import Limits, Progress, Stream, run_load
from dfaas_experiments.load.__main__ import main
from dfaas_experiments.records import COLUMNS, Outcome, RequestRecord, read_records, write_records
from dfaas_experiments.schedule import Constant, Ramp, request_count
from tests.conftest import LoopbackNode

pytestmark = pytest.mark.component


def _run(
    node: LoopbackNode, rate: float, duration_s: float, timeout_s: float, max_in_flight: int = 100
) -> list[RequestRecord]:
    stream = Stream("node1", node.url, "figlet", [Constant(rate=rate, duration_s=duration_s)])
    limits = Limits(max_in_flight=max_in_flight, timeout_s=timeout_s)
    return trio.run(run_load, [stream], limits)


def test_sends_as_many_requests_as_the_schedule(loopback_node: LoopbackNode) -> None:
    records = _run(loopback_node, rate=40, duration_s=1.5, timeout_s=5)

    assert len(records) == 60
    assert loopback_node.requests == 60
    assert all(r.outcome is Outcome.OK for r in records)


def test_no_request_leaves_before_its_scheduled_time(loopback_node: LoopbackNode) -> None:
    records = _run(loopback_node, rate=20, duration_s=1.0, timeout_s=5)

    lateness = [r.sent_s - r.scheduled_s for r in records if r.sent_s is not None]
    assert len(lateness) == 20
    assert min(lateness) >= 0


def test_slow_server_does_not_slow_the_sending(loopback_node: LoopbackNode) -> None:
    loopback_node.behaviour.delay_s = 2.0

    records = _run(loopback_node, rate=30, duration_s=0.5, timeout_s=8)

    assert len(records) == 15
    assert all(r.outcome is Outcome.OK for r in records)
    last_sent = max(r.sent_s for r in records if r.sent_s is not None)
    first_answer = min(
        r.sent_s + r.latency_ms / 1000
        for r in records
        if r.sent_s is not None and r.latency_ms is not None
    )
    # Open loop: every request was already out before the first answer came back.
    assert last_sent < first_answer


def test_an_answer_that_trickles_past_the_timeout_is_a_timeout(
    loopback_node: LoopbackNode,
) -> None:
    # Every byte comes within httpx's read timeout; the whole answer takes 3 s.
    loopback_node.behaviour.trickle_s = 3.0

    records = _run(loopback_node, rate=2, duration_s=0.5, timeout_s=1.0)

    assert [(r.outcome, r.error) for r in records] == [(Outcome.ERROR, "Timeout")]
    assert records[0].latency_ms is not None
    assert records[0].latency_ms < 2000


def test_requests_over_the_in_flight_bound_are_dropped(loopback_node: LoopbackNode) -> None:
    loopback_node.behaviour.delay_s = 1.5

    records = _run(loopback_node, rate=20, duration_s=0.5, timeout_s=8, max_in_flight=3)

    outcomes = [r.outcome for r in records]
    assert len(records) == 10
    assert outcomes.count(Outcome.OK) == 3
    assert outcomes.count(Outcome.DROPPED) == 7
    assert loopback_node.requests == 3


def test_serving_node_is_read_from_the_response_headers(loopback_node: LoopbackNode) -> None:
    loopback_node.behaviour.served_by = "node2"

    record = _run(loopback_node, rate=2, duration_s=0.5, timeout_s=5)[0]

    assert (record.served_by, record.x_server, record.dfaas_node_id) == (
        "node2",
        "node2",
        "id-node2",
    )
    assert record.forwarded


def test_error_status_is_recorded(loopback_node: LoopbackNode) -> None:
    loopback_node.behaviour.status = 503

    record = _run(loopback_node, rate=2, duration_s=0.5, timeout_s=5)[0]

    assert (record.outcome, record.status) == (Outcome.HTTP_ERROR, 503)


def test_refused_connection_is_an_error_not_a_crash() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    stream = Stream(
        "node1", f"http://127.0.0.1:{port}", "figlet", [Constant(rate=4, duration_s=0.5)]
    )

    records = trio.run(run_load, [stream], Limits(timeout_s=2))

    assert [r.outcome for r in records] == [Outcome.ERROR, Outcome.ERROR]
    assert records[0].error == "ConnectError"


def test_schedule_over_the_request_bound_is_refused() -> None:
    stream = Stream("node1", "http://127.0.0.1:9", "figlet", [Constant(rate=100, duration_s=100)])

    with pytest.raises(ValueError, match="10000 requests, over max_requests=500"):
        trio.run(run_load, [stream], Limits(max_requests=500))


def test_target_that_is_not_http_is_refused() -> None:
    stream = Stream("node1", "ftp://127.0.0.1", "figlet", [Constant(rate=1, duration_s=1)])

    with pytest.raises(ValueError, match=r"'node1'.*not an http"):
        trio.run(run_load, [stream], Limits())


def test_csv_has_one_row_per_request_and_every_column(
    loopback_node: LoopbackNode, tmp_path: Path
) -> None:
    records = _run(loopback_node, rate=10, duration_s=0.5, timeout_s=5)
    path = tmp_path / "run.csv"

    write_records(path, records)

    with path.open(newline="") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1 + len(records) == 6
    assert read_records(path) == records


def test_command_line_writes_the_csv(loopback_node: LoopbackNode, tmp_path: Path) -> None:
    out = tmp_path / "run.csv"
    argv = ["--target", f"node1={loopback_node.url}", "--function", "figlet"]
    argv += ["--stage", "0.5:10", "--stage", "0.5:10", "--out", str(out), "--quiet"]

    assert main(argv) == 0

    records = read_records(out)
    # A ramp 0 -> 10 req/s over 0.5 s (2.5 requests), then 10 req/s for 0.5 s (5).
    assert len(records) == request_count(
        [Ramp(from_rate=0, to_rate=10, duration_s=0.5), Constant(rate=10, duration_s=0.5)]
    )
    assert len(records) == 7
    assert {r.function for r in records} == {"figlet"}


def test_start_file_holds_the_wall_clock_that_record_times_count_from(
    loopback_node: LoopbackNode, tmp_path: Path
) -> None:
    start_file = tmp_path / "run.start"
    argv = ["--target", f"node1={loopback_node.url}", "--function", "figlet", "--quiet"]
    argv += ["--rate", "10", "--duration", "0.3", "--out", str(tmp_path / "run.csv")]
    before = time.time()

    assert main([*argv, "--start-file", str(start_file)]) == 0

    started = float(start_file.read_text())
    assert before <= started <= time.time()
    first_sent = min(r.sent_s for r in read_records(tmp_path / "run.csv") if r.sent_s is not None)
    assert 0 <= first_sent < 1.0


def test_a_stop_check_ends_the_schedule_early_and_every_sent_request_is_recorded(
    loopback_node: LoopbackNode,
) -> None:
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > 20

    loopback_node.behaviour.delay_s = 0.2
    stream = Stream("node1", loopback_node.url, "figlet", [Constant(rate=50, duration_s=60)])

    records = trio.run(run_load, [stream], Limits(timeout_s=5), None, None, stop)

    # 20 sent, 0.4 s of a 60 s schedule; the last ones were still running at the stop.
    assert len(records) == 20
    assert loopback_node.requests == 20
    assert all(r.outcome is Outcome.OK for r in records)


def test_command_line_stops_once_the_stop_file_exists(
    loopback_node: LoopbackNode, tmp_path: Path
) -> None:
    stop_file = tmp_path / "run.stop"
    stop_file.touch()
    argv = ["--target", f"node1={loopback_node.url}", "--function", "figlet", "--quiet"]
    argv += ["--rate", "10", "--duration", "60", "--out", str(tmp_path / "run.csv")]

    assert main([*argv, "--stop-file", str(stop_file)]) == 0

    assert read_records(tmp_path / "run.csv") == []
    assert loopback_node.requests == 0


def test_command_line_replays_a_trace_file(loopback_node: LoopbackNode, tmp_path: Path) -> None:
    trace = tmp_path / "rates.txt"
    trace.write_text("20\n0\n10\n", encoding="utf-8")
    out = tmp_path / "run.csv"
    argv = ["--target", f"node1={loopback_node.url}", "--function", "figlet", "--quiet"]

    assert main([*argv, "--trace", str(trace), "--trace-step", "0.5", "--out", str(out)]) == 0

    sent = [r.scheduled_s for r in read_records(out)]
    assert len(sent) == loopback_node.requests == 10 + 0 + 5
    assert [sum(1 for t in sent if 0.5 * k <= t < 0.5 * (k + 1)) for k in range(3)] == [10, 0, 5]


def test_command_line_names_a_bad_trace_line(
    loopback_node: LoopbackNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "rates.txt"
    trace.write_text("20\nlots\n", encoding="utf-8")
    argv = ["--target", f"node1={loopback_node.url}", "--function", "figlet", "--quiet"]

    assert main([*argv, "--trace", str(trace), "--out", str(tmp_path / "run.csv")]) == 2

    assert f"{trace}:2: not a rate: 'lots'" in capsys.readouterr().err
    assert loopback_node.requests == 0


def test_command_line_replays_a_scenario(loopback_node: LoopbackNode, tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yml"
    scenario.write_text(
        "name: tiny\nstrategies: [recalc]\n"
        "nodes: {node1: {functions: {figlet: {maxrate: 5}}}}\n"
        "load: [{node: node1, function: figlet,"
        " segments: [{kind: step, before: 2, after: 10, at_s: 0.5, duration_s: 1}]}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "run.csv"

    argv = ["--scenario", str(scenario), "--target", f"node1={loopback_node.url}"]

    code = main([*argv, "--out", str(out), "--quiet"])

    assert code == 0
    records = read_records(out)
    assert len(records) == 6
    assert sum(1 for r in records if r.scheduled_s >= 0.5) == 5


def test_progress_reports_every_request_at_the_end(loopback_node: LoopbackNode) -> None:
    seen: list[Progress] = []
    stream = Stream("node1", loopback_node.url, "figlet", [Constant(rate=10, duration_s=0.5)])

    trio.run(run_load, [stream], Limits(timeout_s=5), seen.append)

    final = seen[-1]
    assert (final.due, final.total, final.ok, final.in_flight) == (5, 5, 5, 0)
    assert "due=5/5" in final.line()


def test_command_line_needs_a_target_for_every_scenario_node(
    loopback_node: LoopbackNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = Path(__file__).parent.parent / "scenarios" / "one-hot-node.yml"
    argv = ["--scenario", str(scenario), "--target", f"node1={loopback_node.url}"]

    with pytest.raises(SystemExit):
        main([*argv, "--out", str(tmp_path / "run.csv")])

    assert "--target missing for scenario node(s): node2, node3, node4" in capsys.readouterr().err


def test_records_written_before_the_refused_column_still_read(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    columns = [c for c in COLUMNS if c != "refused"]
    row = ["1.0", "1.0", "node1", "figlet", "ok", "200", "5.0"] + [""] * (len(columns) - 7)
    old.write_text(",".join(columns) + "\n" + ",".join(row) + "\n")

    [record] = read_records(old)

    assert (record.outcome, record.refused) == (Outcome.OK, "")
