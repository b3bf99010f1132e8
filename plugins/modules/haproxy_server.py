#!/usr/bin/python
# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_server
short_description: Read and set an HAProxy server's weight and state through the runtime API
version_added: 0.1.0
author: dfaas.edge maintainers (@dfaas-edge)
description:
  - Reads the weight and administrative state (V(ready), V(drain), V(maint)) of one server
    of an HAProxy backend through the runtime API, and sets them when asked.
  - Changes go through the runtime API only, with no reload, so counters and health state
    survive; they last until HAProxy reloads its configuration.
  - Idempotent; check mode reports the change it would make without sending it.
  - Every option is checked before HAProxy is asked, so check mode fails where the real
    run would, with the same message.
options:
  backend:
    description:
      - Name of the backend that holds the server (letters, digits, V(.), V(_), V(:), V(-)).
    type: str
    required: true
  server:
    description:
      - Name of the server in O(backend) (the same characters as O(backend)).
    type: str
    required: true
  weight:
    description:
      - Weight to set, 0 to 256 (the weight the server has when it is V(ready)).
      - Left as it is when not set.
    type: int
  state:
    description:
      - Administrative state to set. V(drain) stops new traffic but keeps sessions,
        V(maint) stops all traffic, V(ready) serves again.
      - Left as it is when not set.
    type: str
    choices: [ready, drain, maint]
extends_documentation_fragment:
  - dfaas.edge.haproxy_socket
attributes:
  check_mode:
    support: full
    description: Reports the change it would make without sending it.
  diff_mode:
    support: full
    description: Shows the weight and state before and after.
notes:
  - The socket must be declared with C(level admin) in HAProxy's C(global) section.
seealso:
  - name: HAProxy management guide, runtime API
    description: The commands this module sends (C(get weight), C(set weight), C(set server)).
    link: https://docs.haproxy.org/2.6/management.html#9.3
"""

EXAMPLES = r"""
- name: Take a node out of a function's rotation during an incident
  dfaas.edge.haproxy_server:
    socket: /run/haproxy/admin.sock
    backend: be_figlet
    server: node_12D3KooWExample
    state: drain

- name: Give the local gateway most of the traffic
  dfaas.edge.haproxy_server:
    socket: 127.0.0.1:6666
    backend: be_figlet
    server: local
    weight: 80
    state: ready

- name: Only read the server
  dfaas.edge.haproxy_server:
    backend: be_figlet
    server: local
  register: figlet_local
"""

RETURN = r"""
server:
  description:
    - The server after the run (in check mode, the predicted weight and state).
  returned: success
  type: dict
  contains:
    weight:
      description: Current weight (what it serves with when V(ready)).
      type: int
      sample: 80
    initial_weight:
      description: Weight from the configuration file.
      type: int
      sample: 100
    state:
      description: Administrative state.
      type: str
      sample: ready
    status:
      description:
        - Status column of C(show stat) (V(UP), V(DOWN), V(DRAIN), V(MAINT), V(no check)...).
      type: str
      sample: UP
  sample:
    weight: 80
    initial_weight: 100
    state: ready
    status: UP
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dfaas.edge.plugins.module_utils.common_args import HAPROXY_SOCKET_ARGS
from ansible_collections.dfaas.edge.plugins.module_utils.haproxy_runtime import (
    MAX_WEIGHT,
    SERVER_STATES,
    HAProxyRuntime,
    HAProxyRuntimeError,
    name_problem,
    parse_address,
)
from ansible_collections.dfaas.edge.plugins.module_utils.option_checks import (
    OptionError,
    check_seconds,
)


def argument_spec() -> dict[str, Any]:
    return {
        **HAPROXY_SOCKET_ARGS,
        "backend": {"type": "str", "required": True},
        "server": {"type": "str", "required": True},
        "weight": {"type": "int"},
        "state": {"type": "str", "choices": list(SERVER_STATES)},
    }


def wanted_changes(
    current: dict[str, Any], weight: int | None, state: str | None
) -> dict[str, Any]:
    """The fields of ``current`` that differ from what was asked."""
    changes: dict[str, Any] = {}
    if weight is not None and weight != current["weight"]:
        changes["weight"] = weight
    if state is not None and state != current["state"]:
        changes["state"] = state
    return changes


def check_options(params: dict[str, Any]) -> None:
    """Refuse, before HAProxy is asked, what the runtime API could not take."""
    try:
        parse_address(params["socket"])
    except HAProxyRuntimeError as exc:
        raise OptionError(f"socket: {exc}") from None
    check_seconds("socket_timeout", params["socket_timeout"])
    for option in ("backend", "server"):
        problem = name_problem(option, params[option])
        if problem is not None:
            raise OptionError(problem)
    weight = params["weight"]
    if weight is not None and not 0 <= weight <= MAX_WEIGHT:
        raise OptionError(f"weight {weight} is outside 0..{MAX_WEIGHT}")


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    backend, server = params["backend"], params["server"]
    runtime = HAProxyRuntime(params["socket"], timeout=params["socket_timeout"])
    before = runtime.server(backend, server)
    changes = wanted_changes(before, params["weight"], params["state"])
    after = {**before, **changes}
    if changes and not module.check_mode:
        if "weight" in changes:
            runtime.set_weight(backend, server, changes["weight"])
        if "state" in changes:
            runtime.set_state(backend, server, changes["state"])
        after = runtime.server(backend, server)
    result: dict[str, Any] = {"changed": bool(changes), "server": after}
    if module._diff:
        result["diff"] = {
            "before": {"weight": before["weight"], "state": before["state"]},
            "after": {"weight": after["weight"], "state": after["state"]},
            "before_header": f"{backend}/{server}",
            "after_header": f"{backend}/{server}",
        }
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        check_options(module.params)
        module.exit_json(**run(module))
    except (OptionError, HAProxyRuntimeError) as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
