"""Query the node's Prometheus for CPU and memory in use.

CPU is reported the prototype's way, in percent of one core (100 = one core busy),
from node-exporter's `node_cpu_seconds_total`; memory in use is `MemTotal -
MemAvailable` in bytes. `rate()` needs two samples inside its window, so the window is
never shorter than four scrape intervals whatever the control period is.
"""

from __future__ import annotations

import math

import httpx

from dfaas_agent.usage.source import NodeUsage, UsageUnavailable

DEFAULT_SCRAPE_INTERVAL_S = 5.0


class PrometheusUnavailable(UsageUnavailable):
    """Prometheus did not answer, refused the query, or had no data for it."""


def rate_window_s(period_s: float, scrape_interval_s: float = DEFAULT_SCRAPE_INTERVAL_S) -> int:
    """Whole seconds for a `rate()` window covering the period and >= 4 scrapes."""
    return math.ceil(max(period_s, 4 * scrape_interval_s))


def cpu_query(window_s: int, selector: str = "") -> str:
    busy = f'node_cpu_seconds_total{{mode!="idle"{"," + selector if selector else ""}}}'
    return f"100 * sum(rate({busy}[{window_s}s]))"


def ram_query(selector: str = "") -> str:
    labels = f"{{{selector}}}" if selector else ""
    return f"sum(node_memory_MemTotal_bytes{labels} - node_memory_MemAvailable_bytes{labels})"


class PrometheusClient:
    """Async client of the Prometheus HTTP API (instant queries)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 3.0,
        node_selector: str = "",
        scrape_interval_s: float = DEFAULT_SCRAPE_INTERVAL_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.node_selector = node_selector
        self.scrape_interval_s = scrape_interval_s
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout_s, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def scalar(self, query: str) -> float:
        """Value of a query that yields one sample; PrometheusUnavailable otherwise."""
        where = f"{self.base_url}/api/v1/query"
        try:
            response = await self._client.get("/api/v1/query", params={"query": query})
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PrometheusUnavailable(f"{where}: {exc}") from exc
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else body
            raise PrometheusUnavailable(f"{where}: query {query!r} failed: {error}")
        data = body.get("data") or {}
        result = data.get("result")
        if data.get("resultType") == "scalar" and isinstance(result, list):
            return _sample_value(where, query, result)
        if not isinstance(result, list) or not result:
            raise PrometheusUnavailable(f"{where}: no data for {query!r}")
        if len(result) > 1:
            raise PrometheusUnavailable(f"{where}: {len(result)} series for {query!r}, want 1")
        sample = result[0].get("value") if isinstance(result[0], dict) else None
        return _sample_value(where, query, sample)

    async def node_usage(self, period_s: float) -> NodeUsage:
        """CPU (percent of one core) and RAM in use; a part that fails is None."""
        window = rate_window_s(period_s, self.scrape_interval_s)
        cpu: float | None
        ram: float | None
        try:
            cpu = await self.scalar(cpu_query(window, self.node_selector))
        except PrometheusUnavailable:
            cpu = None
        try:
            ram = await self.scalar(ram_query(self.node_selector))
        except PrometheusUnavailable:
            ram = None
        if cpu is None and ram is None:
            raise PrometheusUnavailable(f"{self.base_url}: neither CPU nor RAM is available")
        return NodeUsage(cpu_percent=cpu, ram_bytes=ram)


def _sample_value(where: str, query: str, sample: object) -> float:
    if not isinstance(sample, list) or len(sample) != 2:
        raise PrometheusUnavailable(f"{where}: malformed sample for {query!r}: {sample!r}")
    try:
        value = float(sample[1])
    except (TypeError, ValueError) as exc:
        raise PrometheusUnavailable(f"{where}: non-numeric sample for {query!r}") from exc
    if not math.isfinite(value):
        raise PrometheusUnavailable(f"{where}: {value} for {query!r}")
    return value
