# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

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


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"prometheus_timeout": -1},
            "prometheus_timeout must be a number of seconds above 0, got -1",
        ),
        (
            {"prometheus_timeout": 0},
            "prometheus_timeout must be a number of seconds above 0, got 0",
        ),
        ({"gateway_timeout": 0}, "gateway_timeout must be a number of seconds above 0, got 0"),
        (
            {"gateway_url": "file:///etc/passwd"},
            "gateway_url 'file:///etc/passwd' is not an http:// or https:// URL with a host"
            " and a valid port",
        ),
        (
            {"openfaas_namespace": "OpenFaaS"},
            "openfaas_namespace 'OpenFaaS' is not a Kubernetes namespace name: a DNS-1123 label"
            " (lower-case letters, digits and '-', starting and ending with a letter or digit,"
            " at most 63 characters)",
        ),
        (
            {"instance": 'n1"} or vector(1)'},
            """instance 'n1"} or vector(1)' contains a quote, backslash or newline""",
        ),
    ],
)
def test_a_bad_option_fails_naming_it_before_querying(
    run_module: Runner, fake_prometheus: FakePrometheus, extra: dict[str, Any], expected: str
) -> None:
    result = run_module(main, {"prometheus_url": fake_prometheus.url, **extra})

    assert result["failed"] is True
    assert result["msg"] == expected
    assert fake_prometheus.requests == []


def test_a_prometheus_url_that_is_no_http_url_fails_naming_it(run_module: Runner) -> None:
    result = run_module(main, {"prometheus_url": "file:///var/lib/prometheus"})

    assert result["failed"] is True
    assert result["msg"] == (
        "prometheus_url 'file:///var/lib/prometheus' is not an http:// or https:// URL"
        " with a host and a valid port"
    )


def test_a_missing_kubeconfig_fails_naming_it_before_querying(
    run_module: Runner, fake_prometheus: FakePrometheus, tmp_path: Path
) -> None:
    missing = tmp_path / "k3s.yaml"

    result = run_module(main, {"prometheus_url": fake_prometheus.url, "kubeconfig": str(missing)})

    assert result["failed"] is True
    assert result["msg"] == f"kubeconfig {missing}: no such file"
    assert fake_prometheus.requests == []
