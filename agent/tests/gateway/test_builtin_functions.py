"""The built-in functions really run: figlet, shasum, nodeinfo, cpuburn, sleep."""

from __future__ import annotations

import hashlib
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from dfaas_gateway.functions.cpu_work import chained_sha256
from dfaas_gateway.functions.cpuburn import MAX_ROUNDS

if TYPE_CHECKING:
    from conftest import GatewayProcess

pytestmark = pytest.mark.component


def test_figlet_renders_the_body_with_the_figlet_program(shared_gateway: GatewayProcess) -> None:
    expected = subprocess.run(
        ["figlet"], input=b"DFaaS", capture_output=True, check=True, timeout=10
    ).stdout
    with shared_gateway.client() as client:
        response = client.post("/function/figlet", content=b"DFaaS")
    assert response.status_code == 200
    assert response.content == expected
    assert len(response.text.splitlines()) >= 5


def test_shasum_answers_the_sha512_of_the_body_as_sha512sum_prints_it(
    shared_gateway: GatewayProcess,
) -> None:
    body = b"hello dfaas" * 10_000  # large enough to be hashed off the event loop
    with shared_gateway.client() as client:
        response = client.post("/function/shasum", content=body)
    assert response.status_code == 200
    assert response.text == f"{hashlib.sha512(body).hexdigest()}  -\n"


def test_nodeinfo_names_the_node_that_served_the_call(shared_gateway: GatewayProcess) -> None:
    with shared_gateway.client() as client:
        response = client.get("/function/nodeinfo/any/sub/path", params={"format": "json"})
    assert response.status_code == 200
    assert response.json()["node"] == shared_gateway.node_name


def test_cpuburn_returns_the_digest_of_the_requested_rounds(
    shared_gateway: GatewayProcess,
) -> None:
    with shared_gateway.client() as client:
        response = client.post("/function/cpuburn", params={"rounds": "2000"})
    assert response.status_code == 200
    assert response.json() == {"rounds": 2000, "digest": chained_sha256(2000)}


def test_cpuburn_refuses_rounds_above_the_cap_with_400(shared_gateway: GatewayProcess) -> None:
    with shared_gateway.client() as client:
        response = client.post("/function/cpuburn", content=str(MAX_ROUNDS + 1).encode())
    assert response.status_code == 400
    assert "'rounds' must be between 1 and" in response.text


def test_sleep_waits_the_requested_milliseconds(shared_gateway: GatewayProcess) -> None:
    with shared_gateway.client() as client:
        response = client.get("/function/sleep", params={"ms": "20"})
    assert response.status_code == 200
    assert response.text == "slept 20 ms\n"


def test_cpu_work_in_flight_does_not_block_other_requests(
    shared_gateway: GatewayProcess,
) -> None:
    # While the largest cpuburn runs in its worker process, the gateway still
    # answers, and its own metrics show the burn as still in flight then.
    in_flight = 'dfaas_gateway_function_inflight{function_name="cpuburn"}'
    with ThreadPoolExecutor(max_workers=1) as pool, shared_gateway.client(60) as client:
        burn = pool.submit(client.post, "/function/cpuburn", params={"rounds": str(MAX_ROUNDS)})
        shared_gateway.wait_for_metric(in_flight, 1)
        health = client.get("/healthz")
        still_burning = shared_gateway.metric(in_flight)
        assert burn.result(timeout=60).status_code == 200
    assert health.status_code == 200
    assert still_burning == 1
