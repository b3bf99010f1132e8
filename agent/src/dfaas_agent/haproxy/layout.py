"""What the HAProxy adapter is asked to do, in its own small types.

`ProxyLayout` is structural: it changes when the member set or the function set
changes, and only then is the configuration rendered and HAProxy reloaded.
`ProxyTuning` changes every period and is applied through the runtime API.
The wiring layer converts a strategy's plan into these types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dfaas_agent.model import MAX_WEIGHT
from dfaas_agent.node_defaults import (
    HAPROXY_EXPORTER_PORT,
    HAPROXY_MAXCONN_BOUNDS,
    PEER_PORT,
    PUBLIC_CONNECTIONS_PER_SOURCE,
    PUBLIC_PORT,
)

MAX_SLOTS = 100_000
# The public port's share of HAProxy's connections; the rest stays for the peer port.
PUBLIC_SHARE = 0.9

# A function name must be usable as one URL path segment and inside a config line.
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# Node names become server names and header values.
_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# libp2p peer IDs are base58 (or base32 CIDs): letters and digits only.
_PEER_ID = re.compile(r"[A-Za-z0-9]{1,128}")
# A host is an IPv4 address, a bracket-free IPv6 address or a DNS name.
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:-]{0,252}")


class LayoutError(ValueError):
    """A layout or tuning value that cannot be turned into a safe configuration."""


def _check(pattern: re.Pattern[str], value: str, what: str) -> None:
    if not pattern.fullmatch(value):
        raise LayoutError(f"invalid {what} {value!r}: must match {pattern.pattern}")


def _check_port(port: int, what: str) -> None:
    if not 1 <= port <= 65535:
        raise LayoutError(f"invalid {what} {port}: must be 1..65535")


@dataclass(frozen=True)
class HealthCheck:
    """How quickly a dead server stops receiving traffic (and comes back)."""

    interval_s: int = 1
    fall: int = 2
    rise: int = 2
    timeout_s: int = 1

    def __post_init__(self) -> None:
        for name in ("interval_s", "fall", "rise", "timeout_s"):
            if getattr(self, name) < 1:
                raise LayoutError(f"health check {name} must be at least 1")


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections HAProxy holds, and how many one client may take.

    `maxconn`: HAProxy's global limit; 0 leaves it to HAProxy, which derives it from its
    open-files limit. When set, the public port takes at most `PUBLIC_SHARE` of it:
    clients, however many, leave connections for members' forwarded requests and for
    Prometheus. `public_per_source`: connections one client address (an IPv6 /64) may
    hold open on the public port, beyond which its new ones are closed at once (0: no
    limit).
    """

    maxconn: int = 0
    public_per_source: int = PUBLIC_CONNECTIONS_PER_SOURCE

    def __post_init__(self) -> None:
        low, high = HAPROXY_MAXCONN_BOUNDS
        if self.maxconn != 0 and not low <= self.maxconn <= high:
            raise LayoutError(f"invalid maxconn {self.maxconn}: must be 0 or {low}..{high}")
        if not 0 <= self.public_per_source <= high:
            raise LayoutError(
                f"invalid public connections per source {self.public_per_source}:"
                f" must be 0 (no limit) .. {high}"
            )

    @property
    def public_maxconn(self) -> int:
        """The public frontend's maxconn; 0: none (the global limit only)."""
        return int(self.maxconn * PUBLIC_SHARE)


@dataclass(frozen=True)
class PeerTls:
    """Federation mutual TLS material.

    `certificate_file` is a PEM file holding this node's certificate (CN = its
    peer ID), the chain if any, and its private key, as HAProxy's `crt` expects.
    """

    ca_file: Path
    certificate_file: Path


@dataclass(frozen=True)
class Member:
    """Another member of the federation that excess requests may go to."""

    peer_id: str
    name: str
    host: str
    peer_port: int = PEER_PORT

    def __post_init__(self) -> None:
        _check(_PEER_ID, self.peer_id, "member peer ID")
        _check(_NODE_NAME, self.name, "member name")
        _check(_HOST, self.host, "member host")
        _check_port(self.peer_port, f"peer port of member {self.name}")


@dataclass(frozen=True)
class FunctionSpec:
    """A function served at /function/<name>."""

    name: str
    timeout_ms: int | None = None

    def __post_init__(self) -> None:
        _check(_FUNCTION_NAME, self.name, "function name")
        if self.timeout_ms is not None and self.timeout_ms <= 0:
            raise LayoutError(f"function {self.name}: timeout_ms must be positive")


