# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: prometheus
short_description: Run PromQL instant queries against Prometheus
version_added: 0.1.0
author: dfaas.edge maintainers (@dfaas-edge)
description:
  - Runs each term as a PromQL instant query (C(/api/v1/query)) from the controller and
    returns the samples of all of them, in order.
  - A vector gives one C({metric, timestamp, value}) per series, a matrix (range selector
    such as C(up[1m])) one C({metric, values}) per series with C(values) a list of
    C([timestamp, value]), a scalar or a string one sample with an empty C(metric).
  - Values are floats (C(NaN) and C(Inf) included); a string result keeps its text.
options:
  _terms:
    description: PromQL expressions.
    type: list
    elements: str
    required: true
  time:
    description:
      - Evaluation time as a Unix timestamp; the server's current time when not set.
    type: float
extends_documentation_fragment:
  - dfaas.edge.prometheus.lookup
"""

EXAMPLES = r"""
- name: Scrape targets that are up
  ansible.builtin.debug:
    msg: "{{ query('dfaas.edge.prometheus', 'up == 1', url='http://127.0.0.1:9090') }}"

- name: CPU busy fraction of this node (url from DFAAS_PROMETHEUS_URL or dfaas_prometheus_url)
  ansible.builtin.set_fact:
    cpu_busy: >-
      {{ (query('dfaas.edge.prometheus',
                '1 - avg(rate(node_cpu_seconds_total{mode="idle"}[1m]))') | first).value }}
"""

RETURN = r"""
_list:
  description: The samples of every query, in order.
  type: list
  elements: dict
  contains:
    metric:
      description: Labels of the series (empty for scalar and string results).
      type: dict
    timestamp:
      description: Evaluation time (vector, scalar, string).
      type: float
    value:
      description: Sample value (vector, scalar; text for string).
      type: raw
    values:
      description: "C([timestamp, value]) pairs (matrix)."
      type: list
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.dfaas.edge.plugins.module_utils.prometheus_api import (
    PrometheusClient,
    PrometheusError,
)


class LookupModule(LookupBase):
    def run(
        self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        self.set_options(var_options=variables, direct=kwargs)
        try:
            client = PrometheusClient(
                url=self.get_option("url"),
                timeout=self.get_option("timeout"),
                validate_certs=self.get_option("validate_certs"),
                username=self.get_option("username"),
                password=self.get_option("password"),
            )
            samples: list[Any] = []
            for term in terms:
                samples.extend(client.query(str(term), at=self.get_option("time")))
        except PrometheusError as exc:
            raise AnsibleLookupError(str(exc)) from exc
        return samples
