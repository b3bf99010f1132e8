# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The multiaddr filter writes what libp2p parses back unchanged, and refuses the rest."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

# The reference implementation: the multiaddr package the agent's libp2p parses with.
from multiaddr import Multiaddr

from ansible_collections.dfaas.edge.plugins.filter.libp2p_multiaddr import FilterModule

multiaddr_filter = FilterModule().filters()["libp2p_multiaddr"]

PEER_ID = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
RSA_PEER_ID = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.89.0.5", "/ip4/10.89.0.5/tcp/31600/p2p/" + PEER_ID),
        ("2001:db8::5", "/ip6/2001:db8::5/tcp/31600/p2p/" + PEER_ID),
        ("[2001:db8::5]", "/ip6/2001:db8::5/tcp/31600/p2p/" + PEER_ID),
        ("2001:0db8:0000:0000:0000:0000:0000:0005", "/ip6/2001:db8::5/tcp/31600/p2p/" + PEER_ID),
        ("node-b.example.org", "/dns/node-b.example.org/tcp/31600/p2p/" + PEER_ID),
        ("node-b.example.org.", "/dns/node-b.example.org/tcp/31600/p2p/" + PEER_ID),
        ("node-b", "/dns/node-b/tcp/31600/p2p/" + PEER_ID),
    ],
)
def test_address_gives_the_multiaddr_that_libp2p_parses_unchanged(address, expected):
    result = multiaddr_filter(address, 31600, peer_id=PEER_ID)
    assert result == expected
    assert str(Multiaddr(result)) == result


def test_ipv4_multiaddr_is_the_address_behind_ip4_as_federate_wrote_it():
    # federate.yml wrote '/ip4/' ~ address ~ '/tcp/' ~ port ~ '/p2p/' ~ peer ID before.
    for address in ["10.89.0.5", "192.168.1.20", "172.16.0.1"]:
        expected = "/ip4/" + address + "/tcp/" + "31600" + "/p2p/" + PEER_ID
        assert multiaddr_filter(address, "31600", peer_id=PEER_ID) == expected


def test_member_gives_its_address_and_peer_id():
    member = {"name": "node-b", "peer_id": RSA_PEER_ID, "address": "10.89.0.6"}
    assert multiaddr_filter(member, 4001) == "/ip4/10.89.0.6/tcp/4001/p2p/" + RSA_PEER_ID


def test_without_peer_id_the_multiaddr_ends_with_the_port():
    assert multiaddr_filter("10.89.0.5", 31600) == "/ip4/10.89.0.5/tcp/31600"


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("fe80::1%eth0", "with a zone"),
        ("[fe80::1%25eth0]", "with a zone"),
        ("2001:db8::5::1", "not an IPv6 address"),
        ("[10.89.0.5]", "not an IPv6 address"),
        ("10.89.0.256", "not an IPv4 address"),
        ("010.089.000.005", "not an IPv4 address"),
        ("node_b.example", "neither an IP address nor a DNS name"),
        ("-node.example", "neither an IP address nor a DNS name"),
        ("node..example", "neither an IP address nor a DNS name"),
        ("http://node-b", "not an IPv6 address"),
        ("", "the address is empty"),
    ],
)
def test_bad_address_fails_naming_the_problem(address, words):
    with pytest.raises(AnsibleFilterError, match="libp2p_multiaddr: .*%s" % words):
        multiaddr_filter(address, 31600, peer_id=PEER_ID)


@pytest.mark.parametrize("port", [0, 65536, -1, "31600x", True, None, 1.5])
def test_bad_port_fails_naming_the_port(port):
    with pytest.raises(AnsibleFilterError, match="libp2p_multiaddr: the port must be"):
        multiaddr_filter("10.89.0.5", port, peer_id=PEER_ID)


@pytest.mark.parametrize("peer_id", ["", "node-b", PEER_ID[:-1], PEER_ID + "0", 42])
def test_bad_peer_id_fails_naming_it(peer_id):
    with pytest.raises(AnsibleFilterError, match="is not a libp2p peer ID"):
        multiaddr_filter("10.89.0.5", 31600, peer_id=peer_id)


def test_member_without_a_peer_id_fails_naming_the_key():
    with pytest.raises(AnsibleFilterError, match="has no peer_id"):
        multiaddr_filter({"name": "node-b", "address": "10.89.0.6"}, 31600)


def test_member_and_a_peer_id_together_fail():
    member = {"name": "node-b", "peer_id": PEER_ID, "address": "10.89.0.6"}
    with pytest.raises(AnsibleFilterError, match="not with a member"):
        multiaddr_filter(member, 31600, peer_id=PEER_ID)


def test_address_that_is_not_a_string_fails_naming_its_type():
    with pytest.raises(AnsibleFilterError, match="expects an address as a string, got list"):
        multiaddr_filter(["10.89.0.5"], 31600)
