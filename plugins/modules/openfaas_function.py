#!/usr/bin/python
# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openfaas_function
short_description: Deploy, update or remove a function through the OpenFaaS gateway REST API
version_added: 0.1.0
author: dfaas.edge maintainers (@dfaas-edge)
description:
  - Deploys a function (C(POST /system/functions)), updates it when it differs
    (C(PUT /system/functions)) or removes it (C(DELETE /system/functions)), after reading
    what the gateway has (C(GET /system/function/NAME)).
  - Works with an OpenFaaS CE gateway and with any gateway that serves the same API.
  - DFaaS reads the labels C(dfaas.maxrate) (requests per second the node accepts) and
    C(dfaas.timeout_ms) (function timeout) from the functions; set them with O(labels).
  - Idempotent; check mode reports the change it would make without sending it.
  - Every option is checked before the gateway is asked, with the rules that OpenFaaS and
    the DFaaS runtime apply (see O(name), O(labels), O(env_vars)), so check mode fails
    where the real run would, with the same message.
options:
  name:
    description:
      - Name of the function (the OpenFaaS C(service)).
      - Must be a DNS-1123 label, as OpenFaaS (Kubernetes) and the DFaaS runtime require,
        that is lower-case letters, digits and V(-), starting and ending with a letter or
        digit, at most 63 characters, for example V(figlet) or V(my-fn).
        V(my_fn), V(my.fn) and V(My-Fn) are refused.
    type: str
    required: true
  state:
    description:
      - V(present) deploys or updates the function, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  image:
    description:
      - Container image of the function, 1 to 512 characters. Required when O(state=present).
    type: str
  namespace:
    description:
      - Kubernetes namespace of the function (a DNS-1123 label); the gateway's default when
        not set.
    type: str
  labels:
    description:
      - Labels of the function. Values are strings, numbers or booleans, sent as strings.
      - Compared key by key with what the gateway reports; labels that the gateway or
        Kubernetes add themselves (C(faas_function), C(uid)...) do not count as a difference.
        An update replaces the whole set with this one.
      - C(dfaas.maxrate) must be a number >= 0 (requests per second), C(dfaas.timeout_ms)
        and C(dfaas.max_inflight) positive integers; without the C(max_inflight) variable
        in O(env_vars), C(dfaas.max_inflight) must be at most 10000.
    type: dict
    default: {}
  annotations:
    description:
      - Annotations of the function. Values are sent as strings; compared like O(labels).
    type: dict
    default: {}
  env_vars:
    description:
      - Environment variables of the function (for example C(exec_timeout), C(max_inflight)).
        Values are sent as strings; compared like O(labels).
      - C(max_inflight) must be an integer from 1 to 10000 and C(exec_timeout) a duration
        above 0 (V(4s), V(500ms), V(1m30s) or seconds such as V(2.5)).
    type: dict
    default: {}
  env_process:
    description:
      - Command that the OpenFaaS watchdog runs (C(fprocess)).
    type: str
  constraints:
    description:
      - Placement constraints. Compared only where the gateway reports them.
    type: list
    elements: str
  secrets:
    description:
      - Names of OpenFaaS secrets the function mounts. Compared only where the gateway reports them.
    type: list
    elements: str
extends_documentation_fragment:
  - dfaas.edge.openfaas_gateway
attributes:
  check_mode:
    support: full
    description: Reports the change it would make without sending it.
  diff_mode:
    support: full
    description: Shows the function's image, labels, annotations and environment before and after.
notes:
  - O(gateway_url) is required; it may come from the E(DFAAS_GATEWAY_URL) environment variable.
seealso:
  - name: OpenFaaS gateway REST API
    description: The calls this module makes.
    link: https://docs.openfaas.com/reference/rest-api/
"""

EXAMPLES = r"""
- name: Deploy figlet with its DFaaS limits
  dfaas.edge.openfaas_function:
    gateway_url: http://127.0.0.1:31112
    gateway_username: admin
    gateway_password: "{{ openfaas_admin_password }}"
    name: figlet
    image: ghcr.io/openfaas/figlet:latest
    labels:
      dfaas.maxrate: 100
      dfaas.timeout_ms: 6000
    env_vars:
      exec_timeout: 4s
      max_inflight: 800

- name: Remove a function
  dfaas.edge.openfaas_function:
    gateway_url: http://127.0.0.1:31112
    name: figlet
    state: absent
"""

RETURN = r"""
function:
  description:
    - The function after the run as the module sees it (the deployment it sent or found);
      empty when O(state=absent). In check mode, the predicted result.
  returned: success
  type: dict
  sample:
    name: figlet
    image: ghcr.io/openfaas/figlet:latest
    namespace: null
    labels:
      dfaas.maxrate: "100"
      dfaas.timeout_ms: "6000"
    annotations: {}
    env_vars:
      exec_timeout: 4s
    env_process: null
operation:
  description: What the module did (or would do in check mode).
  returned: success
  type: str
  sample: created
  choices: [created, updated, deleted, none]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dfaas.edge.plugins.module_utils.common_args import (
    GATEWAY_ARGS,
    gateway_client_args,
)
from ansible_collections.dfaas.edge.plugins.module_utils.function_rules import (
    deployment_problem,
    name_problem,
    namespace_problem,
)
from ansible_collections.dfaas.edge.plugins.module_utils.openfaas_gateway import (
    GatewayClient,
    GatewayError,
)
from ansible_collections.dfaas.edge.plugins.module_utils.option_checks import (
    OptionError,
    check_http_url,
    check_seconds,
)

