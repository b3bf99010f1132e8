"""How many connections a source address may open to the overlay port, before any
cryptography.

Whether a peer is a member is known only once the security handshake has proved its
key, so until then any TCP peer costs the agent a Noise handshake, identify and a
stream multiplexer: about 10 ms of CPU each in py-libp2p (measured: an outsider
dialling in a loop took 3 to 5 % of a core at 4 dials a second). An outsider that
dials faster would take the agent's CPU, and with it the control loop. So each source
address gets a token bucket, checked when the connection is accepted: beyond a few
connections a second it is closed unread. The members' configured addresses are
never limited; any other address (a member found by discovery, or one that connects
from an address other than its configured one) gets the bucket, which a member that
dials once and redials with backoff never empties.

IPv6 sources share one bucket per /64 (one host can own the whole prefix), and once
`max_sources` buckets are held every new source shares one more, so an address spray
neither grows memory nor escapes the limit. Pure: the caller passes the time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_RATE_PER_S = 2.0
DEFAULT_BURST = 10
DEFAULT_MAX_SOURCES = 4096
_IPV6_PREFIX = 64
_OVERFLOW = "other sources"
# A full table is swept for refilled buckets at most this often: under an address
# spray every new source would otherwise cost a scan of the whole table.
_SWEEP_EVERY_S = 1.0


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class InboundGate:
    """Token buckets per source address; `admit` says whether a connection may go on."""

    def __init__(
        self,
        *,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
        max_sources: int = DEFAULT_MAX_SOURCES,
        exempt: Iterable[str] = (),
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"rate_per_s must be above 0, got {rate_per_s!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        if max_sources < 1:
            raise ValueError(f"max_sources must be at least 1, got {max_sources!r}")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._max_sources = max_sources
        self._buckets: dict[str, _Bucket] = {}
        self._warned: set[str] = set()
        self._swept_at = float("-inf")
        self._exempt: frozenset[str] = frozenset()
        self.set_exempt(exempt)

    def set_exempt(self, hosts: Iterable[str]) -> None:
        """The addresses (the members' configured ones) that are never limited."""
        self._exempt = frozenset(_normalised(host) for host in hosts)

    def admit(self, host: str, now: float) -> bool:
        """Whether a connection from `host` (an IP address) may go on at `now` (seconds)."""
        if _normalised(host) in self._exempt:
            return True
        key = self._key(_source(host), now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self._burst, stamp=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.stamp) * self._rate)
        bucket.stamp = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def first_refusal(self, host: str) -> bool:
        """Whether this is the first refusal of `host`'s bucket (for one log line per
        source, not one per refused connection)."""
        key = _source(host)
        if key not in self._buckets:
            key = _OVERFLOW
        if key in self._warned:
            return False
        self._warned.add(key)
        return True

    @property
    def rate_per_s(self) -> float:
        return self._rate

    @property
    def sources(self) -> int:
        """Buckets held now (at most `max_sources` + 1)."""
        return len(self._buckets)

    def _key(self, source: str, now: float) -> str:
        if source in self._buckets or len(self._buckets) < self._max_sources:
            return source
        if now - self._swept_at >= _SWEEP_EVERY_S:
            self._swept_at = now
            self._forget_full_buckets(now)
        return source if len(self._buckets) < self._max_sources else _OVERFLOW

    def _forget_full_buckets(self, now: float) -> None:
        """Drop the buckets that have refilled: a source back to a full bucket is the
        same as one never seen."""
        full = [
            key
            for key, bucket in self._buckets.items()
            if key != _OVERFLOW and bucket.tokens + (now - bucket.stamp) * self._rate >= self._burst
        ]
        for key in full:
            del self._buckets[key]
            self._warned.discard(key)


def _unmapped(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`host` as an IP address, an IPv4-mapped IPv6 one as IPv4 (a dual-stack listener
    reports those); None when it is not an IP address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _normalised(host: str) -> str:
    address = _unmapped(host)
    return host if address is None else str(address)


def _source(host: str) -> str:
    """The bucket's name: the address, or its /64 for IPv6."""
    address = _unmapped(host)
    if address is None:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/{_IPV6_PREFIX}", strict=False))
    return str(address)
