#!/usr/bin/python
# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_info
short_description: How loaded a DFaaS node is, from its Prometheus and its gateway
version_added: 0.1.0
author: dfaas.edge maintainers (@dfaas-edge)
description:
  - Reads a node's CPU and memory usage and load averages (C(node_*) series of the node
    exporter), each function's request rate, error rate and mean latency (C(gateway_*)
    series of the OpenFaaS gateway), each HAProxy backend's request and error rate
    (C(haproxy_*) series of HAProxy's exporter), all from Prometheus.
  - With O(gateway_url), also lists the gateway's functions with their labels.
  - With O(kubeconfig) (the OpenFaaS provider on k3s), also reads the k3s node facts
    (Ready condition, kubelet version, allocatable CPU and memory) and the pods in
    O(openfaas_namespace) through the Kubernetes API.
  - A figure that Prometheus cannot compute (series not scraped, no traffic in the window)
    is returned as V(null), never as 0.
  - Every option is checked before anything is asked (URLs V(http) or V(https), timeouts
    above 0, O(kubeconfig) an existing file).
  - Changes nothing.
options:
  window:
    description:
      - PromQL range over which rates are computed, for example V(30s) or V(1m).
      - Should cover at least two scrapes.
    type: str
    default: 1m
  instance:
    description:
      - Value of the C(instance) label of this node's node exporter, when one Prometheus
        scrapes several nodes. All node exporters are summed when not set.
    type: str
  kubeconfig:
    description:
      - Path of the kubeconfig file of the node's k3s (V(/etc/rancher/k3s/k3s.yaml) on a
        k3s server). The Kubernetes API is not asked when not set.
    type: path
  kube_context:
    description:
      - Context of O(kubeconfig) to use; its current context when not set.
    type: str
  openfaas_namespace:
    description:
      - Namespace whose pods are listed in RV(k3s.pods) (where OpenFaaS runs functions).
    type: str
    default: openfaas-fn
requirements:
  - kubernetes (Python library), only with O(kubeconfig)
extends_documentation_fragment:
  - dfaas.edge.prometheus
  - dfaas.edge.openfaas_gateway
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing.
"""

EXAMPLES = r"""
- name: How loaded is this node
  dfaas.edge.node_info:
    prometheus_url: http://127.0.0.1:9090
    gateway_url: http://127.0.0.1:8080
    window: 30s
  register: node

- name: Stop a rollout when the node is busy
  ansible.builtin.assert:
    that: node.node.cpu_usage is none or node.node.cpu_usage < 0.8
    fail_msg: "{{ inventory_hostname }} is at {{ node.node.cpu_usage }} CPU"
"""

RETURN = r"""
node:
  description: Node-wide figures.
  returned: success
  type: dict
  contains:
    cpu_usage:
      description: Busy fraction of all CPUs over O(window), 0 to 1.
      type: float
      sample: 0.42
    memory_usage:
      description: Fraction of memory in use (not available), 0 to 1.
      type: float
      sample: 0.3
    load1:
      description: One-minute load average.
      type: float
      sample: 1.2
    load5:
      description: Five-minute load average.
      type: float
      sample: 0.9
    load15:
      description: Fifteen-minute load average.
      type: float
      sample: 0.7
    request_rate:
      description: Function invocations per second through the gateway, all functions.
      type: float
      sample: 35.5
functions:
  description:
    - Per function (name without the C(.namespace) suffix) its request rate and error rate
      (requests per second, errors are non-2xx answers) and mean latency in seconds.
  returned: success
  type: dict
  sample:
    figlet:
      request_rate: 20.5
      error_rate: 0.0
      latency_seconds: 0.012
backends:
  description: Per HAProxy backend, its request rate and 5xx rate (per second).
  returned: success
  type: dict
  sample:
    be_figlet:
      request_rate: 20.6
      error_rate: 0.1
gateway_functions:
  description:
    - The gateway's functions as C(GET /system/functions) returns them (name, image,
      labels, replicas...). Only when O(gateway_url) is set.
  returned: when O(gateway_url) is set
  type: list
  elements: dict
  sample:
    - name: figlet
      image: ghcr.io/openfaas/figlet:latest
      labels:
        dfaas.maxrate: "100"
