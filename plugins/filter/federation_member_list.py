# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: federation_member_list
short_description: The federation's member list from the inventory
version_added: 0.1.0
author: dfaas.edge maintainers
description:
  - Returns one member per host, in the order of the hosts, as the agent role, the
    federation role and the federation PKI role take them (C(name), C(peer_id),
    C(address)), each read from that host's variables.
  - Fails naming the host and the variable where a host has no peer ID or address
    (a play that sets them skipped the host, for example because of C(--limit)),
    or where its peer ID is not one.
  - C(playbooks/federate.yml) builds its member list with it, after its first play set
    C(dfaas_federate_peer_id) and C(dfaas_federate_address) on every member.
options:
  _input:
    description: The members' inventory host names, such as C(groups['dfaas_nodes']).
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
  peer_id_var:
    description: The host variable that holds a member's libp2p peer ID.
    type: str
    default: dfaas_federate_peer_id
  address_var:
    description: The host variable that holds a member's address (IP address or DNS name).
    type: str
    default: dfaas_federate_address
"""

EXAMPLES = r"""
- name: The member list of the hosts in dfaas_nodes
  ansible.builtin.set_fact:
    dfaas_federate_members: >-
      {{ groups['dfaas_nodes'] | dfaas.edge.federation_member_list(hostvars) }}

- name: Members whose peer IDs and addresses come from the inventory
  ansible.builtin.debug:
    msg: >-
      {{ groups['edge'] | dfaas.edge.federation_member_list(hostvars,
           peer_id_var='dfaas_agent_peer_id', address_var='ansible_host') }}
"""

RETURN = r"""
_value:
  description: One member per host.
  type: list
  elements: dict
  contains:
    name:
      description: The host's inventory name.
      type: str
    peer_id:
      description: The agent's libp2p peer ID.
      type: str
    address:
      description: The address that the other members reach the host at.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dfaas.edge.plugins.plugin_utils.peer_id import is_peer_id

_UNSET = object()


def federation_member_list(
    hosts,
    hostvars,
    peer_id_var="dfaas_federate_peer_id",
    address_var="dfaas_federate_address",
):
    if isinstance(hosts, (str, bytes)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError(
            "federation_member_list expects a list of host names, got %s" % type(hosts).__name__
        )
    members = []
    for name in hosts:
        if name not in hostvars:
            raise AnsibleFilterError("federation_member_list: %r is not an inventory host" % name)
        host = hostvars[name]
        peer_id = host.get(peer_id_var, _UNSET)
        address = host.get(address_var, _UNSET)
        for variable, value in ((peer_id_var, peer_id), (address_var, address)):
            if value is _UNSET:
                raise AnsibleFilterError(
                    "federation_member_list: host %r has no %s (did the play that sets it"
                    " skip the host: --limit, unreachable?)" % (name, variable)
                )
            if not isinstance(value, str) or not value.strip():
                raise AnsibleFilterError(
                    "federation_member_list: %s of host %r must be a non-empty string, got %r"
                    % (variable, name, value)
                )
        if not is_peer_id(peer_id):
            raise AnsibleFilterError(
                "federation_member_list: %s of host %r is not a libp2p peer ID: %r"
                % (peer_id_var, name, peer_id)
            )
        members.append({"name": name, "peer_id": peer_id, "address": address})
    return members


class FilterModule:
    def filters(self):
        return {"federation_member_list": federation_member_list}
