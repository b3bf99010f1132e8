# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: libp2p_peer_id
short_description: Derive a libp2p peer ID from an Ed25519 key
version_added: 0.1.0
author: dfaas.edge maintainers
description:
  - Returns the libp2p peer ID (C(12D3KooW...)) of an Ed25519 key, computed the way
    libp2p does it (identity multihash of the protobuf-encoded public key, base58btc).
  - Lets a playbook build the federation member list on the controller from the
    agents' public keys, without asking the agents.
options:
  _input:
    description:
      - The key. A PEM public key (C(PUBLIC KEY)), a PEM PKCS#8 private key
        (C(PRIVATE KEY)), or the raw 32-byte public key in hex or base64.
    type: str
    required: true
requirements:
  - cryptography (for PEM input)
"""

EXAMPLES = r"""
- name: Peer ID of the agent key read from a node
  ansible.builtin.debug:
    msg: "{{ agent_public_key_pem | dfaas.edge.libp2p_peer_id }}"

- name: Member list built on the controller
  ansible.builtin.set_fact:
    dfaas_members: >-
      {{ groups['dfaas_nodes']
         | map('extract', hostvars, 'dfaas_agent_public_key')
         | map('dfaas.edge.libp2p_peer_id') | list }}
"""

RETURN = r"""
_value:
  description: The peer ID in base58btc, as libp2p prints it.
  type: str
  sample: 12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.dfaas.edge.plugins.plugin_utils.peer_id import PeerIdError, peer_id


def libp2p_peer_id(key):
    if not isinstance(key, (str, bytes)):
        raise AnsibleFilterError(
            "libp2p_peer_id expects a key as a string, got %s" % type(key).__name__
        )
    try:
        return peer_id(to_text(key))
    except PeerIdError as exc:
        raise AnsibleFilterError("libp2p_peer_id: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"libp2p_peer_id": libp2p_peer_id}
