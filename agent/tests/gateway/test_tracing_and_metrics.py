"""Responses say who served them; gateway_* metrics move with the traffic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import GatewayProcess

pytestmark = pytest.mark.component


def test_response_headers_name_the_serving_node_and_the_duration(
    shared_gateway: GatewayProcess,
) -> None:
    with shared_gateway.client() as client:
        response = client.post("/function/shasum", content=b"x", headers={"X-Call-Id": "c-1"})
    assert response.headers["X-Served-By"] == shared_gateway.node_name
    assert float(response.headers["X-Duration-Seconds"]) >= 0
    assert response.headers["X-Call-Id"] == "c-1"


def test_invocations_are_counted_by_function_and_status_code(
    shared_gateway: GatewayProcess,
) -> None:
    shared_gateway.deploy("counted", "cpuburn")
    with shared_gateway.client() as client:
        for _ in range(3):
            client.post("/function/counted", params={"rounds": "10"})
        client.post("/function/counted", params={"rounds": "0"})  # refused: 400
        listed = client.get("/system/function/counted").json()
    ok = 'gateway_function_invocation_total{code="200",function_name="counted"}'
    refused = 'gateway_function_invocation_total{code="400",function_name="counted"}'
    durations = 'gateway_functions_seconds_count{code="200",function_name="counted"}'
    assert shared_gateway.metric(ok) == 3
    assert shared_gateway.metric(refused) == 1
    assert shared_gateway.metric(durations) == 3
    assert listed["invocationCount"] == 4


def test_service_count_follows_deploy_and_remove(shared_gateway: GatewayProcess) -> None:
    sample = 'gateway_service_count{function_name="coming-going"}'
    shared_gateway.deploy("coming-going", "sleep")
    while_deployed = shared_gateway.metric(sample)
    with shared_gateway.client() as client:
        client.request("DELETE", "/system/functions", json={"functionName": "coming-going"})
    assert while_deployed == 1
    assert shared_gateway.metric(sample) is None


def test_function_removed_during_a_call_leaves_no_inflight_series(
    shared_gateway: GatewayProcess,
) -> None:
    sample = 'dfaas_gateway_function_inflight{function_name="removed-midway"}'
    shared_gateway.deploy("removed-midway", "sleep")
    with ThreadPoolExecutor(max_workers=1) as pool, shared_gateway.client() as client:
        call = pool.submit(client.get, "/function/removed-midway", params={"ms": "1500"})
        shared_gateway.wait_for_metric(sample, 1)
        client.request("DELETE", "/system/functions", json={"functionName": "removed-midway"})
        finished = call.result(timeout=30)
    assert finished.status_code == 200
    assert shared_gateway.metric(sample) is None
