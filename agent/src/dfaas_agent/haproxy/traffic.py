"""Per-function traffic over a period, in domain terms, from HAProxy's counters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dfaas_agent.haproxy import identifiers
from dfaas_agent.haproxy.layout import ProxyLayout
from dfaas_agent.haproxy.stats import RequestRates


@dataclass(frozen=True)
class FunctionTraffic:
    """Requests per second of one function over the period.

    - `client_rate`: from clients, on the public port (served or not);
    - `local_rate`: of those, executed here;
    - `forwarded_rates`: of those, sent to each member (by peer ID; a request
      tried on two members counts for both);
    - `from_members_rates`: forwarded to us by each member and executed here.
    """

    client_rate: float
    local_rate: float
    forwarded_rates: dict[str, float]
    from_members_rates: dict[str, float] = field(default_factory=dict)
    service_time_s: float | None = None
    """Average time the runtime takes to answer one call here (HAProxy's `rtime`)."""

    @property
    def from_members_rate(self) -> float:
        return math.fsum(self.from_members_rates.values())

    @property
    def executed_here_rate(self) -> float:
        return self.local_rate + self.from_members_rate


def function_traffic(layout: ProxyLayout, rates: RequestRates) -> dict[str, FunctionTraffic]:
    """Traffic of every function of `layout`; a counter missing from `rates` reads 0."""
    traffic = {}
    for function in layout.functions:
        name = function.name
        backend = identifiers.function_backend(name)
        from_members = {
            peer_id: rate
            for peer_id in layout.peer_port_members
            if (
                rate := rates.tables.get(
                    (identifiers.PEER_ADMISSIONS_TABLE, identifiers.admission_key(name, peer_id)),
                    0.0,
                )
            )
            > 0
        }
        executed = rates.backends.get(identifiers.run_backend(name), 0.0)
        traffic[name] = FunctionTraffic(
            client_rate=rates.tables.get((identifiers.CLIENT_REQUESTS_TABLE, name), 0.0),
            local_rate=max(0.0, executed - math.fsum(from_members.values())),
            forwarded_rates={
                member.peer_id: rates.servers.get(
                    (backend, identifiers.member_server(member.name)), 0.0
                )
                for member in layout.members
            },
            from_members_rates=from_members,
            service_time_s=_seconds(
                rates.response_times_ms.get(
                    (identifiers.run_backend(name), identifiers.LOCAL_SERVER)
                )
            ),
        )
    return traffic


def _seconds(milliseconds: int | None) -> float | None:
    return milliseconds / 1000 if milliseconds else None