@dataclass(frozen=True)
class ProxyLayout:
    """The structure of this node's proxy: who we are, our members, our functions."""

    node_id: str
    node_name: str
    gateway_host: str
    gateway_port: int
    members: tuple[Member, ...] = ()
    functions: tuple[FunctionSpec, ...] = ()
    tls: PeerTls | None = None
    bind_address: str = "0.0.0.0"
    public_port: int = PUBLIC_PORT
    peer_port: int = PEER_PORT
    exporter_port: int = HAPROXY_EXPORTER_PORT
    # The local Prometheus scrapes the exporter; nobody else needs it.
    exporter_address: str = "127.0.0.1"
    health_check: HealthCheck = field(default_factory=HealthCheck)
    latency_log_port: int = 0
    """UDP port on 127.0.0.1 that gets one log line per request (`latency_log`); 0: none."""
    admitted_peers: frozenset[str] | None = None
    """Peer IDs whose certificates the peer port serves: the configured members,
    whether or not they are alive now. None: the `members` of this layout."""
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)

    @property
    def peer_port_members(self) -> tuple[str, ...]:
        """Sorted peer IDs that the peer port admits."""
        if self.admitted_peers is None:
            return tuple(sorted(m.peer_id for m in self.members))
        return tuple(sorted(self.admitted_peers - {self.node_id}))

    def __post_init__(self) -> None:
        _check(_PEER_ID, self.node_id, "node ID")
        _check(_NODE_NAME, self.node_name, "node name")
        _check(_HOST, self.gateway_host, "gateway host")
        _check(_HOST, self.bind_address, "bind address")
        _check(_HOST, self.exporter_address, "exporter address")
        _check_port(self.gateway_port, "gateway port")
        _check_port(self.public_port, "public port")
        _check_port(self.peer_port, "peer port")
        _check_port(self.exporter_port, "exporter port")
        if self.latency_log_port != 0:
            _check_port(self.latency_log_port, "latency log port")
        if self.members and self.tls is None:
            raise LayoutError("members need peer TLS: forwarding only goes over mutual TLS")
        _require_unique([m.peer_id for m in self.members], "member peer ID")
        _require_unique([m.name for m in self.members], "member name")
        _require_unique([f.name for f in self.functions], "function name")
        if self.node_id in {m.peer_id for m in self.members}:
            raise LayoutError(f"node ID {self.node_id} is listed among its own members")
        for peer_id in sorted(self.admitted_peers or ()):
            _check(_PEER_ID, peer_id, "admitted peer ID")


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise LayoutError(f"duplicate {what} {value!r}")
        seen.add(value)


@dataclass(frozen=True)
class ProxyTuning:
    """One period's decisions.

    - `local_limits`: per function, requests/s executed locally before the excess
      goes to members; None (or absent) means unlimited.
    - `weights`: per function, per member peer ID, 0..100 share of the excess;
      absent means 0 (no excess to that member).
    - `admitted_rates`: per function, per member peer ID, requests/s we accept
      from that member; absent means not policed, 0 means none accepted.
    - `slots`: per function, the requests the runtime executes at once here;
      None (or absent) means unknown: no concurrency limit, the rate limit alone.
    - `queue_places`: per function with known slots, how many more may wait for a
      slot (a burst waits briefly instead of being sent away or refused).
    """

    local_limits: dict[str, int | None] = field(default_factory=dict)
    weights: dict[str, dict[str, int]] = field(default_factory=dict)
    admitted_rates: dict[str, dict[str, int]] = field(default_factory=dict)
    slots: dict[str, int | None] = field(default_factory=dict)
    queue_places: dict[str, int] = field(default_factory=dict)

    def check_against(self, layout: ProxyLayout) -> None:
        """Refuse values that name unknown functions/members or are out of range."""
        functions = {f.name for f in layout.functions}
        members = {m.peer_id for m in layout.members}
        for function, limit in self.local_limits.items():
            _known(function, functions, "function")
            if limit is not None and limit < 0:
                raise LayoutError(f"local limit of {function} must be >= 0, got {limit}")
        for function, slots in self.slots.items():
            _known(function, functions, "function")
            if slots is not None and not 1 <= slots <= MAX_SLOTS:
                raise LayoutError(f"slots of {function} must be 1..{MAX_SLOTS}, got {slots}")
        for function, places in self.queue_places.items():
            _known(function, functions, "function")
            if not 0 <= places <= MAX_SLOTS:
                raise LayoutError(
                    f"queue places of {function} must be 0..{MAX_SLOTS}, got {places}"
                )
        for table, what in ((self.weights, "weight"), (self.admitted_rates, "admitted rate")):
            for function, per_member in table.items():
                _known(function, functions, "function")
                for peer_id, value in per_member.items():
                    _known(peer_id, members, "member")
                    if value < 0 or (what == "weight" and value > MAX_WEIGHT):
                        raise LayoutError(
                            f"{what} of {function} for {peer_id} out of range: {value}"
                        )

    def local_limit(self, function: str) -> int | None:
        return self.local_limits.get(function)

    def slot_count(self, function: str) -> int | None:
        return self.slots.get(function)

    def room(self, function: str) -> int | None:
        """Requests that may be running or waiting here at once; None: unbounded."""
        slots = self.slots.get(function)
        return None if slots is None else slots + self.queue_places.get(function, 0)

    def weight(self, function: str, peer_id: str) -> int:
        return self.weights.get(function, {}).get(peer_id, 0)

    def admitted_rate(self, function: str, peer_id: str) -> int | None:
        return self.admitted_rates.get(function, {}).get(peer_id)


def _known(name: str, known: set[str], what: str) -> None:
    if name not in known:
        raise LayoutError(f"tuning names unknown {what} {name!r}")
