# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import math
import socket

import pytest

from ansible_collections.dfaas.edge.plugins.module_utils.prometheus_api import (
    PrometheusClient,
    PrometheusError,
    finite_or_none,
)
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakePrometheus,
    vector,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_vector_result_gives_one_sample_per_series(fake_prometheus: FakePrometheus) -> None:
    fake_prometheus.answers["up"] = (200, vector(({"job": "node"}, "1"), ({"job": "haproxy"}, "0")))

    samples = PrometheusClient(fake_prometheus.url).query("up")

    assert samples == [
        {"metric": {"job": "node"}, "timestamp": 1700000000.5, "value": 1.0},
        {"metric": {"job": "haproxy"}, "timestamp": 1700000000.5, "value": 0.0},
    ]


def test_matrix_result_keeps_every_point_as_float_pairs(fake_prometheus: FakePrometheus) -> None:
    document = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {"job": "node"}, "values": [[10, "1"], [15, "0.5"]]}],
        },
    }
    fake_prometheus.answers["up[10s]"] = (200, document)

    samples = PrometheusClient(fake_prometheus.url).query("up[10s]")

    assert samples == [{"metric": {"job": "node"}, "values": [[10.0, 1.0], [15.0, 0.5]]}]


def test_scalar_result_is_one_sample_without_labels(fake_prometheus: FakePrometheus) -> None:
    document = {"status": "success", "data": {"resultType": "scalar", "result": [12, "3.5"]}}
    fake_prometheus.answers["scalar(3.5)"] = (200, document)

    samples = PrometheusClient(fake_prometheus.url).query("scalar(3.5)")

    assert samples == [{"metric": {}, "timestamp": 12.0, "value": 3.5}]


def test_string_result_keeps_its_text(fake_prometheus: FakePrometheus) -> None:
    document = {"status": "success", "data": {"resultType": "string", "result": [12, "hello"]}}
    fake_prometheus.answers['"hello"'] = (200, document)

    samples = PrometheusClient(fake_prometheus.url).query('"hello"')

    assert samples == [{"metric": {}, "timestamp": 12.0, "value": "hello"}]


def test_empty_vector_gives_no_samples(fake_prometheus: FakePrometheus) -> None:
    assert PrometheusClient(fake_prometheus.url).query("absent_metric") == []


def test_nan_sample_is_kept_as_float_nan(fake_prometheus: FakePrometheus) -> None:
    fake_prometheus.answers["0/0"] = (200, vector(({}, "NaN")))

    (sample,) = PrometheusClient(fake_prometheus.url).query("0/0")

    assert math.isnan(sample["value"])


def test_bad_query_error_names_query_endpoint_and_prometheus_reason(
    fake_prometheus: FakePrometheus,
) -> None:
    error = {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}
    fake_prometheus.answers["up{"] = (400, error)

    with pytest.raises(PrometheusError) as caught:
        PrometheusClient(fake_prometheus.url).query("up{")

    message = str(caught.value)
    assert "'up{'" in message
    assert f"{fake_prometheus.url}/api/v1/query" in message
    assert "HTTP 400, bad_data: parse error at char 3" in message


def test_error_status_in_a_200_answer_is_an_error(fake_prometheus: FakePrometheus) -> None:
    fake_prometheus.answers["up"] = (200, {"status": "error", "errorType": "timeout", "error": "x"})

    with pytest.raises(PrometheusError, match="timeout: x"):
        PrometheusClient(fake_prometheus.url).query("up")


def test_malformed_vector_is_an_error_naming_the_query(fake_prometheus: FakePrometheus) -> None:
    document = {"status": "success", "data": {"resultType": "vector", "result": [{"value": 1}]}}
    fake_prometheus.answers["up"] = (200, document)

    with pytest.raises(PrometheusError, match="'up'.*malformed vector result"):
        PrometheusClient(fake_prometheus.url).query("up")


def test_answer_that_is_not_json_is_an_error(fake_prometheus: FakePrometheus) -> None:
    fake_prometheus.answers["up"] = (200, b"<html>proxy login</html>")

    with pytest.raises(PrometheusError, match="not JSON"):
        PrometheusClient(fake_prometheus.url).query("up")


def test_slow_prometheus_times_out_with_endpoint_named(fake_prometheus: FakePrometheus) -> None:
    fake_prometheus.delay = 1.0

    with pytest.raises(PrometheusError, match=r"timed out after 0\.2 s") as caught:
        PrometheusClient(fake_prometheus.url, timeout=0.2).query("up")

    assert fake_prometheus.url in str(caught.value)


def test_unreachable_prometheus_error_names_endpoint() -> None:
    url = f"http://127.0.0.1:{_free_port()}"

    with pytest.raises(PrometheusError, match="failed") as caught:
        PrometheusClient(url, timeout=2).query("up")

    assert f"{url}/api/v1/query" in str(caught.value)


def test_url_without_scheme_is_rejected() -> None:
    with pytest.raises(PrometheusError, match="must look like http://HOST:PORT"):
        PrometheusClient("127.0.0.1:9090")


def test_empty_query_is_rejected_before_sending(fake_prometheus: FakePrometheus) -> None:
    with pytest.raises(PrometheusError, match="empty PromQL"):
        PrometheusClient(fake_prometheus.url).query("  ")

    assert fake_prometheus.requests == []


def test_evaluation_time_is_sent_when_given(fake_prometheus: FakePrometheus) -> None:
    PrometheusClient(fake_prometheus.url).query("up", at=1700000000)

    assert fake_prometheus.requests[0]["form"]["time"] == "1700000000.0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 0.5), (float("nan"), None), (float("inf"), None), (None, None)],
)
def test_finite_or_none_turns_non_numbers_into_none(
    value: float | None, expected: float | None
) -> None:
    assert finite_or_none(value) == expected
