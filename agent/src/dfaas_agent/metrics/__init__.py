"""Node usage (CPU, memory) read from Prometheus or from the node's own cgroup."""

from dfaas_agent.metrics.cgroup import CgroupUnavailable, CgroupUsage
from dfaas_agent.metrics.prometheus import PrometheusClient, PrometheusUnavailable
from dfaas_agent.metrics.usage import NodeUsage, UsageUnavailable

__all__ = [
    "CgroupUnavailable",
    "CgroupUsage",
    "NodeUsage",
    "PrometheusClient",
    "PrometheusUnavailable",
    "UsageUnavailable",
]
