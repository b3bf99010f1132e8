"""Node usage (CPU, memory): measured (Prometheus, the node's cgroup) or forecast."""

from dfaas_agent.metrics.cgroup import CgroupUnavailable, CgroupUsage
from dfaas_agent.metrics.forecaster import ForecasterClient, ForecasterUnavailable
from dfaas_agent.metrics.prometheus import PrometheusClient, PrometheusUnavailable
from dfaas_agent.metrics.usage import NodeUsage, UsageUnavailable

__all__ = [
    "CgroupUnavailable",
    "CgroupUsage",
    "ForecasterClient",
    "ForecasterUnavailable",
    "NodeUsage",
    "PrometheusClient",
    "PrometheusUnavailable",
    "UsageUnavailable",
]
