"""The overlay as the rest of the agent sees it: no libp2p type crosses this line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .settings import OverlaySettings


@dataclass(frozen=True)
class Gossip:
    """One message received on the federation topic.

    ``sender`` is the peer ID that signed the message (verified by libp2p),
    not the peer that happened to forward it to us.
    """

    sender: str
    payload: bytes


@dataclass
class OverlayStats:
    """Counters for the agent's ``/status`` and ``/metrics`` endpoints."""

    published: int = 0
    received: int = 0
    published_bytes: int = 0
    """Payload bytes published (the announcements, without libp2p's framing)."""
    received_bytes: int = 0
    dropped_non_member: int = 0
    dropped_oversize: int = 0
    dropped_malformed: int = 0
    dropped_slow_subscriber: int = 0
    refused_non_member_connections: int = 0
    refused_over_rate_connections: int = 0
    """Inbound connections closed before their handshake: their source address opened
    more than its rate (`inbound_gate.py`)."""
    superseded_connections: int = 0
    """A member's older connections closed when it connected again (it came back)."""
    dial_failures: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class GossipFeed(Protocol):
    """Messages from members as they arrive; `aclose()` stops the delivery."""

    def __aiter__(self) -> AsyncIterator[Gossip]: ...

    async def __anext__(self) -> Gossip: ...

    async def aclose(self) -> None: ...


class Overlay(Protocol):
    """A federation overlay: a member-only broadcast channel between agents."""

    @property
    def peer_id(self) -> str:
        """This agent's own peer ID ("12D3KooW...")."""
        ...

    @property
    def stats(self) -> OverlayStats: ...

    def join(self) -> AbstractAsyncContextManager[None]:
        """Start listening, subscribe to the topic and dial bootstrap peers in the
        background; leaving the context stops everything."""
        ...

    async def publish(self, payload: bytes) -> None:
        """Broadcast ``payload`` to every member subscribed to the topic."""
        ...

    def subscribe(self) -> GossipFeed:
        """Messages from members, our own excluded, from now on, until `aclose()` (an
        overlay kept across agent reloads outlives its subscribers)."""
        ...

    def members(self) -> frozenset[str]:
        """Peer IDs of the members we are connected to right now."""
        ...

    def listen_addresses(self) -> list[str]:
        """Our full multiaddrs (``.../p2p/<peer id>``), to hand to other agents."""
        ...

    async def dial(self, address: str) -> None:
        """Connect to ``/ip4/.../tcp/.../p2p/<peer id>`` once and keep redialling
        it in the background should the connection drop."""
        ...


class ChangeableOverlay(Overlay, Protocol):
    """An overlay that takes a changed member list without leaving (a reload that
    admits or removes a node keeps every other member's connection)."""

    def can_change_to(self, settings: OverlaySettings) -> bool:
        """Whether `settings` differ from the running ones only in what
        `change_members` applies (members, bootstrap addresses, limits)."""
        ...

    def change_members(self, settings: OverlaySettings) -> None:
        """Apply `settings` while joined; `ValueError` where `can_change_to` is False."""
        ...
