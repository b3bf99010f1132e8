# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The federation_info module and the federation_members lookup, run by ansible against two
real agents (``dfaas-agent run``, strategy all_local) that form a federation on loopback.

Each node has its own loopback address, its real ``dfaas-gateway`` with one function
deployed and its real HAProxy in master-worker mode, started on a placeholder
configuration that the agent replaces with its own (docs/agent.md). Federation TLS files
come from a throwaway CA made here. No Prometheus runs: all_local does not need it.
"""

from __future__ import annotations

import datetime
import json
import socket
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.dfaas.edge.tests.integration.services import (
    Service,
    free_port,
    http_ok,
    require,
    wait_until,
)

pytestmark = pytest.mark.component

Runner = Callable[..., dict[str, Any]]
FUNCTION = "shasum"
ADDRESSES = {"node-a": "127.0.0.41", "node-b": "127.0.0.42"}
STRANGER = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"


# A worker needs one listener to start; the agent's first iteration replaces this file.
PLACEHOLDER_HAPROXY_CONFIG = """\
global
    stats socket {admin_socket} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend placeholder
    bind {address}:{port}
    http-request return status 200
"""


def free_port_on(addresses: list[str]) -> int:
    """A TCP port free on every one of ``addresses`` (the federation shares its ports)."""
    for _attempt in range(50):
        port = free_port()
        try:
            for address in addresses:
                with socket.socket() as probe:
                    probe.bind((address, port))
        except OSError:
            continue
        return port
    pytest.fail(f"no TCP port free on all of {addresses}")


@dataclass
class AgentNode:
    name: str
    address: str
    directory: Path
    peer_id: str
    api_port: int
    overlay_port: int
    gateway_port: int

    @property
    def agent_url(self) -> str:
        return f"http://{self.address}:{self.api_port}"

    @property
    def overlay_address(self) -> str:
        return f"/ip4/{self.address}/tcp/{self.overlay_port}/p2p/{self.peer_id}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.address}:{self.gateway_port}"


def _peer_id(agent: str, directory: Path) -> str:
    """Create the node key with ``dfaas-agent identity`` and return the peer ID it prints."""
    config = directory / "identity.yml"
    config.write_text(
        yaml.safe_dump(
            {"strategy": "all_local", "private_key_file": str(directory / "private_key.pem")}
        )
    )
    done = subprocess.run(
        [agent, "--config", str(config), "identity"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_federation_tls(directory: Path, nodes: list[AgentNode]) -> Path:
    """A throwaway CA and, per node, its certificate (CN = peer ID) and key in one PEM file."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("integration test CA"))
        .issuer_name(_name("integration test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "federation-ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for node in nodes:
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(node.peer_id))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(node.peer_id)]), critical=False
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        (node.directory / "node.pem").write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return ca_file


def _agent_config(
    node: AgentNode, nodes: list[AgentNode], ca_file: Path, haproxy: str, shared: dict[str, int]
) -> Path:
    others = [other for other in nodes if other is not node]
    config = node.directory / "agent.yml"
    document = {
        "node_name": node.name,
        "node_ip": node.address,
        "strategy": "all_local",
        "period": "1s",
        "listen": [f"/ip4/{node.address}/tcp/{node.overlay_port}"],
        "private_key_file": str(node.directory / "private_key.pem"),
        "bootstrap_peers": [other.overlay_address for other in others],
        "bootstrap_backoff": "0.5s",
        "bootstrap_backoff_max": "2s",
        "kademlia_enabled": False,
        "members": [
            {"name": member.name, "peer_id": member.peer_id, "address": member.address}
            for member in nodes
        ],
        "http_listen": f"{node.address}:{node.api_port}",
        "gateway_url": node.gateway_url,
        # Nothing listens there: all_local does not need CPU and RAM figures.
        "prometheus_url": f"http://{node.address}:{free_port_on([node.address])}",
        "haproxy": {
            "binary": haproxy,
            "master_socket": str(node.directory / "master.sock"),
            "admin_socket": str(node.directory / "admin.sock"),
            "rendered_config_file": str(node.directory / "haproxy.cfg"),
            "state_dir": str(node.directory / "haproxy-state"),
            "bind_address": node.address,
            **shared,
            "peer_ca_file": str(ca_file),
            "peer_certificate_file": str(node.directory / "node.pem"),
        },
    }
    config.write_text(yaml.safe_dump(document))
    return config


def _start_haproxy(node: AgentNode, haproxy: str, services: list[Service]) -> None:
    admin_socket = node.directory / "admin.sock"
    (node.directory / "haproxy.cfg").write_text(
        PLACEHOLDER_HAPROXY_CONFIG.format(
            admin_socket=admin_socket, address=node.address, port=free_port_on([node.address])
        )
    )
    argv = [haproxy, "-W", "-S", str(node.directory / "master.sock")]
    argv += ["-f", str(node.directory / "haproxy.cfg")]
    service = Service(argv, node.directory / "haproxy.log")
    services.append(service)
    wait_until(
        lambda: service.check_alive() and admin_socket.exists(), f"{node.name} HAProxy socket"
    )


