"""Each control iteration in the agent's Prometheus metrics (`dfaas_agent.metrics`)."""

from __future__ import annotations

from collections.abc import Mapping

from dfaas_agent.loop import health
from dfaas_agent.loop.iteration import Iteration
from dfaas_agent.metrics import AgentMetrics


class IterationRecorder:
    """Sets the metrics from one iteration; remembers what the overlay had dropped."""

    def __init__(self, metrics: AgentMetrics) -> None:
        self.metrics = metrics
        self._overlay_drops_seen: dict[str, int] = {}

    def record(
        self,
        iteration: Iteration,
        previous: Iteration | None,
        components: health.ComponentHealth,
        overlay_stats: Mapping[str, int],
    ) -> None:
        """`previous`: the iteration before, whose functions that are gone are forgotten."""
        metrics = self.metrics
        metrics.record_iteration(iteration.duration_s)
        metrics.members.set(len(iteration.layout.members))
        for component in health.COMPONENTS:
            state = components.state(component)
            if state is not None:
                metrics.set_component(component, state.up)
        if iteration.plan is not None:
            for name, function_plan in iteration.plan.functions.items():
                metrics.record_function(
                    name,
                    weights=function_plan.peer_weights,
                    local_rate=function_plan.local_rate,
                    forward_rates=function_plan.forward_rates,
                )
        if previous is not None:
            for name in set(previous.observation.functions) - set(iteration.observation.functions):
                metrics.forget_function(name)
        self.count_overlay_drops(overlay_stats)

    def count_overlay_drops(self, overlay_stats: Mapping[str, int]) -> None:
        """Add what the overlay dropped (`dropped_*` messages) and refused
        (`refused_*_connections`) since the last call to the two counters, by reason."""
        for name, count in overlay_stats.items():
            if name.startswith("dropped_"):
                counter = self.metrics.dropped_messages
                reason = name.removeprefix("dropped_")
            elif name.startswith("refused_") and name.endswith("_connections"):
                counter = self.metrics.refused_connections
                reason = name.removeprefix("refused_").removesuffix("_connections")
            else:
                continue
            # Keyed by stat name: dropped_non_member and refused_non_member_connections differ.
            delta = count - self._overlay_drops_seen.get(name, 0)
            if delta > 0:
                counter.labels(reason=reason).inc(delta)
            self._overlay_drops_seen[name] = count
