"""Per-function traffic over a period, in domain terms, from HAProxy's counters."""

from __future__ import annotations

from dataclasses import dataclass

from dfaas_agent.haproxy import identifiers
from dfaas_agent.haproxy.layout import ProxyLayout
from dfaas_agent.haproxy.stats import RequestRates


@dataclass(frozen=True)
class FunctionTraffic:
    """Requests per second of one function over the period.

    - `client_rate`: from clients, on the public port;
    - `local_rate`: of those, executed here;
    - `forwarded_rates`: of those, sent to each member (by peer ID);
    - `from_members_rate`: forwarded to us by members and executed here.
    """

    client_rate: float
    local_rate: float
    forwarded_rates: dict[str, float]
    from_members_rate: float

    @property
    def executed_here_rate(self) -> float:
        return self.local_rate + self.from_members_rate


def function_traffic(layout: ProxyLayout, rates: RequestRates) -> dict[str, FunctionTraffic]:
    """Traffic of every function of `layout`; a counter missing from `rates` reads 0."""
    traffic = {}
    for function in layout.functions:
        backend = identifiers.function_backend(function.name)
        traffic[function.name] = FunctionTraffic(
            client_rate=rates.backends.get(backend, 0.0),
            local_rate=rates.servers.get((backend, identifiers.LOCAL_SERVER), 0.0),
            forwarded_rates={
                member.peer_id: rates.servers.get(
                    (backend, identifiers.member_server(member.name)), 0.0
                )
                for member in layout.members
            },
            from_members_rate=rates.backends.get(identifiers.peer_backend(function.name), 0.0),
        )
    return traffic
