"""Node observations read from Prometheus."""

from dfaas_agent.metrics.prometheus import NodeUsage, PrometheusClient, PrometheusUnavailable

__all__ = ["NodeUsage", "PrometheusClient", "PrometheusUnavailable"]
