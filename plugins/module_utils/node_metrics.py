# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""How loaded a node is, read from its Prometheus (node_*, gateway_* and haproxy_* series).

Shared by the ``node_info`` module and the ``node_metrics`` lookup. A value that
Prometheus cannot compute (series missing, empty window) is ``None``, never 0.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.dfaas.edge.plugins.module_utils.prometheus_api import (
    PrometheusClient,
    finite_or_none,
)

_WINDOW = re.compile(r"^[0-9]+(ms|s|m|h|d|w|y)$")
_LABEL_VALUE_UNSAFE = re.compile(r'["\\\n]')


def check_window(window: str) -> str:
    """A PromQL range such as ``30s`` or ``1m``; anything else is a clear error."""
    if not _WINDOW.match(window or ""):
        raise ValueError(f"window {window!r} is not a PromQL duration such as 30s or 1m")
    return window


def check_instance(instance: str | None) -> str | None:
    """An ``instance`` label value that goes into a PromQL selector as it is."""
    if instance and _LABEL_VALUE_UNSAFE.search(instance):
        raise ValueError(f"instance {instance!r} contains a quote, backslash or newline")
    return instance


def _selector(instance: str | None, extra: str = "") -> str:
    matchers = [extra] if extra else []
    if check_instance(instance):
        matchers.append(f'instance="{instance}"')
    return "{" + ",".join(matchers) + "}" if matchers else ""


def node_queries(window: str, instance: str | None = None) -> dict[str, str]:
    """PromQL for the node-wide figures (one value each)."""
    check_window(window)
    idle = _selector(instance, 'mode="idle"')
    plain = _selector(instance)
    return {
        "cpu_usage": f"1 - avg(rate(node_cpu_seconds_total{idle}[{window}]))",
        "memory_usage": (
            f"1 - sum(node_memory_MemAvailable_bytes{plain})"
            f" / sum(node_memory_MemTotal_bytes{plain})"
        ),
        "load1": f"sum(node_load1{plain})",
        "load5": f"sum(node_load5{plain})",
        "load15": f"sum(node_load15{plain})",
        "request_rate": f"sum(rate(gateway_function_invocation_total[{window}]))",
    }


def function_queries(window: str) -> dict[str, str]:
    """PromQL for per-function figures, grouped by ``function_name``."""
    check_window(window)
    return {
        "request_rate": (
            f"sum by (function_name) (rate(gateway_function_invocation_total[{window}]))"
        ),
        "error_rate": (
            "sum by (function_name) "
            f'(rate(gateway_function_invocation_total{{code!~"2.."}}[{window}]))'
        ),
        "latency_seconds": (
            f"sum by (function_name) (rate(gateway_functions_seconds_sum[{window}]))"
            f" / sum by (function_name) (rate(gateway_functions_seconds_count[{window}]))"
        ),
    }


def backend_queries(window: str) -> dict[str, str]:
    """PromQL for per-HAProxy-backend figures, grouped by ``proxy``."""
    check_window(window)
    return {
        "request_rate": f"sum by (proxy) (rate(haproxy_backend_http_requests_total[{window}]))",
        "error_rate": (
            f'sum by (proxy) (rate(haproxy_backend_http_responses_total{{code="5xx"}}[{window}]))'
        ),
    }


def function_name(metric_value: str) -> str:
    # OpenFaaS labels series "figlet.openfaas-fn"; users know the function as "figlet".
    return metric_value.split(".", 1)[0]


def _single_value(samples: list[dict[str, Any]]) -> float | None:
    if not samples:
        return None
    return finite_or_none(samples[0].get("value"))


def node_summary(
    client: PrometheusClient, window: str, instance: str | None = None
) -> dict[str, float | None]:
    """``{cpu_usage, memory_usage, load1, load5, load15, request_rate}`` of a node.

    cpu_usage and memory_usage are fractions (0..1); request_rate is in requests/s.
    """
    return {
        name: _single_value(client.query(promql))
        for name, promql in node_queries(window, instance).items()
    }


def _grouped(
    client: PrometheusClient, queries: dict[str, str], label: str, rename: Any = None
) -> dict[str, dict[str, float | None]]:
    table: dict[str, dict[str, float | None]] = {}
    for figure, promql in queries.items():
        for sample in client.query(promql):
            key = sample["metric"].get(label)
            if key is None:
                continue
            if rename is not None:
                key = rename(key)
            row = table.setdefault(key, dict.fromkeys(queries))
            value = finite_or_none(sample.get("value"))
            earlier = row[figure]
            # Two namespaces may hold functions of the same name: add their rates up.
            if value is not None and earlier is not None and figure != "latency_seconds":
                value += earlier
            row[figure] = value
    return table


def function_summary(client: PrometheusClient, window: str) -> dict[str, dict[str, float | None]]:
    """Per function: ``{request_rate, error_rate, latency_seconds}`` from gateway_* series."""
    return _no_error_series_means_zero(
        _grouped(client, function_queries(window), "function_name", function_name)
    )


def backend_summary(client: PrometheusClient, window: str) -> dict[str, dict[str, float | None]]:
    """Per HAProxy backend: ``{request_rate, error_rate}`` from haproxy_backend_* series."""
    return _no_error_series_means_zero(_grouped(client, backend_queries(window), "proxy"))


def _no_error_series_means_zero(
    table: dict[str, dict[str, float | None]],
) -> dict[str, dict[str, float | None]]:
    # Error counters appear only after the first error: traffic without them is 0 errors/s.
    for row in table.values():
        if row["request_rate"] is not None and row["error_rate"] is None:
            row["error_rate"] = 0.0
    return table
