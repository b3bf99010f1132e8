"""The agent's own Prometheus metrics, served on `/metrics`.

Names keep the prototype's two series (`dfaas_agent_strategy_iterations`,
`dfaas_agent_strategy_iteration_duration_seconds`) so existing dashboards still work,
and add what the prototype could not show: members, weights, rates, dropped messages,
refused connections, reloads, and the duration of every request HAProxy served
(`dfaas_request_duration_seconds`, from its log: `haproxy.latency_log`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REQUEST_DURATION_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0
)  # fmt: skip
"""Seconds: from a cached answer (ms) to a long CPU-bound call (tens of seconds)."""
REQUEST_LABELS = ("function", "route", "server", "origin", "status")


class AgentMetrics:
    """Every metric of one agent, in a registry of its own (no global state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.iterations = Counter(
            "dfaas_agent_strategy_iterations",
            "Control-loop iterations completed.",
            registry=self.registry,
        )
        self.last_iteration_seconds = Gauge(
            "dfaas_agent_strategy_iteration_duration_seconds",
            "Duration of the last control-loop iteration.",
            registry=self.registry,
        )
        self.iteration_seconds = Histogram(
            "dfaas_agent_iteration_seconds",
            "Distribution of control-loop iteration durations.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.members = Gauge(
            "dfaas_agent_members",
            "Federation members currently connected and announcing.",
            registry=self.registry,
        )
        self.weight = Gauge(
            "dfaas_agent_weight",
            "HAProxy weight (0-100) given to a peer for a function's excess.",
            ["function", "peer"],
            registry=self.registry,
        )
        self.local_rate = Gauge(
            "dfaas_agent_local_rate",
            "Client requests per second planned to run on this node.",
            ["function"],
            registry=self.registry,
        )
        self.forwarded_rate = Gauge(
            "dfaas_agent_forwarded_rate",
            "Client requests per second planned to be forwarded to a peer.",
            ["function", "peer"],
            registry=self.registry,
        )
        self.dropped_messages = Counter(
            "dfaas_agent_dropped_messages",
            "Gossip messages dropped, by reason (non_member, malformed, oversize...).",
            ["reason"],
            registry=self.registry,
        )
        self.refused_connections = Counter(
            "dfaas_agent_refused_connections",
            "Overlay connections this agent closed, by reason (non_member: the peer's ID is"
            " not on the member list; over_rate: closed before the handshake, their source"
            " address opened more than its rate).",
            ["reason"],
            registry=self.registry,
        )
        self.component_up = Gauge(
            "dfaas_agent_component_up",
            "1 when the agent could use a component in the last iteration.",
            ["component"],
            registry=self.registry,
        )
        self.haproxy_apply_seconds = Histogram(
            "dfaas_agent_haproxy_apply_seconds",
            "Time to bring HAProxy to a plan, by how: tuned (runtime API commands) or"
            " reloaded (render, haproxy -c, reload until the new worker runs).",
            ["how"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.haproxy_reloads = Counter(
            "dfaas_agent_haproxy_reloads",
            "Hitless HAProxy reloads (member or function set changed).",
            registry=self.registry,
        )
        self.policy_answers = Counter(
            "dfaas_agent_policy_answers",
            "Periods that strategy external planned with the policy endpoint's shares.",
            registry=self.registry,
        )
        self.policy_fallbacks = Counter(
            "dfaas_agent_policy_fallbacks",
            "Periods that strategy external planned with its fallback strategy, by reason"
            " (timeout, unreachable, http_status, not_json, bad_shape, unknown_function,"
            " missing_function, unknown_member, bad_shares).",
            ["reason"],
            registry=self.registry,
        )
        self.config_reloads = Counter(
            "dfaas_agent_config_reloads",
            "SIGHUPs handled, by result: applied (the agent started again from its kept plan"
            " with the changed file), unchanged, failed (the agent ran on as it was).",
            ["result"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "dfaas_request_duration_seconds",
            "Duration of function requests that HAProxy served, from the request's first byte"
            " to the answer's last (HAProxy's Ta timer), by route (local: run here; member:"
            " sent one hop to a member), server (local, or the member's node name), origin"
            " (client: this node's own client; member: forwarded here by a member) and"
            " status class (2xx...5xx, none).",
            REQUEST_LABELS,
            buckets=REQUEST_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.latency_log_dropped = Counter(
            "dfaas_agent_latency_log_dropped",
            "HAProxy log datagrams that gave no request duration, by reason (event, foreign,"
            " malformed, no_server, other_backend, unknown_function, unknown_server).",
            ["reason"],
            registry=self.registry,
        )

    def record_iteration(self, seconds: float) -> None:
        self.iterations.inc()
        self.last_iteration_seconds.set(seconds)
        self.iteration_seconds.observe(seconds)

    def record_function(
        self,
        function: str,
        *,
        weights: Mapping[str, int],
        local_rate: float,
        forward_rates: Mapping[str, float],
    ) -> None:
        """Publish one function's plan; peers no longer in it are removed."""
        self._replace_peer_series(self.weight, function, weights)
        self._replace_peer_series(self.forwarded_rate, function, forward_rates)
        self.local_rate.labels(function=function).set(local_rate)

    def forget_function(self, function: str) -> None:
        self._replace_peer_series(self.weight, function, {})
        self._replace_peer_series(self.forwarded_rate, function, {})
        with contextlib.suppress(KeyError):
            self.local_rate.remove(function)

    def forget_requests_outside(self, functions: Collection[str], servers: Collection[str]) -> None:
        """Remove the request duration series of functions or servers not in the lists."""
        for labels in _label_sets(self.request_duration, REQUEST_LABELS):
            if labels[0] not in functions or labels[2] not in servers:
                self.request_duration.remove(*labels)

    def set_component(self, component: str, up: bool) -> None:
        self.component_up.labels(component=component).set(1 if up else 0)

    @staticmethod
    def _replace_peer_series(gauge: Gauge, function: str, values: Mapping[str, float]) -> None:
        for labels in _label_sets(gauge, ("function", "peer")):
            if labels[0] == function and labels[1] not in values:
                gauge.remove(*labels)
        for peer, value in values.items():
            gauge.labels(function=function, peer=peer).set(value)


def _label_sets(metric: Gauge | Histogram, names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Label values (of `names`) of the children of a labelled metric, each once."""
    return list(
        dict.fromkeys(
            tuple(sample.labels[name] for name in names)
            for family in metric.collect()
            for sample in family.samples
        )
    )