k3s:
  description:
    - The k3s nodes (normally one per DFaaS node) and the pods of O(openfaas_namespace).
      Only when O(kubeconfig) is set.
  returned: when O(kubeconfig) is set
  type: dict
  contains:
    nodes:
      description:
        - Per node its name, whether its C(Ready) condition is true (with the condition's
          message), its kubelet version and allocatable CPU (cores), memory (bytes) and pods.
      type: list
      elements: dict
      sample:
        - name: edge-1
          ready: true
          ready_message: kubelet is posting ready status
          kubelet_version: v1.31.4+k3s1
          allocatable: {cpu: 2.0, memory_bytes: 8220823552, pods: 110}
    pods:
      description: Per pod its name, phase, node, whether all its containers are ready, restarts.
      type: list
      elements: dict
      sample:
        - {name: figlet-7d9c, phase: Running, node: edge-1, ready: true, restarts: 0}
    namespace:
      description: The namespace whose pods are listed.
      type: str
      sample: openfaas-fn
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dfaas.edge.plugins.module_utils.common_args import (
    GATEWAY_ARGS,
    PROMETHEUS_ARGS,
    gateway_client_args,
    prometheus_client_args,
)
from ansible_collections.dfaas.edge.plugins.module_utils.errors import DfaasError
from ansible_collections.dfaas.edge.plugins.module_utils.function_rules import (
    namespace_problem,
)
from ansible_collections.dfaas.edge.plugins.module_utils.kubernetes_facts import (
    KUBERNETES_ERRORS,
    KUBERNETES_IMPORT_ERROR,
    k3s_facts,
    kubernetes_core_api,
)
from ansible_collections.dfaas.edge.plugins.module_utils.node_metrics import (
    backend_summary,
    check_instance,
    check_window,
    function_summary,
    node_summary,
)
from ansible_collections.dfaas.edge.plugins.module_utils.openfaas_gateway import (
    GatewayClient,
)
from ansible_collections.dfaas.edge.plugins.module_utils.option_checks import (
    check_file,
    check_http_url,
    check_seconds,
)
from ansible_collections.dfaas.edge.plugins.module_utils.prometheus_api import (
    PrometheusClient,
)


def argument_spec() -> dict[str, Any]:
    return {
        **PROMETHEUS_ARGS,
        **GATEWAY_ARGS,
        "window": {"type": "str", "default": "1m"},
        "instance": {"type": "str"},
        "kubeconfig": {"type": "path"},
        "kube_context": {"type": "str"},
        "openfaas_namespace": {"type": "str", "default": "openfaas-fn"},
    }


def check_options(params: dict[str, Any]) -> None:
    """Refuse bad values (ValueError naming the option) before anything is asked."""
    check_http_url("prometheus_url", params["prometheus_url"])
    check_seconds("prometheus_timeout", params["prometheus_timeout"])
    check_http_url("gateway_url", params["gateway_url"] or None)
    check_seconds("gateway_timeout", params["gateway_timeout"])
    check_window(params["window"])
    check_instance(params["instance"])
    check_file("kubeconfig", params["kubeconfig"])
    problem = namespace_problem("openfaas_namespace", params["openfaas_namespace"])
    if problem is not None:
        raise ValueError(problem)


def run(params: dict[str, Any]) -> dict[str, Any]:
    prometheus = PrometheusClient(**prometheus_client_args(params))
    window, instance = params["window"], params["instance"]
    result: dict[str, Any] = {
        "changed": False,
        "node": node_summary(prometheus, window, instance),
        "functions": function_summary(prometheus, window),
        "backends": backend_summary(prometheus, window),
    }
    if params["gateway_url"]:
        gateway = GatewayClient(**gateway_client_args(params))
        result["gateway_functions"] = gateway.list_functions()
    if params["kubeconfig"]:
        core_api = kubernetes_core_api(params["kubeconfig"], params["kube_context"])
        result["k3s"] = k3s_facts(core_api, params["openfaas_namespace"])
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        check_options(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if module.params["kubeconfig"] and KUBERNETES_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib("kubernetes", reason="for kubeconfig (k3s node facts)"),
            exception=KUBERNETES_IMPORT_ERROR,
        )
    try:
        module.exit_json(**run(module.params))
    except (ValueError, DfaasError) as exc:
        module.fail_json(msg=str(exc))
    except KUBERNETES_ERRORS as exc:
        module.fail_json(msg=f"Kubernetes API of {module.params['kubeconfig']} failed: {exc}")


if __name__ == "__main__":
    main()
