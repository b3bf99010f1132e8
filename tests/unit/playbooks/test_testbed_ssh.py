# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""testbed.yml's SSH mode: its variable check, and the inventory entries it writes.

The containers themselves are exercised by `make testbed-ssh`; these tests run the
playbook's own check and its inventory task with a real ansible-playbook on localhost.
"""

from __future__ import annotations

import json

import yaml

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    COLLECTION_ROOT,
    localhost_play,
    run_playbook,
)

TESTBED = COLLECTION_ROOT / "playbooks" / "testbed.yml"
TESTBED_SSH = COLLECTION_ROOT / "playbooks" / "tasks" / "testbed_ssh.yml"


def test_an_unknown_connection_stops_the_testbed_naming_the_variable(collections_path, tmp_path):
    result = run_playbook(
        collections_path,
        tmp_path,
        TESTBED,
        extra_vars={"dfaas_testbed_connection": "telnet"},
        args=["-i", str(COLLECTION_ROOT / "inventories" / "testbed")],
    )
    assert result.returncode != 0
    assert "dfaas_testbed_connection podman or ssh (got telnet)" in result.stdout
    # It stopped at the check, before any container task ran.
    assert "The node image exists" not in result.stdout


def _connection_task():
    tasks = yaml.safe_load(TESTBED_SSH.read_text())
    return next(task for task in tasks if task["name"].startswith("Each node's address"))


def test_nodes_take_openssh_and_paramiko_in_turn(collections_path, tmp_path):
    show = {"name": "Show", "ansible.builtin.debug": {"var": "dfaas_testbed_hosts"}}
    play = localhost_play(
        "Inventory entries",
        vars={
            "dfaas_testbed_nodes": 3,
            "dfaas_testbed_prefix": "tb",
            "dfaas_testbed_subnet_prefix": "10.89.70",
            "dfaas_testbed_ssh_connections": ["ssh", "paramiko"],
            "dfaas_testbed_hosts": {
                f"tb-{index}": {"dfaas_testbed_maxrate": 10 * index} for index in (1, 2, 3)
            },
        },
        tasks=[_connection_task(), show],
    )
    result = run_playbook(collections_path, tmp_path, [play], json_report=True)
    assert result.returncode == 0, result.stdout + result.stderr
    hosts = json.loads(result.stdout)["plays"][0]["tasks"][1]["hosts"]["localhost"]
    assert hosts["dfaas_testbed_hosts"] == {
        "tb-1": {
            "dfaas_testbed_maxrate": 10,
            "ansible_host": "10.89.70.11",
            "ansible_connection": "ssh",
        },
        # paramiko reads known hosts from ~/.ssh/known_hosts only: no check of the
        # testbed's ever-new keys there; OpenSSH checks them against the testbed's file.
        "tb-2": {
            "dfaas_testbed_maxrate": 20,
            "ansible_host": "10.89.70.12",
            "ansible_connection": "paramiko",
            "ansible_host_key_checking": False,
        },
        "tb-3": {
            "dfaas_testbed_maxrate": 30,
            "ansible_host": "10.89.70.13",
            "ansible_connection": "ssh",
        },
    }