# Module option -> OpenFaaS API field, for the string maps compared key by key.
_MAPS = {"labels": "labels", "annotations": "annotations", "env_vars": "envVars"}
# Module option -> OpenFaaS API field, for lists compared as sets when the gateway reports them.
_LISTS = {"constraints": "constraints", "secrets": "secrets"}


def argument_spec() -> dict[str, Any]:
    return {
        **GATEWAY_ARGS,
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "image": {"type": "str"},
        "namespace": {"type": "str"},
        "labels": {"type": "dict", "default": {}},
        "annotations": {"type": "dict", "default": {}},
        "env_vars": {"type": "dict", "default": {}},
        "env_process": {"type": "str"},
        "constraints": {"type": "list", "elements": "str"},
        # Names of OpenFaaS secrets, not their values.
        "secrets": {"type": "list", "elements": "str", "no_log": False},
    }


def _strings(option: str, mapping: dict[str, Any] | None) -> dict[str, str]:
    # The API carries string maps; YAML gives ints and bools for "100" or "true".
    out = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, (str, int, float)):
            kind = "null" if value is None else f"a {type(value).__name__}"
            raise OptionError(f"{option}.{key} must be a string, number or boolean, got {kind}")
        out[str(key)] = str(value)
    return out


def desired_deployment(params: dict[str, Any]) -> dict[str, Any]:
    """The OpenFaaS ``FunctionDeployment`` body for the module's parameters."""
    deployment: dict[str, Any] = {"service": params["name"], "image": params["image"]}
    for option, field in _MAPS.items():
        deployment[field] = _strings(option, params[option])
    if params["namespace"]:
        deployment["namespace"] = params["namespace"]
    if params["env_process"] is not None:
        deployment["envProcess"] = params["env_process"]
    for option, field in _LISTS.items():
        if params[option] is not None:
            deployment[field] = list(params[option])
    return deployment


def differences(current: dict[str, Any], deployment: dict[str, Any]) -> list[str]:
    """API fields where the deployed function differs from the wanted deployment."""
    fields = []
    if current.get("image") != deployment["image"]:
        fields.append("image")
    for field in _MAPS.values():
        have = current.get(field) or {}
        if any(have.get(key) != value for key, value in deployment[field].items()):
            fields.append(field)
    if "envProcess" in deployment and current.get("envProcess") != deployment["envProcess"]:
        fields.append("envProcess")
    for field in _LISTS.values():
        reported = current.get(field)
        if (
            field in deployment
            and reported is not None
            and sorted(reported) != sorted(deployment[field])
        ):
            fields.append(field)
    return fields


def view(function: dict[str, Any] | None, name: str) -> dict[str, Any]:
    """A function (API status or deployment body) in the module's terms, for diff and return."""
    if function is None:
        return {}
    result = {
        "name": function.get("name", function.get("service", name)),
        "image": function.get("image"),
        "namespace": function.get("namespace"),
        "env_process": function.get("envProcess"),
    }
    for option, field in _MAPS.items():
        result[option] = dict(function.get(field) or {})
    for option, field in _LISTS.items():
        if function.get(field) is not None:
            result[option] = list(function[field])
    return result


def check_options(params: dict[str, Any]) -> None:
    """Refuse, before anything is sent, what the gateway or the runtime would refuse."""
    if not params["gateway_url"]:
        raise OptionError("gateway_url is required (or set DFAAS_GATEWAY_URL)")
    check_http_url("gateway_url", params["gateway_url"])
    check_seconds("gateway_timeout", params["gateway_timeout"])
    problem = name_problem("name", params["name"])
    if problem is None and params["namespace"]:
        problem = namespace_problem("namespace", params["namespace"])
    if problem is None and params["state"] == "present":
        problem = deployment_problem(desired_deployment(params))
    if problem is not None:
        raise OptionError(problem)


def run(module: AnsibleModule, client: GatewayClient) -> dict[str, Any]:
    params = module.params
    name, namespace = params["name"], params["namespace"]
    current = client.get_function(name, namespace=namespace)
    if params["state"] == "absent":
        operation = "deleted" if current is not None else "none"
        if current is not None and not module.check_mode:
            client.delete(name, namespace=namespace)
        after: dict[str, Any] = {}
    else:
        deployment = desired_deployment(params)
        if current is None:
            operation = "created"
        elif differences(current, deployment):
            operation = "updated"
        else:
            operation = "none"
        if operation != "none" and not module.check_mode:
            if operation == "created":
                client.deploy(deployment)
            else:
                client.update(deployment)
        after = view(deployment, name) if operation != "none" else view(current, name)
    result: dict[str, Any] = {
        "changed": operation != "none",
        "operation": operation,
        "function": after,
    }
    if module._diff:
        result["diff"] = {"before": view(current, name), "after": after}
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ("image",))],
        supports_check_mode=True,
    )
    try:
        check_options(module.params)
        client = GatewayClient(**gateway_client_args(module.params))
        module.exit_json(**run(module, client))
    except (OptionError, GatewayError) as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
