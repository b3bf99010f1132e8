# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""reset.yml and upgrade.yml refuse to touch a node when they should.

Both run for real against localhost (an inventory whose only node is this
machine, reached with the local connection) and must stop before any task
that changes something.
"""

from __future__ import annotations

import socket

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    COLLECTION_ROOT,
    run_playbook,
)

INVENTORY = "dfaas_nodes:\n  hosts:\n    localhost:\n      ansible_connection: local\n"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_lifecycle_playbook(collections_path, tmp_path, playbook, *extra_args):
    path = COLLECTION_ROOT / "playbooks" / playbook
    return run_playbook(collections_path, tmp_path, path, inventory=INVENTORY, args=extra_args)


def test_reset_without_confirmation_stops_before_touching_the_node(collections_path, tmp_path):
    result = run_lifecycle_playbook(collections_path, tmp_path, "reset.yml")
    assert result.returncode != 0
    assert "dfaas_reset_confirm=yes" in result.stdout
    assert "Stop and disable" not in result.stdout


def test_upgrade_stops_before_any_change_when_a_node_is_unhealthy(collections_path, tmp_path):
    # Nothing listens on these ports: the node's agent and gateway are "down".
    ports = ["-e", "dfaas_agent_http_port=%d" % free_port()]
    ports += ["-e", "dfaas_openfaas_gateway_node_port=%d" % free_port()]
    result = run_lifecycle_playbook(collections_path, tmp_path, "upgrade.yml", *ports)
    assert result.returncode != 0
    assert "Ask the agent and the FaaS gateway for their health" in result.stdout
    assert "Upgrade k3s and the FaaS provider one node at a time" not in result.stdout
