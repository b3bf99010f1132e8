# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The federation_info module and the federation_members lookup, run by ansible against two
real agents (``dfaas-agent run``, strategy all_local) that form a federation on loopback.

The agent's shared launcher (``dfaas_testing``, the same one that the agent's own
tests and the benchmarks use) starts each node on its own loopback address: its real
``dfaas-gateway`` with one function deployed, its real HAProxy in master-worker mode on
a bare configuration that the agent replaces with its own (docs/agent.md), and the
agent, with federation TLS files from a throwaway CA. No Prometheus runs: all_local
does not need it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from dfaas_testing import Node, start_federation

from ansible_collections.dfaas.edge.tests.integration.services import wait_until

pytestmark = pytest.mark.component

Runner = Callable[..., dict[str, Any]]
FUNCTION = "shasum"
STRANGER = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    """Two agents with their gateways, members of one federation, each past its first
    control iteration; every process is stopped after the module."""
    work: Path = tmp_path_factory.mktemp("federation")
    started = start_federation(
        work,
        {"node-a": None, "node-b": None},  # no dfaas.maxrate label: all_local ignores it
        function=FUNCTION,
        strategy="all_local",
        first_address="127.0.0.41",
        ready="first_iteration",
    )
    with started:
        yield {node.name: node for node in started.nodes}


def test_federation_info_waits_until_the_other_member_is_connected(
    ansible: Runner, federation: dict[str, Node]
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
    ansible: Runner, federation: dict[str, Node]
) -> None:
    result = ansible("dfaas.edge.federation_info", {"agent_url": federation["node-b"].agent_url})

    assert not result.get("failed"), result.get("msg")
    assert FUNCTION in result["functions"]
    assert result["functions"][FUNCTION]["weights"] == {}


def test_federation_info_waits_until_the_other_member_is_in_the_haproxy_layout(
    ansible: Runner, federation: dict[str, Node]
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
    ansible: Runner, federation: dict[str, Node]
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
    ansible: Runner, federation: dict[str, Node]
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
    ansible: Runner, federation: dict[str, Node]
) -> None:
    node_a, node_b = federation["node-a"], federation["node-b"]
    for node in (node_a, node_b):
        wait_until(
            lambda node=node: (
                len((node.status() or {}).get("members", {}).get("connected", [])) == 1
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
