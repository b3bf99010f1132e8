"""Data the strategies work on: what this node observed, what peers told us, the plan.

Pure values: no I/O, no clock, no libp2p. The control loop fills an `Observation`
from HAProxy, Prometheus and the gateway; the `PeerTable` hands out `PeerInfo`
snapshots; a strategy turns both into a `Plan` that the HAProxy adapter applies
and the overlay announces. The simulator builds the same values by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from dfaas_agent.node_defaults import PUBLIC_PORT

if TYPE_CHECKING:
    from dfaas_agent.messages import Message


def _require_rate(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite rate >= 0 req/s, got {value!r}")


def _require_optional_amount(name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise ValueError(f"{name} must be finite and >= 0 or None, got {value!r}")


class UsageGroup(StrEnum):
    """Resource-usage class of a function, as in the prototype's group list."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# The scale of a plan's weights: a function's local and peer weights add up to this.
MAX_WEIGHT = 100


@dataclass(frozen=True, slots=True)
class ResourceUsage:
    """Node resource usage: CPU in percent of one core (100 = one core), RAM in bytes.

    A field is None when it is not known (Prometheus down, no power meter).
    """

    cpu_percent: float | None = None
    ram_bytes: float | None = None
    power_microwatts: float | None = None

    def __post_init__(self) -> None:
        _require_optional_amount("cpu_percent", self.cpu_percent)
        _require_optional_amount("ram_bytes", self.ram_bytes)
        _require_optional_amount("power_microwatts", self.power_microwatts)


@dataclass(frozen=True, slots=True)
class GroupLoad:
    """Client request rates of a node summed per usage group (req/s)."""

    high: float = 0.0
    medium: float = 0.0
    low: float = 0.0

    def __post_init__(self) -> None:
        for name in ("high", "medium", "low"):
            _require_rate(f"load.{name}", getattr(self, name))

    @property
    def total(self) -> float:
        return math.fsum((self.high, self.medium, self.low))


@dataclass(frozen=True, slots=True)
class FunctionObservation:
    """One function deployed on this node, as seen over the last period."""

    maxrate: float | None
    """`dfaas.maxrate` label (req/s this node can serve), None when absent."""
    timeout_ms: int | None
    """`dfaas.timeout_ms` label, None when absent."""
    offered_rate: float
    """Client requests per second that arrived at this node (not from peers)."""
    executed_for_peers: Mapping[str, float] = field(default_factory=dict)
    """Requests per second executed here on behalf of each peer (by peer ID)."""
    executed_rate: float | None = None
    """All requests per second executed here (clients and peers), when measured."""
    slots: int | None = None
    """Calls the runtime runs at once (OpenFaaS max_inflight x replicas); None: unknown."""
    service_time_s: float | None = None
    """Measured average time of one call here; None until calls were measured."""
    local_rate: float | None = None
    """Client requests per second executed here, when measured."""
    forwarded_rates: Mapping[str, float] = field(default_factory=dict)
    """Client requests per second sent to each member (by peer ID), when measured; a
    request that one member refused and another ran counts for both."""

    def __post_init__(self) -> None:
        _require_optional_amount("maxrate", self.maxrate)
        _require_optional_amount("local_rate", self.local_rate)
        for peer, rate in self.forwarded_rates.items():
            _require_rate(f"forwarded_rates[{peer}]", rate)
        if self.slots is not None and self.slots < 1:
            raise ValueError(f"slots must be >= 1 or None, got {self.slots!r}")
        if self.service_time_s is not None and not (
            math.isfinite(self.service_time_s) and self.service_time_s > 0
        ):
            raise ValueError(f"service_time_s must be > 0 or None, got {self.service_time_s!r}")
        if self.timeout_ms is not None and self.timeout_ms <= 0:
            raise ValueError(f"timeout_ms must be > 0 or None, got {self.timeout_ms!r}")
        _require_rate("offered_rate", self.offered_rate)
        for peer, rate in self.executed_for_peers.items():
            _require_rate(f"executed_for_peers[{peer}]", rate)
        _require_optional_amount("executed_rate", self.executed_rate)

    @property
    def learned_rate(self) -> float | None:
        """What the slots can run per second at the measured call time (slots / time)."""
        if self.slots is None or self.service_time_s is None:
            return None
        return self.slots / self.service_time_s

    @property
    def capacity(self) -> float | None:
        """Requests per second this node can run: the `dfaas.maxrate` label where set
        (the operator's word), else what its slots were measured to run, else unknown."""
        return self.maxrate if self.maxrate is not None else self.learned_rate

    @property
    def refused_rate(self) -> float | None:
        """Client requests per second neither run here nor sent to a member (503 here),
        when measured: a lower bound, as a request sent twice counts twice in
        `forwarded_rates`, and one refused by every member it tried is not in it."""
        if self.local_rate is None:
            return None
        handled = math.fsum((self.local_rate, *self.forwarded_rates.values()))
        return max(0.0, self.offered_rate - handled)

    @property
    def peer_rate(self) -> float:
        return math.fsum(self.executed_for_peers.values())

    @property
    def load_rate(self) -> float:
        """Requests per second executed here: measured, else offered plus peers' requests."""
        if self.executed_rate is not None:
            return self.executed_rate
        return self.offered_rate + self.peer_rate


