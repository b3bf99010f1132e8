"""Ask a forecaster what the node's usage will be at a load (the prototype's schema).

`GET <url>/node_usage` with a JSON body
`{"rate_group_HIGH_USAGE": r, "rate_group_MEDIUM_USAGE": r, "rate_group_LOW_USAGE": r,
"node_type": 0|1|2}` (req/s of the node's clients per usage group) answers a list with
one object `{"cpu_usage_node": %, "ram_usage_node": bytes, "power_usage_node": µW}`, as
the prototype's forecaster does, so either forecaster serves either agent. A field it
does not predict may be left out or null. Anything else is `ForecasterUnavailable`,
naming what was wrong: the agent then decides on the measured usage.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from dfaas_agent.model import GroupLoad, ResourceUsage
from dfaas_agent.usage.source import UsageUnavailable

FIELDS = {
    "cpu_usage_node": "cpu_percent",
    "ram_usage_node": "ram_bytes",
    "power_usage_node": "power_microwatts",
}


class ForecasterUnavailable(UsageUnavailable):
    """The forecaster did not answer in time, or answered something that is no forecast."""


def forecast_request(load: GroupLoad, node_type: int) -> dict[str, float | int]:
    return {
        "rate_group_HIGH_USAGE": load.high,
        "rate_group_MEDIUM_USAGE": load.medium,
        "rate_group_LOW_USAGE": load.low,
        "node_type": node_type,
    }


def parse_forecast(body: Any, where: str) -> ResourceUsage:
    """The forecast in `body` (a list of one object); ForecasterUnavailable otherwise."""
    if not isinstance(body, list) or len(body) != 1 or not isinstance(body[0], dict):
        raise ForecasterUnavailable(f"{where}: expected a list of one object, got {body!r:.80}")
    values: dict[str, float | None] = {}
    for field, name in FIELDS.items():
        value = body[0].get(field)
        if value is None:
            values[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ForecasterUnavailable(f"{where}: {field} is not a number: {value!r:.40}")
        if not math.isfinite(value) or value < 0:
            raise ForecasterUnavailable(f"{where}: {field} must be finite and >= 0, got {value}")
        values[name] = float(value)
    if all(value is None for value in values.values()):
        raise ForecasterUnavailable(f"{where}: the answer predicts none of {', '.join(FIELDS)}")
    return ResourceUsage(**values)


class ForecasterClient:
    """Async client of a forecaster; every call is bounded by `timeout_s`."""

    def __init__(
        self,
        base_url: str,
        *,
        node_type: int,
        timeout_s: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.node_type = node_type
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout_s, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def forecast(self, load: GroupLoad) -> ResourceUsage:
        where = f"{self.base_url}/node_usage"
        try:
            # The prototype's forecaster takes its input as the body of a GET.
            response = await self._client.request(
                "GET", "/node_usage", json=forecast_request(load, self.node_type)
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ForecasterUnavailable(f"{where}: {error}") from error
        return parse_forecast(body, where)
