#!/usr/bin/python
# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: federation_info
short_description: The DFaaS agent's view of its federation, from its HTTP API
version_added: 0.1.0
author: dfaas.edge maintainers (@dfaas-edge)
description:
  - Reads the agent's C(/status) and C(/healthz), that is its identity (peer ID, node name), the
    configured members and which of them are connected, fresh (announced recently) and
    in the HAProxy layout, the strategy, per function the weights, limits and last
    observed rates, and whether the agent is healthy with one reason per problem.
  - With O(wait_for_members), asks again until the agent lists the wanted members, so a
    playbook can wait for the federation to form; fails naming who is missing.
  - Every option is checked before the agent is asked (O(agent_url) V(http) or V(https),
    timeouts and intervals in range, O(ca_path) an existing file).
  - Changes nothing.
options:
  wait_for_members:
    description:
      - Peer IDs of the members to wait for, or a count of members (other than the agent
        itself) to wait for.
      - Not set means no wait, an unhealthy or unreachable agent is reported at once.
    type: raw
  member_state:
    description:
      - What a member must be for O(wait_for_members) to count it.
      - V(connected) on the overlay, V(fresh) (its announcement is recent), V(alive)
        (connected or fresh, which is what forwarding to it needs) or V(in_layout) (its
        HAProxy has a server for it; every configured member has one, alive or not).
    type: str
    choices: [connected, fresh, alive, in_layout]
    default: connected
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for_members) before failing.
    type: float
    default: 60
  wait_interval:
    description:
      - Seconds between two reads of C(/status) while waiting.
    type: float
    default: 1
extends_documentation_fragment:
  - dfaas.edge.agent_api
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing.
seealso:
  - plugin: dfaas.edge.federation_members
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: What the agent sees
  dfaas.edge.federation_info:
    agent_url: http://127.0.0.1:8080
  register: federation

- name: Wait until this node is connected to two other members
  dfaas.edge.federation_info:
    wait_for_members: 2
    wait_timeout: 120

- name: Wait until node-b and node-c are in this node's HAProxy layout
  dfaas.edge.federation_info:
    wait_for_members: "{{ groups['dfaas'] | difference([inventory_hostname])
                          | map('extract', hostvars, 'dfaas_peer_id') | list }}"
    member_state: in_layout

- name: Stop when the agent is unhealthy
  ansible.builtin.assert:
    that: federation.healthy
    fail_msg: "{{ federation.health_reasons | join('; ') }}"
"""

RETURN = r"""
peer_id:
  description: The agent's libp2p peer ID.
  returned: success
  type: str
  sample: 12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA
node_name:
  description: The agent's node name (V(null) when not configured).
  returned: success
  type: str
  sample: node-a
strategy:
  description: The load-sharing strategy the agent runs.
  returned: success
  type: str
  sample: recalc
period_s:
  description: Seconds between two control iterations.
  returned: success
  type: float
  sample: 5.0
healthy:
  description: Whether C(/healthz) answered ok.
  returned: success
  type: bool
  sample: false
health_reasons:
  description: One line per reason the agent is unhealthy (empty when healthy).
  returned: success
  type: list
  elements: str
  sample: ["haproxy_stats: cannot read counters"]
members:
  description:
    - Configured members (peer ID to name) and the peer IDs that are connected, fresh
      and in the HAProxy layout, as the agent's C(/status) gives them.
  returned: success
  type: dict
  sample:
    configured: {"12D3KooWA...": node-a, "12D3KooWB...": node-b}
    connected: ["12D3KooWB..."]
    fresh: ["12D3KooWB..."]
    in_layout: ["12D3KooWB..."]
member_table:
  description: One entry per configured member with its state as booleans.
  returned: success
  type: list
  elements: dict
  sample:
    - peer_id: "12D3KooWB..."
      name: node-b
      self: false
      connected: true
      fresh: true
      alive: true
      in_layout: true
functions:
  description:
    - Per function its C(maxrate), the last C(observed) rates, the C(local_limit) that
      HAProxy enforces, the plan's C(local_weight), C(weights) and C(admitted_rates)
      per member.
  returned: success
  type: dict
  sample:
    shasum:
      maxrate: 2.0
      observed: {offered_rate: 0.0, executed_rate: 0.0}
      local_limit: 2
      local_weight: 0
      weights: {"12D3KooWB...": 100}
      admitted_rates: {"12D3KooWB...": 1.0}
node:
  description: The node's last CPU and RAM figures (V(null) when unknown).
  returned: success
  type: dict
  sample: {cpu_percent: 12.5, ram_bytes: 1073741824}
components:
  description: Per component (gateway, prometheus, haproxy...) whether it is up and why not.
  returned: success
  type: dict
  sample: {gateway: {up: true, problem: null, failures: 0}}
overlay:
  description: Overlay counters (published, received, dropped messages by reason).
  returned: success
  type: dict
last_iteration:
  description: Age and duration of the last control iteration (V(null) before the first).
  returned: success
  type: dict
  sample: {age_s: 0.2, duration_s: 0.016, haproxy: tuned}
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dfaas.edge.plugins.module_utils.agent_api import (
    AGENT_API_ARGS,
    MEMBER_STATES,
    AgentApiClient,
    AgentApiError,
    agent_client_args,
    check_wanted_members,
    member_table,
    wait_for_members,
)
from ansible_collections.dfaas.edge.plugins.module_utils.option_checks import (
    check_file,
    check_http_url,
    check_seconds,
)

_PASSED_THROUGH = (
    "peer_id",
    "node_name",
    "strategy",
    "period_s",
    "members",
    "functions",
    "node",
    "components",
    "overlay",
    "last_iteration",
)


def argument_spec() -> dict[str, Any]:
    return {
        **AGENT_API_ARGS,
        "wait_for_members": {"type": "raw"},
        "member_state": {"type": "str", "choices": list(MEMBER_STATES), "default": "connected"},
        "wait_timeout": {"type": "float", "default": 60.0},
        "wait_interval": {"type": "float", "default": 1.0},
    }


def check_options(params: dict[str, Any]) -> None:
    """Refuse bad values (ValueError naming the option) before the agent is asked."""
    check_http_url("agent_url", params["agent_url"])
    check_seconds("agent_timeout", params["agent_timeout"])
    check_file("ca_path", params["ca_path"])
    if params["wait_for_members"] is not None:
        check_wanted_members(params["wait_for_members"])
    check_seconds("wait_timeout", params["wait_timeout"], allow_zero=True)
    check_seconds("wait_interval", params["wait_interval"])


def run(params: dict[str, Any]) -> dict[str, Any]:
    client = AgentApiClient(**agent_client_args(params))
    if params["wait_for_members"] is None:
        status = client.status()
    else:
        status = wait_for_members(
            client,
            check_wanted_members(params["wait_for_members"]),
            params["member_state"],
            timeout=params["wait_timeout"],
            interval=params["wait_interval"],
        )
    healthy, reasons = client.health()
    return {
        "changed": False,
        **{key: status.get(key) for key in _PASSED_THROUGH},
        "member_table": member_table(status),
        "healthy": healthy,
        "health_reasons": reasons,
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        check_options(params)
        module.exit_json(**run(params))
    except (ValueError, AgentApiError) as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
