"""The gateway_* Prometheus metrics that the OpenFaaS gateway exposes, with the same labels."""

import contextlib
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


@dataclass
class GatewayMetrics:
    # One registry per runtime instance, not the process-global one.
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.invocations = Counter(
            "gateway_function_invocation",
            "Function invocations by status code",
            ["function_name", "code"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "gateway_functions_seconds",
            "Function invocation duration in seconds",
            ["function_name", "code"],
            registry=self.registry,
        )
        self.service_count = Gauge(
            "gateway_service_count",
            "Replicas of each deployed function",
            ["function_name"],
            registry=self.registry,
        )
        self.inflight = Gauge(
            "dfaas_gateway_function_inflight",
            "Invocations of each function being executed now",
            ["function_name"],
            registry=self.registry,
        )
        self.refused_management = Counter(
            "dfaas_gateway_management_refused",
            "Deploy, update and remove requests refused for a missing or wrong credential",
            registry=self.registry,
        )

    def function_deployed(self, name: str, replicas: int = 1) -> None:
        self.service_count.labels(function_name=name).set(replicas)
        self.inflight.labels(function_name=name).set(0)

    def function_removed(self, name: str) -> None:
        for gauge in (self.service_count, self.inflight):
            with contextlib.suppress(KeyError):
                gauge.remove(name)

    def invocation_finished(self, name: str, code: int, seconds: float) -> None:
        self.invocations.labels(function_name=name, code=str(code)).inc()
        self.seconds.labels(function_name=name, code=str(code)).observe(seconds)

    def set_inflight(self, name: str, inflight: int) -> None:
        self.inflight.labels(function_name=name).set(inflight)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
