# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_metrics
short_description: CPU, memory and request rate of several DFaaS nodes, from their Prometheus
version_added: 0.1.0
author: dfaas.edge maintainers (@dfaas-edge)
description:
  - For each term, the base URL of one node's Prometheus, returns a summary of that node
    computed from the C(node_*) and C(gateway_*) series, in the order of the terms.
  - Without terms, summarises the single Prometheus given by O(url).
  - A figure that Prometheus cannot compute (series not scraped, no traffic) is V(null).
options:
  _terms:
    description: Prometheus base URLs, one per node (as several terms or one list).
    type: list
    elements: str
  window:
    description: PromQL range over which rates are computed, for example V(30s).
    type: str
    default: 1m
  errors:
    description:
      - V(strict) fails the lookup when a node's Prometheus cannot be queried; V(report)
        returns that node's entry with the figures V(null) and the reason in C(error).
    type: str
    choices: [strict, report]
    default: strict
extends_documentation_fragment:
  - dfaas.edge.prometheus.lookup
"""

EXAMPLES = r"""
- name: Summaries of every node of the federation
  ansible.builtin.debug:
    msg: >-
      {{ query('dfaas.edge.node_metrics',
               groups['dfaas_nodes'] | map('extract', hostvars, 'dfaas_prometheus_url') | list,
               window='30s', errors='report') }}

- name: Wait until no node is above 80 % CPU
  ansible.builtin.assert:
    that: >-
      query('dfaas.edge.node_metrics', 'http://10.0.0.1:9090', 'http://10.0.0.2:9090')
      | selectattr('cpu_usage', 'gt', 0.8) | list | length == 0
"""

RETURN = r"""
_list:
  description: One summary per Prometheus endpoint.
  type: list
  elements: dict
  contains:
    endpoint:
      description: The Prometheus URL the summary comes from.
      type: str
    cpu_usage:
      description: Busy fraction of all CPUs over O(window), 0 to 1.
      type: float
    memory_usage:
      description: Fraction of memory in use, 0 to 1.
      type: float
    load1:
      description: One-minute load average.
      type: float
    load5:
      description: Five-minute load average.
      type: float
    load15:
      description: Fifteen-minute load average.
      type: float
    request_rate:
      description: Function invocations per second through the gateway.
      type: float
    error:
      description: Why the node could not be queried (only with O(errors=report)).
      type: str
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.dfaas.edge.plugins.module_utils.node_metrics import (
    check_window,
    node_queries,
    node_summary,
)
from ansible_collections.dfaas.edge.plugins.module_utils.prometheus_api import (
    PrometheusClient,
    PrometheusError,
)
from ansible_collections.dfaas.edge.plugins.plugin_utils.endpoints import endpoints_from_terms


class LookupModule(LookupBase):
    def run(
        self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        self.set_options(var_options=variables, direct=kwargs)
        window = self.get_option("window")
        try:
            check_window(window)
        except ValueError as exc:
            raise AnsibleLookupError(str(exc)) from exc
        endpoints = endpoints_from_terms(terms) or [self.get_option("url")]
        return [self._summary(endpoint, window) for endpoint in endpoints]

    def _summary(self, endpoint: str, window: str) -> dict[str, Any]:
        try:
            client = PrometheusClient(
                url=endpoint,
                timeout=self.get_option("timeout"),
                validate_certs=self.get_option("validate_certs"),
                username=self.get_option("username"),
                password=self.get_option("password"),
            )
            return {"endpoint": endpoint, **node_summary(client, window)}
        except PrometheusError as exc:
            if self.get_option("errors") == "strict":
                raise AnsibleLookupError(str(exc)) from exc
            figures = dict.fromkeys(node_queries(window))
            return {"endpoint": endpoint, **figures, "error": str(exc)}
