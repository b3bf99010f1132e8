# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.dfaas.edge.plugins.module_utils.node_metrics import (
    function_queries,
    node_queries,
)
from ansible_collections.dfaas.edge.plugins.modules.node_info import main
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakeOpenFaaSGateway,
    FakePrometheus,
    vector,
)

Runner = Callable[..., dict[str, Any]]


def test_node_figures_come_from_prometheus(
    run_module: Runner, fake_prometheus: FakePrometheus
) -> None:
    fake_prometheus.answers[node_queries("30s")["cpu_usage"]] = (200, vector(({}, "0.75")))
    fake_prometheus.answers[function_queries("30s")["request_rate"]] = (
        200,
        vector(({"function_name": "figlet.openfaas-fn"}, "3")),
    )

    result = run_module(main, {"prometheus_url": fake_prometheus.url, "window": "30s"})

    assert result["changed"] is False
    assert result["node"]["cpu_usage"] == 0.75
    assert result["node"]["memory_usage"] is None
    assert result["functions"] == {
        "figlet": {"request_rate": 3.0, "error_rate": 0.0, "latency_seconds": None}
    }
    assert result["backends"] == {}


def test_gateway_functions_are_listed_when_gateway_url_is_given(
    run_module: Runner, fake_prometheus: FakePrometheus, fake_gateway: FakeOpenFaaSGateway
) -> None:
    fake_gateway.add({"service": "figlet", "image": "figlet:1", "labels": {"dfaas.maxrate": "9"}})

    result = run_module(
        main, {"prometheus_url": fake_prometheus.url, "gateway_url": fake_gateway.url}
    )

    assert [(f["name"], f["labels"]["dfaas.maxrate"]) for f in result["gateway_functions"]] == [
        ("figlet", "9")
    ]


def test_gateway_is_not_asked_without_gateway_url(
    run_module: Runner, fake_prometheus: FakePrometheus
) -> None:
    result = run_module(main, {"prometheus_url": fake_prometheus.url})

    assert "gateway_functions" not in result


def test_instance_narrows_node_queries(run_module: Runner, fake_prometheus: FakePrometheus) -> None:
    run_module(main, {"prometheus_url": fake_prometheus.url, "instance": "n1:9100"})

    assert node_queries("1m", "n1:9100")["cpu_usage"] in fake_prometheus.queries()


def test_bad_window_fails_before_querying(
    run_module: Runner, fake_prometheus: FakePrometheus
) -> None:
    result = run_module(main, {"prometheus_url": fake_prometheus.url, "window": "5 minutes"})

    assert result["failed"] is True
    assert "window '5 minutes' is not a PromQL duration" in result["msg"]
    assert fake_prometheus.requests == []


def test_prometheus_error_fails_naming_endpoint(
    run_module: Runner, fake_prometheus: FakePrometheus
) -> None:
    error = {"status": "error", "errorType": "unavailable", "error": "TSDB not ready"}
    fake_prometheus.answers[node_queries("1m")["cpu_usage"]] = (503, error)

    result = run_module(main, {"prometheus_url": fake_prometheus.url})

    assert result["failed"] is True
    assert f"{fake_prometheus.url}/api/v1/query" in result["msg"]
    assert "HTTP 503, unavailable: TSDB not ready" in result["msg"]
