# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The member-list filter reads each host's peer ID and address, and names what is missing."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dfaas.edge.plugins.filter.federation_member_list import FilterModule

member_list = FilterModule().filters()["federation_member_list"]

PEER_A = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
PEER_B = "12D3KooWRV3FkgzWaJpPMh66PBiw9RPNfzkLqUwmCB9zUwNtGHrg"
HOSTVARS = {
    "node-a": {"dfaas_federate_peer_id": PEER_A, "dfaas_federate_address": "10.89.0.5"},
    "node-b": {"dfaas_federate_peer_id": PEER_B, "dfaas_federate_address": "10.89.0.6"},
    "localhost": {},
}


def test_members_come_in_the_order_of_the_hosts_with_name_peer_id_and_address():
    assert member_list(["node-b", "node-a"], HOSTVARS) == [
        {"name": "node-b", "peer_id": PEER_B, "address": "10.89.0.6"},
        {"name": "node-a", "peer_id": PEER_A, "address": "10.89.0.5"},
    ]


def test_the_same_hosts_give_the_same_list_every_time():
    # federate.yml imported twice in one run builds its list afresh, never onto the last one.
    assert member_list(["node-a", "node-b"], HOSTVARS) == member_list(
        ["node-a", "node-b"], HOSTVARS
    )


def test_other_variables_can_hold_the_peer_id_and_address():
    hostvars = {"n1": {"dfaas_agent_peer_id": PEER_A, "ansible_host": "n1.example"}}
    members = member_list(
        ["n1"], hostvars, peer_id_var="dfaas_agent_peer_id", address_var="ansible_host"
    )
    assert members == [{"name": "n1", "peer_id": PEER_A, "address": "n1.example"}]


def test_no_hosts_give_no_members():
    assert member_list([], HOSTVARS) == []


def test_host_without_a_peer_id_fails_naming_the_host_and_the_variable():
    with pytest.raises(AnsibleFilterError, match="host 'localhost' has no dfaas_federate_peer_id"):
        member_list(["node-a", "localhost"], HOSTVARS)


def test_host_without_an_address_fails_naming_the_variable():
    hostvars = {"node-a": {"dfaas_federate_peer_id": PEER_A}}
    with pytest.raises(AnsibleFilterError, match="'node-a' has no dfaas_federate_address"):
        member_list(["node-a"], hostvars)


def test_host_outside_the_inventory_fails_naming_it():
    with pytest.raises(AnsibleFilterError, match="'node-z' is not an inventory host"):
        member_list(["node-z"], HOSTVARS)


@pytest.mark.parametrize(
    ("peer_id", "words"),
    [
        ("", "must be a non-empty string"),
        (None, "must be a non-empty string"),
        ("node-a", "not a libp2p peer ID"),
    ],
)
def test_bad_peer_id_fails_naming_the_host(peer_id, words):
    hostvars = {"node-a": {"dfaas_federate_peer_id": peer_id, "dfaas_federate_address": "10.0.0.1"}}
    with pytest.raises(
        AnsibleFilterError, match="dfaas_federate_peer_id of host 'node-a' .*%s" % words
    ):
        member_list(["node-a"], hostvars)


def test_host_names_as_one_string_fail():
    with pytest.raises(AnsibleFilterError, match="expects a list of host names, got str"):
        member_list("node-a", HOSTVARS)
