"""A campaign plays a scenario per strategy against loopback and writes the report."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, Histogram, start_http_server

from dfaas_agent.metrics import REQUEST_DURATION_BUCKETS, REQUEST_LABELS
from dfaas_experiments.campaign import SwitchFailed, run_campaign, switch_strategy
from dfaas_experiments.load import Limits
from dfaas_testing import free_port, start_process, stop_process, wait_while_running
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


@pytest.fixture
def scraped_histogram(tmp_path: Path) -> Iterator[tuple[str, Histogram]]:
    """A real Prometheus (1 s scrapes) of an exporter holding `dfaas_request_duration_seconds`
    with the agent's labels and buckets: its URL, and the histogram."""
    registry = CollectorRegistry()
    histogram = Histogram(
        "dfaas_request_duration_seconds",
        "as the agent's",
        REQUEST_LABELS,
        buckets=REQUEST_DURATION_BUCKETS,
        registry=registry,
    )
    exporter_port, port = free_port(), free_port()
    exporter, exporter_thread = start_http_server(exporter_port, "127.0.0.1", registry)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: agent\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    log_file = tmp_path / "prometheus.log"
    process = start_process(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log_file,
    )
    url = f"http://127.0.0.1:{port}"

    def scraped() -> bool:
        try:
            answer = httpx.get(f"{url}/api/v1/query", params={"query": "up"}).json()
        except (httpx.HTTPError, ValueError):
            return False
        return bool(answer.get("data", {}).get("result"))

    try:
        wait_while_running(process, "prometheus", log_file, scraped, "a scrape of the exporter")
        yield url, histogram
    finally:
        stop_process(process)
        exporter.shutdown()
        exporter_thread.join(timeout=10)


def test_each_nodes_server_side_latency_is_exported_after_each_run_and_reported(
    loopback_node: LoopbackNode, scraped_histogram: tuple[str, Histogram], tmp_path: Path
) -> None:
    url, histogram = scraped_histogram
    port = url.removeprefix("http://")
    # The node's HAProxy, as the agent reads its log: one local 2xx of 30 ms per request.
    stop = threading.Event()

    def measure_each_request() -> None:
        seen = 0
        while not stop.wait(0.02):
            for _request in range(loopback_node.requests - seen):
                labels = ("figlet", "local", "local", "client", "2xx")
                histogram.labels(*labels).observe(0.03)
            seen = loopback_node.requests

    measuring = threading.Thread(target=measure_each_request)
    measuring.start()
    try:
        summary = run_campaign(
            _tiny_scenario(tmp_path),
            {"node1": loopback_node.url},
            None,
            tmp_path / "report",
            limits=Limits(timeout_s=5),
            prometheus={"node1": "http://unused.invalid"},
            # Only the command reaches Prometheus, as `podman exec NODE curl` on a testbed.
            prometheus_via={"node1": f"curl -sS --connect-to unused.invalid:80:{port}"},
            prometheus_wait_s=2.5,
            log=lambda line: None,
        )
    finally:
        stop.set()
        measuring.join(timeout=10)

    text = summary.read_text()
    # 5 requests per run: the second run counts from the first run's total (5), not 0.
    # Every one in the (25, 50] ms bucket: p50 = 25 + 25 * 2.5 / 5, p95 = 25 + 25 * 4.75 / 5.
    for strategy in ("all_local", "recalc"):
        assert f"| {strategy} | node1 | local | node1 | 5 | 37.5 | 48.8 | 5 |" in text
        assert (tmp_path / "report" / "runs" / f"{strategy}-prometheus-node1.csv").is_file()


def test_prometheus_for_a_node_not_in_the_scenario_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"--prometheus for node.* not in the scenario: node7"):
        run_campaign(
            _tiny_scenario(tmp_path),
            {"node1": "http://127.0.0.1:9"},
            None,
            tmp_path / "report",
            prometheus={"node7": "http://127.0.0.1:9090"},
        )
