"""What an overlay needs to know, checked once when it is built."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import multiaddr
from multiaddr.exceptions import Error as MultiaddrError

from dfaas_agent.node_defaults import OVERLAY_LISTEN

from .backoff import BackoffPolicy
from .keys import AgentKey, is_peer_id, peer_id_of

DEFAULT_LISTEN = OVERLAY_LISTEN
DEFAULT_TOPIC = "/dfaasagent/1.0.0"
# Upstream messages are small JSON objects; anything near this size is an attack or a bug.
DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024


def parse_multiaddr(text: str, what: str) -> multiaddr.Multiaddr:
    try:
        return multiaddr.Multiaddr(text)
    except (MultiaddrError, ValueError, TypeError) as error:
        raise ValueError(f"{what}: {text!r} is not a multiaddr ({error})") from error


def peer_id_in(address: str) -> str:
    """The peer ID at the end of ``/ip4/.../tcp/.../p2p/<peer id>``."""
    parsed = parse_multiaddr(address, "peer address")
    try:
        peer_id = str(parsed.value_for_protocol("p2p"))
    except MultiaddrError as error:
        raise ValueError(f"peer address {address!r} lacks a /p2p/<peer id> part") from error
    return peer_id


def ip_addresses_in(addresses: Iterable[str]) -> set[str]:
    """The IP addresses in these multiaddrs (``/dns4/...`` names are left out)."""
    found = set()
    for address in addresses:
        parsed = parse_multiaddr(address, "peer address")
        for protocol in ("ip4", "ip6"):
            with contextlib.suppress(MultiaddrError):
                found.add(str(parsed.value_for_protocol(protocol)))
    return found


@dataclass(frozen=True)
class OverlaySettings:
    """Everything the libp2p overlay takes from the agent's configuration.

    ``members`` is the federation's allow-list of peer IDs; this agent's own ID
    may be on it or not. ``rendezvous`` turns on Kademlia discovery of the other
    members; ``None`` means bootstrap peers only.
    """

    key: AgentKey
    members: frozenset[str]
    listen: tuple[str, ...] = (DEFAULT_LISTEN,)
    bootstrap: tuple[str, ...] = ()
    topic: str = DEFAULT_TOPIC
    rendezvous: str | None = None
    discovery_interval_s: float = 30.0
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    dial_timeout_s: float = 10.0
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)

    def __post_init__(self) -> None:
        if not self.listen:
            raise ValueError("listen: at least one multiaddr is needed")
        for address in self.listen:
            parse_multiaddr(address, "listen")
        bad_members = sorted(member for member in self.members if not is_peer_id(member))
        if bad_members:
            raise ValueError(f"members: not peer IDs: {', '.join(bad_members)}")
        for address in self.bootstrap:
            if peer_id_in(address) not in self.members:
                raise ValueError(f"bootstrap: {address!r} is not a member's address")
        if not self.topic:
            raise ValueError("topic: must not be empty")
        if self.rendezvous is not None and not self.rendezvous:
            raise ValueError("rendezvous: must not be empty (use None to turn discovery off)")
        if self.discovery_interval_s <= 0:
            raise ValueError("discovery_interval_s: must be positive")
        if self.max_payload_bytes <= 0:
            raise ValueError("max_payload_bytes: must be positive")
        if self.dial_timeout_s <= 0:
            raise ValueError("dial_timeout_s: must be positive")

    def same_host_as(self, other: OverlaySettings) -> bool:
        """Whether `other` can be applied to a running overlay built from these settings:
        the same key, addresses, topic and discovery. Members, bootstrap addresses,
        payload bound, dial timeout and backoff change in place (`change_members`)."""
        return peer_id_of(self.key) == peer_id_of(other.key) and all(
            getattr(self, name) == getattr(other, name) for name in _HOST_FIELDS
        )


# What a libp2p host is built with: a change to any of these needs a new host.
_HOST_FIELDS = ("listen", "topic", "rendezvous", "discovery_interval_s")
