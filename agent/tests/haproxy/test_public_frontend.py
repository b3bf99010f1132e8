"""What the public port serves, with a real HAProxy in front of a fake gateway."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from dfaas_agent.haproxy.layout import ConnectionLimits, FunctionSpec, ProxyLayout, ProxyTuning
from dfaas_agent.haproxy.render import Timeouts

from .conftest import (
    LOOPBACK,
    WAIT_S,
    FakeGateway,
    HAProxyNode,
    free_port,
    run,
    wait_counted,
    wait_until,
)

pytestmark = pytest.mark.component


def standalone_layout(gateway: FakeGateway, functions: tuple[str, ...]) -> ProxyLayout:
    return ProxyLayout(
        node_id="QmNodeA",
        node_name="node-a",
        gateway_host=LOOPBACK,
        gateway_port=gateway.port,
        functions=tuple(FunctionSpec(name) for name in functions),
        bind_address=LOOPBACK,
        public_port=free_port(),
        peer_port=free_port(),
        exporter_port=free_port(),
    )


@pytest.fixture
def node(haproxy_factory: Callable[..., HAProxyNode], fake_gateway: FakeGateway) -> HAProxyNode:
    return haproxy_factory(
        standalone_layout(fake_gateway, ("figlet", "my_fn", "my-fn", "image-classification"))
    )


def test_unknown_function_fig_does_not_reach_figlet(
    node: HAProxyNode, fake_gateway: FakeGateway, http: httpx.Client
) -> None:
    response = http.post(node.url("/function/fig"), content=b"hi")
    assert response.status_code == 404
    assert fake_gateway.function_paths() == []


def test_function_sub_path_and_query_reach_the_function(
    node: HAProxyNode, fake_gateway: FakeGateway, http: httpx.Client
) -> None:
    response = http.post(node.url("/function/figlet/sub/path?x=1"), content=b"hi")
    assert response.status_code == 200
    assert fake_gateway.function_paths() == ["/function/figlet/sub/path?x=1"]


def test_response_names_the_node_that_served(node: HAProxyNode, http: httpx.Client) -> None:
    response = http.post(node.url("/function/figlet"), content=b"hi")
    assert (response.headers["X-Server"], response.headers["DFaaS-Node-ID"]) == (
        "node-a",
        "QmNodeA",
    )


def test_names_differing_by_dash_and_underscore_reach_their_own_backend(
    node: HAProxyNode, http: httpx.Client
) -> None:
    before = run(node.controller.runtime.request_counters)
    assert http.post(node.url("/function/my_fn"), content=b"hi").status_code == 200

    wait_counted(node.controller.runtime, "run_my_5ffn", before.backends["run_my_5ffn"] + 1)
    after = run(node.controller.runtime.request_counters)
    assert after.backends["run_my_5ffn"] - before.backends["run_my_5ffn"] == 1
    assert after.backends["run_my-fn"] == before.backends["run_my-fn"]


def test_a_default_function_with_a_dash_in_its_name_is_run_by_the_gateway(
    node: HAProxyNode, fake_gateway: FakeGateway, http: httpx.Client
) -> None:
    response = http.post(node.url("/function/image-classification"), content=b"png")
    assert response.status_code == 200
    assert fake_gateway.function_paths() == ["/function/image-classification"]


def test_other_paths_are_forbidden(node: HAProxyNode, http: httpx.Client) -> None:
    assert http.get(node.url("/admin")).status_code == 403


def test_system_functions_reaches_the_gateway(node: HAProxyNode, http: httpx.Client) -> None:
    response = http.get(node.url("/system/functions"))
    assert response.json() == [{"name": "figlet"}]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_function_management_is_refused_on_the_public_port(
    node: HAProxyNode, fake_gateway: FakeGateway, http: httpx.Client, method: str
) -> None:
    response = http.request(
        method, node.url("/system/functions"), json={"service": "x", "image": "nodeinfo"}
    )
    assert (response.status_code, response.text) == (
        403,
        "function management is not served on the public port\n",
    )
    assert [path for path, _ in fake_gateway.requests if path == "/system/functions"] == []


def test_forged_node_id_header_is_rejected_with_403(
    node: HAProxyNode, fake_gateway: FakeGateway, http: httpx.Client
) -> None:
    response = http.post(
        node.url("/function/figlet"), content=b"hi", headers={"DFaaS-Node-ID": "QmNodeB"}
    )
    assert response.status_code == 403
    assert fake_gateway.function_paths() == []


def test_local_limit_set_at_runtime_turns_requests_away_without_a_member(
    node: HAProxyNode, http: httpx.Client
) -> None:
    run(node.controller.apply, node.layout, ProxyTuning(local_limits={"figlet": 0}))
    response = http.post(node.url("/function/figlet"), content=b"hi")
    assert (response.status_code, response.text) == (
        503,
        "overloaded function figlet, no other DFaaS node available\n",
    )


def test_unlimited_local_limit_restored_at_runtime_serves_again(
    node: HAProxyNode, http: httpx.Client
) -> None:
    run(node.controller.apply, node.layout, ProxyTuning(local_limits={"figlet": 0}))
    run(node.controller.apply, node.layout, ProxyTuning(local_limits={"figlet": None}))
    assert http.post(node.url("/function/figlet"), content=b"hi").status_code == 200


def test_prometheus_exporter_serves_haproxy_metrics(node: HAProxyNode, http: httpx.Client) -> None:
    response = http.get(f"http://{LOOPBACK}:{node.layout.exporter_port}/metrics")
    assert "haproxy_backend_http_requests_total" in response.text


def _client_from(source: str) -> httpx.Client:
    """A client whose connections come from `source` (kept alive between calls)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=WAIT_S)


def test_one_client_address_cannot_hold_every_connection_of_the_public_port(
    haproxy_factory: Callable[..., HAProxyNode], fake_gateway: FakeGateway, http: httpx.Client
) -> None:
    layout = replace(
        standalone_layout(fake_gateway, ("figlet",)),
        connections=ConnectionLimits(maxconn=1000, public_per_source=3),
    )
    # Idle connections stay open for the whole test, however slow the machine.
    node = haproxy_factory(layout, timeouts=Timeouts(http_request_s=300, keep_alive_s=300))
    held = [_client_from("127.0.0.2") for _ in range(3)]
    url = node.url("/function/figlet")
    try:
        assert [client.get(url).status_code for client in held] == [200, 200, 200]
        # A fourth connection from that address is closed before anything is read.
        with _client_from("127.0.0.2") as fourth, pytest.raises(httpx.TransportError):
            fourth.get(url)
        # Other clients are served meanwhile.
        assert http.get(url).status_code == 200
        # Once the address holds fewer, it is served again.
        held.pop().close()

        def served_again() -> bool:
            with _client_from("127.0.0.2") as client:
                try:
                    return client.get(url).status_code == 200
                except httpx.TransportError:
                    return False

        wait_until(served_again, "127.0.0.2 served again after closing a connection")
    finally:
        for client in held:
            client.close()
