# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.dfaas.edge.plugins.module_utils.node_metrics import (
    backend_queries,
    backend_summary,
    check_window,
    function_queries,
    function_summary,
    node_queries,
    node_summary,
)
from ansible_collections.dfaas.edge.plugins.module_utils.prometheus_api import PrometheusClient
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakePrometheus,
    vector,
)


def test_node_summary_reads_each_figure_from_its_query(fake_prometheus: FakePrometheus) -> None:
    queries = node_queries("30s")
    fake_prometheus.answers[queries["cpu_usage"]] = (200, vector(({}, "0.25")))
    fake_prometheus.answers[queries["memory_usage"]] = (200, vector(({}, "0.5")))
    fake_prometheus.answers[queries["load1"]] = (200, vector(({}, "1.5")))

    summary = node_summary(PrometheusClient(fake_prometheus.url), "30s")

    assert summary == {
        "cpu_usage": 0.25,
        "memory_usage": 0.5,
        "load1": 1.5,
        "load5": None,
        "load15": None,
        "request_rate": None,
    }


def test_node_figure_that_is_nan_is_none(fake_prometheus: FakePrometheus) -> None:
    fake_prometheus.answers[node_queries("1m")["memory_usage"]] = (200, vector(({}, "NaN")))

    assert node_summary(PrometheusClient(fake_prometheus.url), "1m")["memory_usage"] is None


def test_instance_restricts_node_series_to_that_exporter() -> None:
    queries = node_queries("1m", instance="10.0.0.1:9100")

    assert 'node_cpu_seconds_total{mode="idle",instance="10.0.0.1:9100"}' in queries["cpu_usage"]
    assert 'node_load1{instance="10.0.0.1:9100"}' in queries["load1"]


def test_instance_with_quote_is_rejected() -> None:
    with pytest.raises(ValueError, match="quote"):
        node_queries("1m", instance='x"} or vector(1)')


@pytest.mark.parametrize("window", ["", "1", "5 m", "1m;", "$(x)"])
def test_window_that_is_not_a_promql_duration_is_rejected(window: str) -> None:
    with pytest.raises(ValueError, match="not a PromQL duration"):
        check_window(window)


def test_function_summary_strips_namespace_and_fills_each_figure(
    fake_prometheus: FakePrometheus,
) -> None:
    queries = function_queries("1m")
    fake_prometheus.answers[queries["request_rate"]] = (
        200,
        vector(({"function_name": "figlet.openfaas-fn"}, "4"), ({"function_name": "shasum"}, "2")),
    )
    fake_prometheus.answers[queries["error_rate"]] = (
        200,
        vector(({"function_name": "figlet.openfaas-fn"}, "0.5")),
    )
    fake_prometheus.answers[queries["latency_seconds"]] = (
        200,
        vector(({"function_name": "figlet.openfaas-fn"}, "0.02")),
    )

    summary = function_summary(PrometheusClient(fake_prometheus.url), "1m")

    assert summary == {
        "figlet": {"request_rate": 4.0, "error_rate": 0.5, "latency_seconds": 0.02},
        "shasum": {"request_rate": 2.0, "error_rate": 0.0, "latency_seconds": None},
    }


def test_function_rates_of_same_name_in_two_namespaces_add_up(
    fake_prometheus: FakePrometheus,
) -> None:
    fake_prometheus.answers[function_queries("1m")["request_rate"]] = (
        200,
        vector(({"function_name": "figlet.a"}, "1"), ({"function_name": "figlet.b"}, "2")),
    )

    summary = function_summary(PrometheusClient(fake_prometheus.url), "1m")

    assert summary["figlet"]["request_rate"] == 3.0


def test_backend_summary_is_keyed_by_proxy(fake_prometheus: FakePrometheus) -> None:
    fake_prometheus.answers[backend_queries("1m")["request_rate"]] = (
        200,
        vector(({"proxy": "be_figlet"}, "7")),
    )

    summary = backend_summary(PrometheusClient(fake_prometheus.url), "1m")

    assert summary == {"be_figlet": {"request_rate": 7.0, "error_rate": 0.0}}
