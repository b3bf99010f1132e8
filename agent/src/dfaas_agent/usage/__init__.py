"""Node usage (CPU, memory): measured (Prometheus, the node's cgroup) or forecast."""

from dfaas_agent.usage.cgroup import CgroupUnavailable, CgroupUsage
from dfaas_agent.usage.forecaster import ForecasterClient, ForecasterUnavailable
from dfaas_agent.usage.prometheus import PrometheusClient, PrometheusUnavailable
from dfaas_agent.usage.source import NodeUsage, UsageUnavailable

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
