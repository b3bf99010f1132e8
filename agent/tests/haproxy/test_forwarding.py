"""Two real HAProxy nodes: the excess goes one hop to a member over mutual TLS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from dfaas_agent.haproxy.layout import (
    FunctionSpec,
    HealthCheck,
    Member,
    PeerTls,
    ProxyLayout,
    ProxyTuning,
)

from .conftest import (
    LOOPBACK,
    FakeGateway,
    FederationCA,
    HAProxyNode,
    free_port,
    run,
    server_status,
    wait_until,
)

pytestmark = pytest.mark.component

HEALTH = HealthCheck(interval_s=1, fall=2, rise=2)
# Node A runs nothing itself: every request is excess, and node B gets it all.
EXCESS_TO_B = ProxyTuning(local_limits={"figlet": 0}, weights={"figlet": {"QmNodeB": 100}})


@dataclass
class Federation:
    a: HAProxyNode
    b: HAProxyNode
    gateway_a: FakeGateway
    gateway_b: FakeGateway


@pytest.fixture
def federation(
    haproxy_factory: Callable[..., HAProxyNode],
    fake_gateway_factory: Callable[[str], FakeGateway],
    federation_ca: FederationCA,
) -> Federation:
    gateways = {name: fake_gateway_factory(f"fake-gateway-{name}") for name in ("a", "b")}
    peer_ports = {name: free_port() for name in ("a", "b")}
    ids = {"a": "QmNodeA", "b": "QmNodeB"}

    def layout(name: str, other: str) -> ProxyLayout:
        return ProxyLayout(
            node_id=ids[name],
            node_name=f"node-{name}",
            gateway_host=LOOPBACK,
            gateway_port=gateways[name].port,
            members=(Member(ids[other], f"node-{other}", LOOPBACK, peer_ports[other]),),
            functions=(FunctionSpec("figlet"),),
            tls=PeerTls(federation_ca.ca_file, federation_ca.issue(ids[name]).certificate_file),
            bind_address=LOOPBACK,
            public_port=free_port(),
            peer_port=peer_ports[name],
            exporter_port=free_port(),
            health_check=HEALTH,
        )

    b = haproxy_factory(layout("b", "a"))
    a = haproxy_factory(layout("a", "b"), EXCESS_TO_B)
    wait_until(
        lambda: server_status(a, "members", "member_node-b") == "UP", "node-a to see node-b UP"
    )
    return Federation(a, b, gateways["a"], gateways["b"])


def test_excess_is_executed_by_the_member_over_mutual_tls(
    federation: Federation, http: httpx.Client
) -> None:
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert response.status_code == 200
    assert (response.headers["DFaaS-Node-ID"], response.headers["X-Server"]) == (
        "QmNodeB",
        "node-b",
    )
    assert federation.gateway_b.function_paths() == ["/function/figlet"]
    assert federation.gateway_a.function_paths() == []


def test_excess_stops_going_to_a_member_that_fails_health_checks(
    federation: Federation, http: httpx.Client
) -> None:
    federation.b.stop()
    wait_until(
        lambda: server_status(federation.a, "members", "member_node-b").startswith("DOWN"),
        "node-a to mark node-b DOWN",
    )
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert response.status_code == 503
    assert federation.gateway_b.function_paths() == []


def test_excess_returns_to_local_when_the_limit_is_lifted_at_runtime(
    federation: Federation, http: httpx.Client
) -> None:
    run(federation.a.controller.apply, federation.a.layout, ProxyTuning())
    response = http.post(federation.a.url("/function/figlet"), content=b"hi")
    assert response.headers["DFaaS-Node-ID"] == "QmNodeA"
    assert federation.gateway_b.function_paths() == []
