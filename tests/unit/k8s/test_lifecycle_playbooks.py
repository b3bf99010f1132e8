# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""reset.yml and upgrade.yml refuse to touch a node when they should.

Both run for real against localhost (an inventory whose only node is this
machine, reached with the local connection) and must stop before any task
that changes something.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from k8s_helpers import COLLECTION_ROOT, PLAY_TIMEOUT_S


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_playbook(collections_path, tmp_path, playbook, *extra_args):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "dfaas_nodes:\n  hosts:\n    localhost:\n"
        "      ansible_connection: local\n      ansible_python_interpreter: %s\n" % sys.executable
    )
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    command = [sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory)]
    command += [str(COLLECTION_ROOT / "playbooks" / playbook), *extra_args]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=PLAY_TIMEOUT_S, check=False
    )


def test_reset_without_confirmation_stops_before_touching_the_node(collections_path, tmp_path):
    result = run_playbook(collections_path, tmp_path, "reset.yml")
    assert result.returncode != 0
    assert "dfaas_reset_confirm=yes" in result.stdout
    assert "Stop and disable" not in result.stdout


def test_upgrade_stops_before_any_change_when_a_node_is_unhealthy(collections_path, tmp_path):
    # Nothing listens on these ports: the node's agent and gateway are "down".
    ports = ["-e", "dfaas_agent_http_port=%d" % free_port()]
    ports += ["-e", "dfaas_openfaas_gateway_node_port=%d" % free_port()]
    result = run_playbook(collections_path, tmp_path, "upgrade.yml", *ports)
    assert result.returncode != 0
    assert "Ask the agent and the FaaS gateway for their health" in result.stdout
    assert "Upgrade k3s and the FaaS provider one node at a time" not in result.stdout
