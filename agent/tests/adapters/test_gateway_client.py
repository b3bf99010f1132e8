"""The gateway client reads OpenFaaS-shaped function lists, and survives bad labels.

The HTTP edge is a fake (httpx.MockTransport) serving the JSON shape of OpenFaaS's
`GET /system/functions`, since OpenFaaS itself cannot run here.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import trio

from dfaas_agent.function_runtime import GatewayClient, GatewayUnavailable

OPENFAAS_FUNCTIONS = [
    {
        "name": "figlet",
        "image": "ghcr.io/openfaas/figlet:latest",
        "namespace": "openfaas-fn",
        "invocationCount": 1337,
        "replicas": 2,
        "availableReplicas": 2,
        "labels": {"dfaas.maxrate": "100", "dfaas.timeout_ms": "6000", "faas_function": "figlet"},
        "annotations": {"prometheus.io.scrape": "false"},
    },
    {"name": "env", "replicas": 1, "invocationCount": 0, "labels": None},
]


def fake_gateway(status: int, body: Any) -> httpx.MockTransport:
    """A fake OpenFaaS gateway answering every request with `body`."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=json.dumps(body).encode())

    return httpx.MockTransport(answer)


def list_functions(transport: httpx.MockTransport) -> Any:
    async def main() -> Any:
        client = GatewayClient("http://gateway.test:8080", transport=transport)
        try:
            return await client.list_functions()
        finally:
            await client.aclose()

    return trio.run(main)


def test_labels_become_maxrate_and_timeout() -> None:
    functions = list_functions(fake_gateway(200, OPENFAAS_FUNCTIONS))
    figlet = next(function for function in functions if function.name == "figlet")
    assert (figlet.maxrate, figlet.timeout_ms, figlet.replicas) == (100.0, 6000, 2)
    assert figlet.invocation_count == 1337
    assert figlet.label_errors == ()


def test_function_without_labels_has_no_limits() -> None:
    functions = list_functions(fake_gateway(200, OPENFAAS_FUNCTIONS))
    env = next(function for function in functions if function.name == "env")
    assert (env.maxrate, env.timeout_ms) == (None, None)


def test_functions_come_sorted_by_name() -> None:
    functions = list_functions(fake_gateway(200, OPENFAAS_FUNCTIONS))
    assert [function.name for function in functions] == ["env", "figlet"]


@pytest.mark.parametrize(
    ("labels", "error"),
    [
        ({"dfaas.maxrate": "fast"}, "dfaas.maxrate"),
        ({"dfaas.maxrate": "-3"}, "dfaas.maxrate: must be a finite number >= 0"),
        ({"dfaas.timeout_ms": "0"}, "dfaas.timeout_ms: must be a positive integer"),
    ],
)
def test_bad_label_is_reported_and_treated_as_absent(labels: dict[str, str], error: str) -> None:
    [function] = list_functions(fake_gateway(200, [{"name": "f", "labels": labels}]))
    assert function.maxrate is None
    assert function.timeout_ms is None
    assert len(function.label_errors) == 1
    assert function.label_errors[0].startswith(error)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, {"error": "boom"}, "500"),
        (200, {"not": "a list"}, "expected a JSON list"),
        (200, [{"labels": {}}], "entry 0: function without a name"),
        (200, ["figlet"], "entry 0: expected an object"),
    ],
)
def test_unusable_answer_raises_gateway_unavailable_naming_the_url(
    status: int, body: Any, message: str
) -> None:
    with pytest.raises(GatewayUnavailable, match=message) as raised:
        list_functions(fake_gateway(status, body))
    assert "http://gateway.test:8080/system/functions" in str(raised.value)


def test_unreachable_gateway_is_unhealthy_and_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def main() -> bool:
        client = GatewayClient("http://gateway.test:8080", transport=httpx.MockTransport(refuse))
        try:
            with pytest.raises(GatewayUnavailable, match="connection refused"):
                await client.list_functions()
            return await client.healthy()
        finally:
            await client.aclose()

    assert trio.run(main) is False


def _one(entry: dict[str, Any]) -> Any:
    (function,) = list_functions(fake_gateway(200, [{"name": "f", **entry}]))
    return function


def test_slots_are_max_inflight_times_the_available_replicas() -> None:
    function = _one({"envVars": {"max_inflight": "4"}, "replicas": 3, "availableReplicas": 2})
    assert function.slots == 8


def test_slots_come_from_the_max_inflight_label_without_the_env_var() -> None:
    assert _one({"labels": {"dfaas.max_inflight": "3"}, "replicas": 1}).slots == 3


def test_a_function_scaled_to_zero_still_has_one_replica_of_slots() -> None:
    assert _one({"envVars": {"max_inflight": "2"}, "availableReplicas": 0}).slots == 2


def test_slots_are_unknown_without_max_inflight() -> None:
    assert _one({"replicas": 2}).slots is None


def test_a_bad_max_inflight_is_reported_and_leaves_the_slots_unknown() -> None:
    function = _one({"envVars": {"max_inflight": "many"}})
    assert function.slots is None
    assert function.label_errors == (
        "envVars.max_inflight: must be a positive integer, got 'many'",
    )
