"""The peer port: mutual TLS with the federation CA, identity from the certificate."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from dfaas_agent.haproxy.controller import Applied
from dfaas_agent.haproxy.layout import ProxyTuning

from .conftest import (
    FakeGateway,
    FederationCA,
    HAProxyNode,
    make_ca,
    peer_client,
    peer_url,
    run,
)

pytestmark = pytest.mark.component


@pytest.fixture
def node(node_a_with_member_b: HAProxyNode) -> HAProxyNode:
    return node_a_with_member_b


def test_client_without_certificate_is_refused(
    node: HAProxyNode, federation_ca: FederationCA, fake_gateway: FakeGateway
) -> None:
    with peer_client(federation_ca, None) as client, pytest.raises(httpx.TransportError):
        client.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert fake_gateway.function_paths() == []


def test_certificate_from_another_ca_is_refused(
    node: HAProxyNode, federation_ca: FederationCA, tmp_path: Path
) -> None:
    outsider = make_ca(tmp_path / "outsider", "outsider").issue("QmNodeB")
    with peer_client(federation_ca, outsider) as client, pytest.raises(httpx.TransportError):
        client.post(peer_url(node, "/function/figlet"), content=b"hi")


def test_federation_certificate_of_a_non_member_gets_403(
    node: HAProxyNode, federation_ca: FederationCA
) -> None:
    stranger = federation_ca.issue("QmStranger")
    with peer_client(federation_ca, stranger) as client:
        response = client.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert response.status_code == 403


def test_member_request_is_executed_locally(
    node: HAProxyNode, member_b: httpx.Client, fake_gateway: FakeGateway
) -> None:
    response = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert response.status_code == 200
    assert response.headers["DFaaS-Node-ID"] == "QmNodeA"
    assert fake_gateway.function_paths() == ["/function/figlet"]


def test_member_request_runs_locally_even_when_clients_excess_would_be_forwarded(
    node: HAProxyNode, member_b: httpx.Client, fake_gateway: FakeGateway
) -> None:
    tuning = ProxyTuning(local_limits={"figlet": 0}, weights={"figlet": {"QmNodeB": 100}})
    run(node.controller.apply, node.layout, tuning)
    response = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert response.status_code == 200
    assert fake_gateway.function_paths() == ["/function/figlet"]


def test_member_over_its_admitted_rate_gets_503_when_the_node_has_no_room(
    node: HAProxyNode, member_b: httpx.Client, fake_gateway: FakeGateway
) -> None:
    # 503, not 429: its sender's HAProxy retries a 503 on another member.
    tuning = ProxyTuning(local_limits={"figlet": 0}, admitted_rates={"figlet": {"QmNodeB": 0}})
    run(node.controller.apply, node.layout, tuning)
    response = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert (response.status_code, response.headers["DFaaS-Refused"]) == (503, "over-grant")
    assert fake_gateway.function_paths() == []


def test_member_over_its_admitted_rate_still_runs_while_the_node_has_room(
    node: HAProxyNode, member_b: httpx.Client, fake_gateway: FakeGateway
) -> None:
    # A grant is a reservation, not a cap: spare capacity is not left idle.
    tuning = ProxyTuning(local_limits={"figlet": 50}, admitted_rates={"figlet": {"QmNodeB": 0}})
    run(node.controller.apply, node.layout, tuning)
    response = member_b.post(peer_url(node, "/function/figlet"), content=b"hi")
    assert response.status_code == 200
    assert fake_gateway.function_paths() == ["/function/figlet"]


def test_unknown_function_on_the_peer_port_gets_404(
    node: HAProxyNode, member_b: httpx.Client
) -> None:
    assert member_b.post(peer_url(node, "/function/fig"), content=b"hi").status_code == 404


def test_renewed_certificate_at_the_same_path_triggers_a_reload(
    node: HAProxyNode, federation_ca: FederationCA
) -> None:
    unchanged = run(node.controller.apply, node.layout, ProxyTuning())
    federation_ca.issue("QmNodeA")  # rewrites node-a's certificate file in place
    renewed = run(node.controller.apply, node.layout, ProxyTuning())
    assert (unchanged.applied, renewed.applied) == (Applied.TUNED, Applied.RELOADED)
