# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Client for the Prometheus HTTP API: instant queries, results as plain dicts.

Runs on target nodes (modules) and on the controller (lookups); built on the
collection's HTTP layer (``http_client.py``).
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from ansible_collections.dfaas.edge.plugins.module_utils.errors import DfaasError
from ansible_collections.dfaas.edge.plugins.module_utils.http_client import (
    HTTPClient,
    HTTPError,
    RequestError,
    decode_json,
)

RESULT_TYPES = ("vector", "matrix", "scalar", "string")


class PrometheusError(DfaasError):
    """A query failed: the message names the endpoint, the query and what went wrong."""


def _number(text: str) -> float:
    # Prometheus encodes sample values as strings, including "NaN" and "+Inf".
    return float(text)


def _sample(metric: dict[str, str], point: list[Any], as_number: bool = True) -> dict[str, Any]:
    timestamp, value = point
    return {
        "metric": dict(metric),
        "timestamp": float(timestamp),
        "value": _number(value) if as_number else value,
    }


def samples_from_data(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn the ``data`` member of a query response into a list of samples.

    vector: one ``{metric, timestamp, value}`` per series; matrix: one
    ``{metric, values: [[timestamp, value], ...]}`` per series; scalar and string:
    a single sample with empty ``metric`` (a string keeps its text as ``value``).
    """
    result_type = data.get("resultType")
    result: Any = data.get("result")
    if result_type == "vector":
        return [_sample(item["metric"], item["value"]) for item in result]
    if result_type == "matrix":
        return [
            {
                "metric": dict(item["metric"]),
                "values": [[float(ts), _number(value)] for ts, value in item["values"]],
            }
            for item in result
        ]
    if result_type == "scalar":
        return [_sample({}, result)]
    if result_type == "string":
        return [_sample({}, result, as_number=False)]
    raise ValueError(f"unknown resultType {result_type!r}")


def finite_or_none(value: float | None) -> float | None:
    """NaN and infinities (0/0 rates, empty windows) mean "no data", not a number."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return value


class PrometheusClient(HTTPClient):
    """Instant queries against one Prometheus server (``url`` is its base URL)."""

    service = "Prometheus"
    error = PrometheusError

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """Run an instant query; return its samples (see ``samples_from_data``)."""
        data = self.query_data(promql, at)
        try:
            return samples_from_data(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise PrometheusError(
                f"Prometheus query {promql!r} at {self.url}/api/v1/query returned "
                f"a malformed {data.get('resultType')} result ({exc!r})"
            ) from exc

    def query_data(self, promql: str, at: float | None = None) -> dict[str, Any]:
        """Run an instant query; return the response's raw ``data`` member."""
        if not promql or not promql.strip():
            raise PrometheusError(f"empty PromQL query for {self.url}")
        params: dict[str, str] = {"query": promql}
        if at is not None:
            params["time"] = repr(float(at))
        endpoint = f"{self.url}/api/v1/query"
        where = f"Prometheus query {promql!r} at {endpoint}"
        try:
            response = self.request(
                "POST",
                endpoint,
                data=urlencode(params),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            document = decode_json("POST", endpoint, response.body)
        except HTTPError as exc:
            raise PrometheusError(f"{where} failed: {_error_text(exc)}") from exc
        except RequestError as exc:
            raise PrometheusError(f"{where} {exc.problem}") from exc
        if not isinstance(document, dict) or document.get("status") != "success":
            raise PrometheusError(f"{where} failed: {_describe_error(document)}")
        data = document.get("data")
        if not isinstance(data, dict) or data.get("resultType") not in RESULT_TYPES:
            raise PrometheusError(f"{where} returned an unknown result shape")
        return data


def _describe_error(document: Any) -> str:
    if isinstance(document, dict) and document.get("error"):
        return f"{document.get('errorType', 'error')}: {document['error']}"
    return "unexpected response"


def _error_text(exc: HTTPError) -> str:
    # Prometheus explains a bad query in a JSON body next to the 4xx/5xx status.
    try:
        document = json.loads(exc.body)
    except ValueError:
        return f"HTTP {exc.status} {exc.reason}"
    return f"HTTP {exc.status}, {_describe_error(document)}"
