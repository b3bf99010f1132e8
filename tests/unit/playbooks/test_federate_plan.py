# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""federate.yml's member list and bootstrap peers, from its own expressions.

federate.yml itself needs running agents; these tests take its member-list task and
its member play's variables out of the playbook file and evaluate them with a real
ansible-playbook against an inventory of fake members (local connection, peer IDs and
addresses set in the inventory where federate.yml's first play would read them).
"""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.dfaas.edge.plugins.plugin_utils.peer_id import (
    peer_id_from_raw_public_key,
)
from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    COLLECTION_ROOT,
    localhost_play,
    run_playbook,
)

FEDERATE = COLLECTION_ROOT / "playbooks" / "federate.yml"
PEER_IDS = [peer_id_from_raw_public_key(bytes([index]) * 32) for index in range(3)]


def federate_plays():
    plays = yaml.safe_load(FEDERATE.read_text())
    identity = next(play for play in plays if play["hosts"] == "localhost")
    member_task = next(
        task
        for task in identity["tasks"]
        if "dfaas_federate_members" in task.get("ansible.builtin.set_fact", {})
    )
    members = next(
        play for play in plays if "dfaas_federate_bootstrap_peers" in play.get("vars", {})
    )
    return member_task, members["vars"]


def inventory(addresses):
    hosts = {
        "node-%d" % index: {
            "ansible_connection": "local",
            "dfaas_federate_peer_id": PEER_IDS[index],
            "dfaas_federate_address": address,
        }
        for index, address in enumerate(addresses)
    }
    return yaml.safe_dump({"dfaas_nodes": {"hosts": hosts}})


def run_plan(collections_path, tmp_path, addresses):
    """Build federate.yml's member list twice, then every member's bootstrap peers."""
    member_task, member_vars = federate_plays()
    show_members = {"name": "Show", "ansible.builtin.debug": {"var": "dfaas_federate_members"}}
    show_peers = {
        "name": "Show",
        "ansible.builtin.debug": {"var": "dfaas_federate_bootstrap_peers"},
    }
    plays = [
        # As a playbook that imports federate.yml twice (upgrade.yml, molecule) does.
        localhost_play("First import", tasks=[member_task]),
        localhost_play("Second import", tasks=[member_task, show_members]),
        {
            "name": "Members",
            "hosts": "dfaas_nodes",
            "gather_facts": False,
            "vars": member_vars,
            # The node-wide overlay port, which federate.yml's roles bring through their
            # dependency; an import exposes it to the whole play, and its argument check
            # runs after the task that the report is read from.
            "tasks": [
                show_peers,
                {"ansible.builtin.import_role": {"name": "dfaas.edge.node_defaults"}},
            ],
        },
    ]
    return run_playbook(
        collections_path, tmp_path, plays, inventory=inventory(addresses), json_report=True
    )


def plan(collections_path, tmp_path, addresses):
    """{"members": member list, "peers": {node: bootstrap peers}}."""
    result = run_plan(collections_path, tmp_path, addresses)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)["plays"]
    members = report[1]["tasks"][1]["hosts"]["localhost"]["dfaas_federate_members"]
    peers = {
        node: outcome["dfaas_federate_bootstrap_peers"]
        for node, outcome in report[2]["tasks"][0]["hosts"].items()
    }
    return {"members": members, "peers": peers}


def test_member_list_holds_every_node_once_after_a_second_import(collections_path, tmp_path):
    members = plan(collections_path, tmp_path, ["10.89.0.2", "10.89.0.3", "10.89.0.4"])["members"]
    assert members == [
        {"name": "node-0", "peer_id": PEER_IDS[0], "address": "10.89.0.2"},
        {"name": "node-1", "peer_id": PEER_IDS[1], "address": "10.89.0.3"},
        {"name": "node-2", "peer_id": PEER_IDS[2], "address": "10.89.0.4"},
    ]


def test_bootstrap_peers_are_the_other_members_ipv4_multiaddrs(collections_path, tmp_path):
    peers = plan(collections_path, tmp_path, ["10.89.0.2", "10.89.0.3", "10.89.0.4"])["peers"]
    assert peers == {
        "node-0": [
            "/ip4/10.89.0.3/tcp/31600/p2p/%s" % PEER_IDS[1],
            "/ip4/10.89.0.4/tcp/31600/p2p/%s" % PEER_IDS[2],
        ],
        "node-1": [
            "/ip4/10.89.0.2/tcp/31600/p2p/%s" % PEER_IDS[0],
            "/ip4/10.89.0.4/tcp/31600/p2p/%s" % PEER_IDS[2],
        ],
        "node-2": [
            "/ip4/10.89.0.2/tcp/31600/p2p/%s" % PEER_IDS[0],
            "/ip4/10.89.0.3/tcp/31600/p2p/%s" % PEER_IDS[1],
        ],
    }


def test_bootstrap_peers_of_ipv6_and_dns_members(collections_path, tmp_path):
    peers = plan(collections_path, tmp_path, ["10.89.0.2", "[fd00::3]", "node-2.example"])["peers"]
    assert peers["node-0"] == [
        "/ip6/fd00::3/tcp/31600/p2p/%s" % PEER_IDS[1],
        "/dns/node-2.example/tcp/31600/p2p/%s" % PEER_IDS[2],
    ]


@pytest.mark.parametrize(
    ("address", "words"), [("fe80::3%eth0", "with a zone"), ("10.89.0.300", "not an IPv4")]
)
def test_bad_member_address_stops_the_play_naming_it(collections_path, tmp_path, address, words):
    result = run_plan(collections_path, tmp_path, ["10.89.0.2", address])
    assert result.returncode != 0
    assert "libp2p_multiaddr: '%s' is" % address in result.stdout
    assert words in result.stdout
