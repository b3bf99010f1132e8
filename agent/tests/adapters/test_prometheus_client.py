"""The Prometheus client reads real node CPU and RAM from a real Prometheus.

Fixtures start Debian's prometheus-node-exporter and prometheus on loopback ports,
scraping every second, and stop them afterwards.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio

from dfaas_agent.usage import PrometheusClient, PrometheusUnavailable
from dfaas_agent.usage.prometheus import cpu_query, rate_window_s

pytestmark = pytest.mark.component


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout_s} s")


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp("prometheus")
    exporter_port, prometheus_port = free_port(), free_port()
    config = workdir / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: node\n    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    exporter = subprocess.Popen(
        ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{exporter_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    prometheus = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{prometheus_port}"
        wait_until_ready(f"http://127.0.0.1:{exporter_port}/metrics", exporter)
        wait_until_ready(f"{url}/-/ready", prometheus)
        yield url
    finally:
        for process in (prometheus, exporter):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def node_usage_when_available(url: str, timeout_s: float = 20) -> tuple[float, float]:
    """Poll until rate() has two scrapes to work on; bounded."""

    async def main() -> tuple[float, float]:
        client = PrometheusClient(url, scrape_interval_s=1)
        try:
            with trio.fail_after(timeout_s):
                while True:
                    try:
                        usage = await client.node_usage(period_s=1)
                    except PrometheusUnavailable:
                        usage = None
                    if usage and usage.cpu_percent is not None and usage.ram_bytes is not None:
                        return usage.cpu_percent, usage.ram_bytes
                    await trio.sleep(0.5)
        finally:
            await client.aclose()

    return trio.run(main)


def meminfo_total_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


def test_node_usage_reads_real_cpu_and_ram(prometheus_url: str) -> None:
    cpu_percent, ram_bytes = node_usage_when_available(prometheus_url)
    cores = len(
        [
            line
            for line in Path("/proc/stat").read_text().splitlines()
            if line[:3] == "cpu" and line[3:4].isdigit()
        ]
    )
    assert 0 <= cpu_percent <= 100 * cores
    assert 0 < ram_bytes < meminfo_total_bytes()


def test_query_error_names_the_endpoint_and_the_query(prometheus_url: str) -> None:
    async def main() -> None:
        client = PrometheusClient(prometheus_url)
        try:
            await client.scalar("sum(rate(")
        finally:
            await client.aclose()

    with pytest.raises(PrometheusUnavailable, match=r"/api/v1/query: query 'sum\(rate\(' failed"):
        trio.run(main)


def test_query_without_data_is_unavailable(prometheus_url: str) -> None:
    async def main() -> None:
        client = PrometheusClient(prometheus_url)
        try:
            await client.scalar("no_such_metric_anywhere")
        finally:
            await client.aclose()

    with pytest.raises(PrometheusUnavailable, match="no data"):
        trio.run(main)


def test_unreachable_prometheus_is_unavailable() -> None:
    async def main() -> None:
        client = PrometheusClient(f"http://127.0.0.1:{free_port()}", timeout_s=1)
        try:
            await client.node_usage(period_s=60)
        finally:
            await client.aclose()

    with pytest.raises(PrometheusUnavailable, match="neither CPU nor RAM"):
        trio.run(main)


def test_rate_window_covers_the_period_and_four_scrapes() -> None:
    assert rate_window_s(period_s=1, scrape_interval_s=5) == 20
    assert rate_window_s(period_s=60, scrape_interval_s=5) == 60
    assert cpu_query(20) == '100 * sum(rate(node_cpu_seconds_total{mode!="idle"}[20s]))'
