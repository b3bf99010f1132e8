"""A run's Prometheus series to CSV, against a real Prometheus that scrapes itself."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dfaas_experiments.prometheus_csv import (
    COLUMNS,
    CommandTransport,
    ExportError,
    Window,
    export,
    main,
)
from dfaas_testing import free_port, start_process, stop_process, wait_while_running


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    """Its URL, and a start time after which it scraped itself three times (1 s apart)."""
    workdir = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = workdir / "prometheus.yml"
    target = f"127.0.0.1:{port}"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        f"scrape_configs:\n  - job_name: self\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    log_file = workdir / "prometheus.log"
    process = start_process(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address={target}",
        ],
        log_file,
    )
    url = f"http://{target}"
    started = time.time()

    def scraped_three_times() -> bool:
        try:
            answer = httpx.get(
                f"{url}/api/v1/query", params={"query": 'count_over_time(up{job="self"}[1m])'}
            ).json()
        except (httpx.HTTPError, ValueError):  # ValueError: not JSON yet ("Service Unavailable")
            return False
        result = answer.get("data", {}).get("result", [])
        return bool(result) and float(result[0]["value"][1]) >= 3

    try:
        wait_while_running(
            process, "prometheus", log_file, scraped_three_times, "three scrapes of itself"
        )
        yield url, started
    finally:
        stop_process(process)


pytestmark = pytest.mark.component


def test_every_sample_of_every_query_becomes_a_row(
    prometheus: tuple[str, float], tmp_path: Path
) -> None:
    url, started = prometheus
    out = tmp_path / "series.csv"
    queries = [("up", 'up{job="self"}'), ("samples", "scrape_samples_scraped")]

    rows_written = export(url, queries, Window(started, time.time()), out)

    with out.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == rows_written
    assert {row["query"] for row in rows} == {"up", "samples"}
    up = [row for row in rows if row["query"] == "up"]
    assert len(up) >= 2  # three scrapes 1 s apart: two whole steps at least
    assert all(float(row["value"]) == 1.0 for row in up)
    assert all(f"instance=127.0.0.1:{url.rsplit(':', 1)[1]}" in row["labels"] for row in up)
    assert "job=self" in up[0]["labels"]
    times = [float(row["time_s"]) for row in up]
    assert times == sorted(times)
    assert times[0] >= 0
    assert float(up[0]["unix_time"]) == pytest.approx(started + times[0], abs=0.01)


def test_the_command_reads_the_runs_start_from_the_load_generators_start_file(
    prometheus: tuple[str, float], tmp_path: Path
) -> None:
    url, started = prometheus
    start_file = tmp_path / "run.start"
    start_file.write_text(f"{started:.6f}\n", encoding="utf-8")
    out = tmp_path / "series.csv"

    argv = ["--url", url, "--query", "up=up", "--start-file", str(start_file)]

    code = main([*argv, "--duration", str(time.time() - started), "--out", str(out)])

    assert code == 0
    with out.open(encoding="utf-8") as stream:
        assert len(list(csv.DictReader(stream))) >= 2


def test_a_query_prometheus_refuses_is_named_and_nothing_is_written(
    prometheus: tuple[str, float], tmp_path: Path
) -> None:
    url, started = prometheus
    out = tmp_path / "series.csv"

    with pytest.raises(ExportError, match=r"^broken: bad_data: .*parse error"):
        export(url, [("up", "up"), ("broken", "rate(up[")], Window(started, time.time()), out)

    assert not out.exists()


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(ExportError, match="query name given twice: up"):
        export("http://127.0.0.1:9", [("up", "up"), ("up", "up")], Window(0, 10), Path("unused"))


def test_an_answer_that_is_not_a_range_is_refused(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"status": "success", "data": {"resultType": "vector", "result": []}}
        return httpx.Response(200, content=json.dumps(body))

    with pytest.raises(ExportError, match="up: expected a range of samples, got 'vector'"):
        export(
            "http://prometheus.test",
            [("up", "up")],
            Window(0, 10),
            tmp_path / "series.csv",
            transport=httpx.MockTransport(answer),
        )


def test_a_malformed_query_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--url", "http://x", "--query", "no name", "--start", "0", "--duration", "1"])

    assert stopped.value.code == 2
    assert "expected NAME=PROMQL" in capsys.readouterr().err


def test_via_reads_prometheus_through_a_command_that_prints_each_answer(
    prometheus: tuple[str, float], tmp_path: Path
) -> None:
    # As `podman exec NODE curl -sS` reaches a Prometheus on a container's loopback.
    url, started = prometheus
    out = tmp_path / "series.csv"
    query = 'count_over_time(up{job="self"}[1m])'  # braces and brackets pass through curl

    code = main(
        [
            "--url", url, "--via", "curl -sS",
            "--query", 'up=up{job="self"}', "--query", f"scrapes={query}",
            "--start", str(started), "--duration", str(time.time() - started),
            "--out", str(out),
        ]
    )  # fmt: skip

    assert code == 0
    with out.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert {row["query"] for row in rows} == {"up", "scrapes"}
    assert all(float(row["value"]) == 1.0 for row in rows if row["query"] == "up")
    assert max(float(row["value"]) for row in rows if row["query"] == "scrapes") >= 2


def test_via_passes_prometheus_refusals_through(
    prometheus: tuple[str, float], tmp_path: Path
) -> None:
    url, started = prometheus

    with pytest.raises(ExportError, match=r"^broken: bad_data: .*parse error"):
        export(
            url,
            [("broken", "rate(up[")],
            Window(started, time.time()),
            tmp_path / "series.csv",
            transport=CommandTransport(["curl", "-sS"]),
        )


def test_via_command_that_fails_is_named_with_its_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--url", "http://127.0.0.1:9", "--via", "curl -sS --max-time 5", "--query", "up=up"]

    code = main([*argv, "--start", "0", "--duration", "10", "--out", str(tmp_path / "s.csv")])

    assert code == 1
    error = capsys.readouterr().err
    assert "up: Prometheus unreachable: curl -sS --max-time 5: exit code 7:" in error
    assert not (tmp_path / "s.csv").exists()
