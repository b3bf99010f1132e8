# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: federation_members
short_description: The members of a DFaaS federation as one or more agents see them
version_added: 0.1.0
author: dfaas.edge maintainers (@dfaas-edge)
description:
  - For each term, the base URL of one agent's HTTP API, reads that agent's C(/status)
    and returns one entry per configured member with its state as that agent sees it,
    agents in the order of the terms, members by peer ID.
  - Without terms, asks the single agent given by O(url).
options:
  _terms:
    description: Agent API base URLs (as several terms or one list).
    type: list
    elements: str
  state:
    description:
      - Return only the members in this state; V(configured) returns every member.
      - V(connected) on the overlay, V(fresh) (announced recently) or V(in_layout)
        (the agent forwards to it through HAProxy).
    type: str
    choices: [configured, connected, fresh, in_layout]
    default: configured
  include_self:
    description: Whether the asking agent's own entry is returned.
    type: bool
    default: false
extends_documentation_fragment:
  - dfaas.edge.agent_api.lookup
"""

EXAMPLES = r"""
- name: Members this node's agent is connected to
  ansible.builtin.debug:
    msg: "{{ query('dfaas.edge.federation_members', state='connected') | map(attribute='name') }}"

- name: Every agent's view (URLs from the inventory)
  ansible.builtin.debug:
    msg: "{{ query('dfaas.edge.federation_members',
                   groups['dfaas'] | map('extract', hostvars, 'dfaas_agent_url') | list) }}"
"""

RETURN = r"""
_list:
  description: One entry per member and per asked agent.
  type: list
  elements: dict
  contains:
    peer_id:
      description: The member's peer ID.
      type: str
    name:
      description: The member's name in the agent's member list.
      type: str
    self:
      description: Whether the entry is the asked agent itself.
      type: bool
    connected:
      description: Whether the agent has an overlay connection to the member.
      type: bool
    fresh:
      description: Whether the member's last announcement is recent.
      type: bool
    in_layout:
      description: Whether the member is a server in the agent's HAProxy layout.
      type: bool
    endpoint:
      description: The agent API URL that was asked.
      type: str
    seen_by:
      description: Peer ID of the agent that was asked.
      type: str
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.dfaas.edge.plugins.module_utils.agent_api import (
    AgentApiClient,
    AgentApiError,
    member_table,
)
from ansible_collections.dfaas.edge.plugins.plugin_utils.endpoints import endpoints_from_terms


class LookupModule(LookupBase):
    def run(
        self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        self.set_options(var_options=variables, direct=kwargs)
        state = self.get_option("state")
        include_self = self.get_option("include_self")
        members: list[dict[str, Any]] = []
        for endpoint in endpoints_from_terms(terms) or [self.get_option("url")]:
            for member in self._members(endpoint):
                if member["self"] and not include_self:
                    continue
                if state == "configured" or member[state]:
                    members.append(member)
        return members

    def _members(self, endpoint: str) -> list[dict[str, Any]]:
        try:
            client = AgentApiClient(
                url=endpoint,
                timeout=self.get_option("timeout"),
                validate_certs=self.get_option("validate_certs"),
                ca_path=self.get_option("ca_path"),
            )
            status = client.status()
        except AgentApiError as exc:
            raise AnsibleLookupError(str(exc)) from exc
        return [
            {**member, "endpoint": endpoint, "seen_by": status["peer_id"]}
            for member in member_table(status)
        ]
