"""The node-stop figures come from the generator's own records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dfaas_experiments.node_stop import main
from dfaas_experiments.records import Outcome, RequestRecord, write_records

START = 1_800_000_000.0


def _record(
    sent_s: float, latency_ms: float, outcome: Outcome, served_by: str, refused: str = ""
) -> RequestRecord:
    return RequestRecord(
        scheduled_s=sent_s,
        sent_s=sent_s,
        node="node1",
        function="funca",
        outcome=outcome,
        status=200 if outcome is Outcome.OK else None,
        latency_ms=latency_ms,
        served_by=served_by,
        refused=refused,
    )


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, Path]:
    records = [
        _record(1.0, 80, Outcome.OK, "node2"),  # done before the stop at 5.0 s
        _record(4.95, 80, Outcome.ERROR, ""),  # running at node2 when it stopped
        _record(4.97, 80, Outcome.OK, "node2"),  # running there too, finished
        _record(4.98, 80, Outcome.OK, "node3"),  # running elsewhere
        _record(6.0, 5, Outcome.HTTP_ERROR, ""),  # failed within the detection bound
        _record(7.5, 5, Outcome.ERROR, ""),  # failed once the peers could know
        # Refused before running by a member left with less room: capacity, not a loss.
        _record(8.0, 5, Outcome.HTTP_ERROR, "node3", refused="full"),
    ]
    csv_path = tmp_path / "run.csv"
    write_records(csv_path, records)
    start_file = tmp_path / "run.start"
    start_file.write_text(f"{START}\n")
    return csv_path, start_file


def test_figures_count_in_flight_and_failures_after_detection(
    run: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path, start_file = run
    argv = [str(csv_path), "--start-file", str(start_file), "--node", "node2"]
    code = main([*argv, "--stopped-at", str(START + 5.0)])

    figures = json.loads(capsys.readouterr().out)
    assert code == 0
    assert figures == {
        "stopped_at_s": 5.0,
        "sent": 7,
        "in_flight": 2,
        "failed": 4,
        "failed_after_detect": 2,
        "refused": 1,
        "lost": 3,
        "lost_after_detect": 1,
    }


def test_a_missing_start_file_is_an_error(run: tuple[Path, Path], tmp_path: Path) -> None:
    csv_path = run[0]
    argv = [str(csv_path), "--start-file", str(tmp_path / "none"), "--node", "n"]
    assert main([*argv, "--stopped-at", "1"]) == 2