@dataclass(frozen=True, slots=True)
class Observation:
    """Everything a strategy knows about this node for one period."""

    peer_id: str
    """This node's own peer ID."""
    functions: Mapping[str, FunctionObservation]
    cpu_percent: float | None = None
    """Measured node CPU use, percent of one core; None when Prometheus is down."""
    ram_bytes: float | None = None
    """Measured node RAM in use, bytes; None when Prometheus is down."""
    forecast: ResourceUsage | None = None
    """Optional external forecast of usage at the offered load (prototype forecaster)."""
    shares: Mapping[str, FunctionShares] | None = None
    """Strategy `external`: the policy endpoint's split of each function's client
    requests for this period, validated; None when it gave no usable answer."""

    def __post_init__(self) -> None:
        _require_optional_amount("cpu_percent", self.cpu_percent)
        _require_optional_amount("ram_bytes", self.ram_bytes)


# A policy's shares may miss 1 by this much (float32 softmax outputs); they are rescaled.
SHARES_TOLERANCE = 1e-3


@dataclass(frozen=True, slots=True)
class FunctionShares:
    """How one function's client requests are to be split: fractions that sum to 1."""

    local: float
    """Run here."""
    members: Mapping[str, float]
    """Sent to each member, by peer ID."""
    reject: float
    """Refused (503)."""

    def __post_init__(self) -> None:
        parts = {"local": self.local, "reject": self.reject}
        parts.update({f"members[{peer}]": share for peer, share in self.members.items()})
        for name, share in parts.items():
            if not math.isfinite(share) or not 0 <= share <= 1:
                raise ValueError(f"share {name} must be finite and in [0, 1], got {share!r}")
        whole = math.fsum(parts.values())
        if abs(whole - 1) > SHARES_TOLERANCE:
            raise ValueError(f"shares must sum to 1, got {whole:.6g}")

    @property
    def forwarded(self) -> float:
        return math.fsum(self.members.values())


@dataclass(frozen=True, slots=True)
class StrategySettings:
    """The part of the agent's configuration that strategies read."""

    node_ip: str | None
    """Address announced to peers as HAProxyHost."""
    public_port: int = PUBLIC_PORT
    members: frozenset[str] = frozenset()
    """Federation member peer IDs; empty means "whoever the overlay admitted"."""
    period_s: float = 60.0
    cpu_threshold_percent: float = 120.0
    ram_threshold_bytes: float = 5_500_000_000.0
    power_threshold_microwatts: float = 2_100_000.0
    node_type: int = 1
    function_groups: Mapping[str, UsageGroup] = field(default_factory=dict)
    fallback_strategy: str = "recalc"
    """Strategy `external`: the strategy that plans when the policy gave no usable answer
    (and whose announcements it makes every period)."""

    def group_of(self, function: str) -> UsageGroup:
        return self.function_groups.get(function, UsageGroup.MEDIUM)


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """What the federation told us about one peer, valid at snapshot time."""

    peer_id: str
    host: str | None = None
    """Address of the peer's HAProxy; None until a node-info message arrived."""
    port: int | None = None
    functions: frozenset[str] = frozenset()
    granted_to_us: Mapping[str, float] = field(default_factory=dict)
    """Recalc: req/s per function the peer accepts from us (its LimitOut for us)."""
    node_type: int | None = None
    max_values: ResourceUsage | None = None
    margin: float | None = None
    """Node margin: percentage points of its utilisation the peer offers each neighbour."""
    load: GroupLoad | None = None
    spare_rate: float | None = None
    """Our agents' extension: req/s the peer can absorb from each neighbour."""
    last_seen: float = 0.0

    @property
    def reachable(self) -> bool:
        """True once we know where to forward requests to."""
        return self.host is not None and self.port is not None

    def hosts(self, function: str) -> bool:
        return function in self.functions


@dataclass(frozen=True, slots=True)
class FunctionPlan:
    """How this node handles one function until the next period.

    Data path: client requests up to `local_limit` req/s (None: no limit) run here.
    Any other client request is split by weighted round robin between this node
    (`local_weight`) and peers (`peer_weights`); when all those weights are zero
    it is rejected (503). Requests from a peer always run here; `admitted_rates`
    is what we granted each peer. A grant of 0 means "no reserved share", not
    "reject every request": the data path must not turn it into a deny-all rule.
    """

    local_limit: float | None
    local_weight: int
    peer_weights: Mapping[str, int]
    admitted_rates: Mapping[str, float]
    local_rate: float
    """Expected req/s of client requests run here, given the observed offer."""
    forward_rates: Mapping[str, float]
    """Expected req/s forwarded to each peer, given the observed offer."""
    timeout_ms: int | None = None

    @property
    def forwarded_rate(self) -> float:
        return math.fsum(self.forward_rates.values())


@dataclass(frozen=True, slots=True)
class Plan:
    """The output of a strategy for one period."""

    strategy: str
    functions: Mapping[str, FunctionPlan]
    announcements: tuple[Message, ...] = ()
    """Messages to publish on the federation topic this period."""
