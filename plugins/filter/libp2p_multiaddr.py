# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: libp2p_multiaddr
short_description: The libp2p TCP multiaddr of a federation member
version_added: 0.1.0
author: dfaas.edge maintainers
description:
  - Returns the multiaddr that an agent dials to reach a member's overlay port, such
    as C(/ip4/10.0.0.5/tcp/31600/p2p/12D3KooW...).
  - An IPv4 address gives C(/ip4/), an IPv6 address C(/ip6/) (with or without
    brackets, written in its compressed form), a DNS name C(/dns/) (the agent
    resolves it when it dials; where the prereq firewall is on, members still need
    IP addresses).
  - Fails naming the problem on anything else, including an IPv6 address with a zone
    (C(fe80::1%eth0)), because a link-local address reaches one link only.
options:
  _input:
    description:
      - The member's address (an IPv4 or IPv6 address or a DNS name), or a member as
        in the federation's member list, a dictionary with C(address) and C(peer_id).
    type: raw
    required: true
  port:
    description: The TCP port of the member's overlay (the node-wide C(dfaas_node_overlay_port)).
    type: int
    required: true
  peer_id:
    description:
      - The member's peer ID, which ends the multiaddr with C(/p2p/<peer ID>).
      - Taken from the member when the input is a member; not allowed then.
      - Without it (and with an address as input) the multiaddr ends with the port.
    type: str
"""

EXAMPLES = r"""
- name: Bootstrap peers of this node, every other member's multiaddr
  ansible.builtin.set_fact:
    bootstrap_peers: >-
      {{ members | rejectattr('name', 'equalto', inventory_hostname)
         | map('dfaas.edge.libp2p_multiaddr', 31600) | list }}

- name: One member's multiaddr from its address and peer ID
  ansible.builtin.debug:
    msg: "{{ '2001:db8::5' | dfaas.edge.libp2p_multiaddr(31600, peer_id=member_peer_id) }}"
"""

RETURN = r"""
_value:
  description: The multiaddr.
  type: str
  sample: /ip4/10.0.0.5/tcp/31600/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.dfaas.edge.plugins.plugin_utils.multiaddr import (
    MultiaddrError,
    tcp_multiaddr,
)


def libp2p_multiaddr(member, port, peer_id=None):
    if isinstance(member, Mapping):
        if peer_id is not None:
            raise AnsibleFilterError(
                "libp2p_multiaddr: give peer_id with an address, not with a member"
            )
        missing = [key for key in ("address", "peer_id") if key not in member]
        if missing:
            raise AnsibleFilterError(
                "libp2p_multiaddr: the member %r has no %s" % (member, " or ".join(missing))
            )
        address, peer_id = member["address"], member["peer_id"]
    else:
        address = member
    if not isinstance(address, str):
        raise AnsibleFilterError(
            "libp2p_multiaddr expects an address as a string, got %s" % type(address).__name__
        )
    try:
        return tcp_multiaddr(address, port, peer_id)
    except MultiaddrError as exc:
        raise AnsibleFilterError("libp2p_multiaddr: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"libp2p_multiaddr": libp2p_multiaddr}