def _deploy(node: AgentNode) -> bool:
    request = urllib.request.Request(
        f"{node.gateway_url}/system/functions",
        data=json.dumps({"service": FUNCTION, "image": FUNCTION}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status) in (200, 202)


def _status(node: AgentNode) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{node.agent_url}/status", timeout=2) as response:
            document: dict[str, Any] = json.loads(response.read())
    except OSError:
        return None
    return document


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, AgentNode]]:
    """Two agents with their gateways, members of one federation; stopped after the module."""
    agent, gateway = require("dfaas-agent"), require("dfaas-gateway")
    haproxy = require("haproxy")
    work = tmp_path_factory.mktemp("federation")
    addresses = list(ADDRESSES.values())
    shared = {role: free_port_on(addresses) for role in ("public_port", "peer_port")}
    shared["exporter_port"] = free_port_on(addresses)
    nodes = []
    for name, address in ADDRESSES.items():
        directory = work / name
        directory.mkdir()
        ports = {
            role: free_port_on([address]) for role in ("api_port", "overlay_port", "gateway_port")
        }
        nodes.append(AgentNode(name, address, directory, _peer_id(agent, directory), **ports))
    ca_file = _write_federation_tls(work, nodes)
    services: list[Service] = []
    try:
        for node in nodes:
            gateway_argv = [gateway, "--listen", f"{node.address}:{node.gateway_port}"]
            gateway_argv += ["--state-file", str(node.directory / "gateway-state.json")]
            gateway_argv += ["--node-name", node.name, "--cpu-workers", "1"]
            services.append(Service(gateway_argv, node.directory / "gateway.log"))
            wait_until(
                lambda node=node: http_ok(f"{node.gateway_url}/healthz"), f"{node.name} gateway"
            )
            _deploy(node)
            _start_haproxy(node, haproxy, services)
        for node in nodes:
            config = _agent_config(node, nodes, ca_file, haproxy, shared)
            argv = [agent, "--config", str(config), "run"]
            services.append(Service(argv, node.directory / "agent.log"))
        for node in nodes:
            wait_until(
                lambda node=node: (
                    all(s.check_alive() for s in services)
                    and (_status(node) or {}).get("last_iteration") is not None
                ),
                f"{node.name} agent's first iteration",
                timeout=30,
            )
        yield {node.name: node for node in nodes}
    finally:
        for service in reversed(services):
            service.stop()


def test_federation_info_waits_until_the_other_member_is_connected(
    ansible: Runner, federation: dict[str, AgentNode]
) -> None:
    node_a, node_b = federation["node-a"], federation["node-b"]

    result = ansible(
        "dfaas.edge.federation_info",
        {"agent_url": node_a.agent_url, "wait_for_members": [node_b.peer_id], "wait_timeout": 30},
    )

    assert not result.get("failed"), result.get("msg")
    assert (result["peer_id"], result["node_name"], result["strategy"]) == (
        node_a.peer_id,
        "node-a",
        "all_local",
    )
    assert node_b.peer_id in result["members"]["connected"]
    assert result["members"]["configured"] == {node_a.peer_id: "node-a", node_b.peer_id: "node-b"}


def test_federation_info_shows_the_function_of_the_real_gateway(
    ansible: Runner, federation: dict[str, AgentNode]
) -> None:
    result = ansible("dfaas.edge.federation_info", {"agent_url": federation["node-b"].agent_url})

    assert not result.get("failed"), result.get("msg")
    assert FUNCTION in result["functions"]
    assert result["functions"][FUNCTION]["weights"] == {}


def test_federation_info_waits_until_the_other_member_is_in_the_haproxy_layout(
    ansible: Runner, federation: dict[str, AgentNode]
) -> None:
    node_a, node_b = federation["node-a"], federation["node-b"]

    result = ansible(
        "dfaas.edge.federation_info",
        {
            "agent_url": node_b.agent_url,
            "wait_for_members": 1,
            "member_state": "in_layout",
            "wait_timeout": 30,
        },
    )

    assert not result.get("failed"), result.get("msg")
    assert result["members"]["in_layout"] == [node_a.peer_id]
    assert [m["name"] for m in result["member_table"] if m["in_layout"]] == ["node-a"]


def test_federation_info_reports_an_agent_with_its_haproxy_and_gateway_as_healthy(
    ansible: Runner, federation: dict[str, AgentNode]
) -> None:
    node_a = federation["node-a"]
    ansible(
        "dfaas.edge.federation_info",
        {"agent_url": node_a.agent_url, "wait_for_members": 1, "member_state": "in_layout"},
    )

    result = ansible("dfaas.edge.federation_info", {"agent_url": node_a.agent_url})

    assert (result["healthy"], result["health_reasons"]) == (True, [])
    assert result["last_iteration"]["haproxy"] in ("tuned", "reloaded")


def test_federation_info_wait_fails_naming_a_peer_that_never_joins(
    ansible: Runner, federation: dict[str, AgentNode]
) -> None:
    result = ansible(
        "dfaas.edge.federation_info",
        {
            "agent_url": federation["node-a"].agent_url,
            "wait_for_members": [STRANGER],
            "wait_timeout": 1,
            "wait_interval": 0.5,
        },
    )

    assert result["failed"] is True
    assert f"not connected: {STRANGER} (not a configured member)" in result["msg"]


def test_federation_members_lookup_shows_each_agent_connected_to_the_other(
    ansible: Runner, federation: dict[str, AgentNode]
) -> None:
    node_a, node_b = federation["node-a"], federation["node-b"]
    for node in (node_a, node_b):
        wait_until(
            lambda node=node: (
                len((_status(node) or {}).get("members", {}).get("connected", [])) == 1
            ),
            f"{node.name} connected to the other member",
            timeout=30,
        )

    result = ansible(
        "ansible.builtin.debug",
        {
            "msg": "{{ query('dfaas.edge.federation_members', '"
            + node_a.agent_url
            + "', '"
            + node_b.agent_url
            + "', state='connected') }}"
        },
    )

    assert not result.get("failed"), result.get("msg")
    assert [(m["seen_by"], m["peer_id"]) for m in result["msg"]] == [
        (node_a.peer_id, node_b.peer_id),
        (node_b.peer_id, node_a.peer_id),
    ]
