"""Per-function concurrency bound (429 at once, never a hang), timeout (504), body size (413)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx
    from conftest import GatewayProcess

pytestmark = pytest.mark.component


def test_calls_beyond_max_inflight_get_429_while_admitted_calls_complete(
    shared_gateway: GatewayProcess,
) -> None:
    shared_gateway.deploy("narrow", "sleep", env={"max_inflight": "2"})
    in_flight = 'dfaas_gateway_function_inflight{function_name="narrow"}'
    with ThreadPoolExecutor(max_workers=2) as pool, shared_gateway.client() as client:
        admitted = [
            pool.submit(client.get, "/function/narrow", params={"ms": "3000"}) for _ in range(2)
        ]
        shared_gateway.wait_for_metric(in_flight, 2)
        excess = client.get("/function/narrow", params={"ms": "1"})
        admitted_codes = [call.result(timeout=30).status_code for call in admitted]
    assert excess.status_code == 429
    assert "concurrency limit (2 in flight)" in excess.text
    assert admitted_codes == [200, 200]


def test_max_inflight_can_come_from_a_label(shared_gateway: GatewayProcess) -> None:
    shared_gateway.deploy("narrow-label", "sleep", labels={"dfaas.max_inflight": "1"})
    in_flight = 'dfaas_gateway_function_inflight{function_name="narrow-label"}'
    with ThreadPoolExecutor(max_workers=1) as pool, shared_gateway.client() as client:
        admitted = pool.submit(client.get, "/function/narrow-label", params={"ms": "3000"})
        shared_gateway.wait_for_metric(in_flight, 1)
        excess = client.get("/function/narrow-label", params={"ms": "1"})
        assert admitted.result(timeout=30).status_code == 200
    assert excess.status_code == 429


def _second_call_while_the_slot_is_held(
    gateway: GatewayProcess, function: str, hold_ms: int
) -> tuple[httpx.Response, httpx.Response]:
    """(first call, second call) to a function of one slot that the first one holds."""
    gateway.deploy(function, "sleep", env={"max_inflight": "1"})
    in_flight = f'dfaas_gateway_function_inflight{{function_name="{function}"}}'
    with ThreadPoolExecutor(max_workers=1) as pool, gateway.client() as client:
        first = pool.submit(client.get, f"/function/{function}", params={"ms": str(hold_ms)})
        gateway.wait_for_metric(in_flight, 1)
        second = client.get(f"/function/{function}", params={"ms": "1"})
        return first.result(timeout=30), second


def test_with_a_slot_wait_a_call_takes_the_slot_that_frees_up(
    gateway_starter: Callable[..., GatewayProcess],
) -> None:
    first, second = _second_call_while_the_slot_is_held(
        gateway_starter("--slot-wait", "5s"), "waiting", hold_ms=300
    )
    assert (first.status_code, second.status_code) == (200, 200)
    # It waited for the first call's slot, not beside it.
    assert float(second.headers["x-duration-seconds"]) > 0.1


def test_a_slot_wait_still_ends_in_429_when_no_slot_frees_up(
    gateway_starter: Callable[..., GatewayProcess],
) -> None:
    first, excess = _second_call_while_the_slot_is_held(
        gateway_starter("--slot-wait", "200ms"), "stuck", hold_ms=3000
    )
    assert (first.status_code, excess.status_code) == (200, 429)
    assert float(excess.headers["x-duration-seconds"]) >= 0.2


def test_call_running_past_exec_timeout_gets_504_and_frees_its_slot(
    shared_gateway: GatewayProcess,
) -> None:
    shared_gateway.deploy("hasty", "sleep", env={"exec_timeout": "300ms", "max_inflight": "1"})
    with shared_gateway.client() as client:
        expired = client.get("/function/hasty", params={"ms": "10000"})
        after = client.get("/function/hasty", params={"ms": "1"})
    assert expired.status_code == 504
    assert "timed out after 0.3 s" in expired.text
    assert after.status_code == 200


def test_cpu_work_past_its_timeout_gets_504_and_the_worker_pool_recovers(
    shared_gateway: GatewayProcess,
) -> None:
    shared_gateway.deploy("hasty-burn", "cpuburn", labels={"dfaas.timeout_ms": "200"})
    with shared_gateway.client() as client:
        expired = client.post("/function/hasty-burn", params={"rounds": "5000000"})
        # The killed worker is replaced by a fresh process: give that time to start.
        shared_gateway.deploy("hasty-burn", "cpuburn", method="PUT")
        after = client.post("/function/hasty-burn", params={"rounds": "10"})
    assert expired.status_code == 504
    assert after.status_code == 200


def test_body_over_the_limit_gets_413(gateway_starter: Callable[..., GatewayProcess]) -> None:
    gateway = gateway_starter("--preload", "shasum", "--max-body-bytes", "1000")
    with gateway.client() as client:
        too_big = client.post("/function/shasum", content=b"x" * 1001)
        fits = client.post("/function/shasum", content=b"x" * 1000)
    assert too_big.status_code == 413
    assert fits.status_code == 200
