# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The prometheus and node_metrics lookups and the node_info module, run by ansible against
a real Prometheus that scrapes a real node exporter, an exporter and the function runtime."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from ansible_collections.dfaas.edge.tests.integration.services import (
    MonitoredNode,
    deploy_directly,
    invoke,
    promql,
    wait_until,
)

pytestmark = pytest.mark.component

Runner = Callable[..., dict[str, Any]]


def _template(ansible: Runner, expression: str) -> Any:
    result = ansible("ansible.builtin.debug", {"msg": "{{ " + expression + " }}"})
    assert not result.get("failed"), result.get("msg")
    return result["msg"]


def test_prometheus_lookup_returns_the_exported_value(
    ansible: Runner, monitored_node: MonitoredNode
) -> None:
    samples = _template(
        ansible,
        f"query('dfaas.edge.prometheus', 'dfaas_integration_answer',"
        f" url='{monitored_node.prometheus_url}')",
    )

    assert [(s["metric"]["job"], s["value"]) for s in samples] == [
        ("exporter", monitored_node.answer)
    ]


def test_prometheus_lookup_returns_a_matrix_for_a_range_selector(
    ansible: Runner, monitored_node: MonitoredNode
) -> None:
    samples = _template(
        ansible,
        f"query('dfaas.edge.prometheus', 'dfaas_integration_answer[1m]',"
        f" url='{monitored_node.prometheus_url}')",
    )

    (series,) = samples
    assert len(series["values"]) >= 2
    assert {point[1] for point in series["values"]} == {monitored_node.answer}


def test_prometheus_lookup_fails_with_prometheus_reason_for_bad_promql(
    ansible: Runner, monitored_node: MonitoredNode
) -> None:
    result = ansible(
        "ansible.builtin.debug",
        {
            "msg": "{{ query('dfaas.edge.prometheus', 'rate(up', url='"
            + monitored_node.prometheus_url
            + "') }}"
        },
    )

    assert result["failed"] is True
    assert "HTTP 400, bad_data" in result["msg"]


def test_node_metrics_lookup_summarises_the_real_node(
    ansible: Runner, monitored_node: MonitoredNode
) -> None:
    (summary,) = _template(
        ansible,
        f"query('dfaas.edge.node_metrics', '{monitored_node.prometheus_url}', window='30s')",
    )

    assert summary["endpoint"] == monitored_node.prometheus_url
    assert 0.0 <= summary["cpu_usage"] <= 1.0
    assert 0.0 < summary["memory_usage"] < 1.0
    assert summary["load1"] >= 0.0


def test_node_info_reports_function_traffic_seen_by_prometheus(
    ansible: Runner, monitored_node: MonitoredNode
) -> None:
    deploy_directly(
        monitored_node.gateway_url,
        {"service": "hashload", "image": "ghcr.io/openfaas/shasum:latest"},
    )
    # The counter must be scraped once before the calls that the rate is made of.
    invoke(monitored_node.gateway_url, "hashload", 1)
    counter = 'gateway_function_invocation_total{function_name=~"hashload.*"}'
    wait_until(lambda: bool(promql(monitored_node.prometheus_url, counter)), "first scrape")
    # Through HAProxy, so that its haproxy_backend_* counters move too.
    invoke(monitored_node.haproxy_url, "hashload", 20)
    backend = 'haproxy_backend_http_requests_total{proxy="be_functions"}'
    wait_until(
        lambda: all(
            promql(monitored_node.prometheus_url, f"rate({series}[30s]) > 0")
            for series in (counter, backend)
        ),
        "hashload traffic in Prometheus",
    )

    result = ansible(
        "dfaas.edge.node_info",
        {
            "prometheus_url": monitored_node.prometheus_url,
            "gateway_url": monitored_node.gateway_url,
            "window": "30s",
        },
    )

    assert result["changed"] is False
    assert result["functions"]["hashload"]["request_rate"] > 0
    assert result["functions"]["hashload"]["error_rate"] == 0
    assert result["functions"]["hashload"]["latency_seconds"] > 0
    assert 0.0 < result["node"]["memory_usage"] < 1.0
    assert result["backends"]["be_functions"]["request_rate"] > 0
    assert "hashload" in [f["name"] for f in result["gateway_functions"]]
