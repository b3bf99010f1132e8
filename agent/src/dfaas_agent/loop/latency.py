"""HAProxy's request log into the request duration histogram, for the layout in force.

The agent follows every layout it applies; a datagram is read against the last one, so
only its functions, `local` and its members become label values. Series of functions or
members that leave the layout are removed: the histogram never grows beyond the layout.
"""

from __future__ import annotations

import logging

from dfaas_agent.haproxy import ProxyLayout
from dfaas_agent.haproxy.latency_log import DroppedDatagram, RouteCatalogue
from dfaas_agent.metrics import AgentMetrics

log = logging.getLogger(__name__)


class LatencyRecorder:
    """Observes each request that HAProxy logs; counts each datagram that says none."""

    def __init__(self, metrics: AgentMetrics) -> None:
        self.metrics = metrics
        self.catalogue = RouteCatalogue.of(None)
        self._layout: ProxyLayout | None = None

    def follow(self, layout: ProxyLayout) -> None:
        """Read datagrams against `layout` from now on (the one HAProxy runs)."""
        if layout == self._layout:
            return
        self._layout = layout
        self.catalogue = RouteCatalogue.of(layout)
        self.metrics.forget_requests_outside(self.catalogue.functions, self.catalogue.servers)

    def receive(self, datagram: bytes) -> None:
        """Observe the request that `datagram` logs, or count why it gives none."""
        try:
            timing = self.catalogue.read(datagram)
        except DroppedDatagram as dropped:
            self.metrics.latency_log_dropped.labels(reason=dropped.reason).inc()
            log.debug("dropped a HAProxy log datagram: %s", dropped)
            return
        self.metrics.request_duration.labels(
            function=timing.function,
            route=timing.route,
            server=timing.server,
            origin=timing.origin,
            status=timing.status_class,
        ).observe(timing.duration_ms / 1000)
