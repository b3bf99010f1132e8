"""The overlay on py-libp2p: TCP host, signed GossipSub, optional Kademlia rendezvous."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost, INetConn, INetStream, INetwork, INotifee
from libp2p.custom_types import TProtocol
from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID, PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.tools.anyio_service import background_trio_service

from .discovery import discover_forever
from .interface import Gossip, OverlayStats
from .keys import libp2p_key_pair, peer_id_of
from .membership import MembershipRule, Verdict
from .redial import keep_connected
from .settings import OverlaySettings, parse_multiaddr, peer_id_in

log = logging.getLogger(__name__)

# Messages a slow subscriber may lag behind before new ones are dropped for it.
SUBSCRIBER_BUFFER = 256
# Safety net should a disconnect notification ever be missed.
_DISCONNECT_RECHECK_S = 5.0
# go-libp2p's GossipSub defaults (py-libp2p's heartbeat default is 120 s).
_GOSSIP_DEGREE, _GOSSIP_DEGREE_LOW, _GOSSIP_DEGREE_HIGH = 6, 4, 12
_GOSSIP_HEARTBEAT_S = 1


class _Subscription:
    """An async iterator over the gossip delivered after it was created."""

    def __init__(self, registry: set[trio.MemorySendChannel[Gossip]]) -> None:
        self._send, self._receive = trio.open_memory_channel[Gossip](SUBSCRIBER_BUFFER)
        self._registry = registry
        registry.add(self._send)

    def __aiter__(self) -> _Subscription:
        return self

    async def __anext__(self) -> Gossip:
        try:
            return await self._receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise StopAsyncIteration from None

    def end(self) -> None:
        """No more messages: iteration stops once the buffered ones are read."""
        self._registry.discard(self._send)
        self._send.close()

    async def aclose(self) -> None:
        self._registry.discard(self._send)
        await self._send.aclose()
        await self._receive.aclose()


class _ConnectionWatch(INotifee):
    """Wakes redial loops on every connection change and turns non-members away."""

    def __init__(self, overlay: Libp2pOverlay) -> None:
        self._overlay = overlay
        self.changed = trio.Event()

    def _signal(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        self._overlay._on_connected(conn.muxed_conn.peer_id)
        self._signal()

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        self._signal()

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def listen(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        pass

    async def listen_close(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        pass


def _without_swarm_negative_cache(host: IHost) -> None:
    """Our redial loop owns the retry schedule: libp2p's swarm would otherwise
    refuse to dial a peer for 60 s after one failure and retry on its own."""
    network: Any = host.get_network()
    network.retry_config.max_retries = 0
    negative_cache = getattr(network, "_negative_peer_cache", None)
    if negative_cache is not None:
        network._negative_peer_cache = type(negative_cache)(ttl=0.0)


def _guard_gossip_streams(
    host: IHost, pubsub: Pubsub, protocols: list[TProtocol], on_garbage: Callable[[str], None]
) -> None:
    """py-libp2p 0.8.1 lets a protobuf decode error escape the GossipSub stream
    handler, which takes the whole swarm down: one peer sending garbage would
    stop the overlay. Wrap the handler so garbage costs only that stream."""

    async def guarded(stream: INetStream) -> None:
        try:
            await pubsub.stream_handler(stream)
        except Exception as error:  # whatever the bytes were, the overlay keeps running
            on_garbage(f"{stream.muxed_conn.peer_id.to_base58()}: {error!r}")
            with contextlib.suppress(Exception):
                await stream.reset()

    for protocol in protocols:
        host.set_stream_handler(protocol, guarded)


class Libp2pOverlay:
    """The agent's overlay. Build it with validated settings, then
    ``async with overlay.join(): ...``; one join per instance."""

    def __init__(self, settings: OverlaySettings, *, rng: random.Random | None = None) -> None:
        self._settings = settings
        self._key_pair = libp2p_key_pair(settings.key)
        self._peer_id = peer_id_of(settings.key)
        self._members = settings.members - {self._peer_id}
        self._rule = MembershipRule(self._peer_id, self._members, settings.max_payload_bytes)
        self._rng = rng if rng is not None else random.Random()
        self._stats = OverlayStats()
        self._subscribers: set[trio.MemorySendChannel[Gossip]] = set()
        self._watch = _ConnectionWatch(self)
        self._kept: set[str] = set()
        self._host: IHost | None = None
        self._pubsub: Pubsub | None = None
        self._dht: KadDHT | None = None
        self._nursery: trio.Nursery | None = None
        self._left = False

    @property
    def peer_id(self) -> str:
        return self._peer_id

    @property
    def stats(self) -> OverlayStats:
        return self._stats

    @asynccontextmanager
    async def join(self) -> AsyncIterator[None]:
        if self._host is not None:
            raise RuntimeError("this overlay has already joined; build a new one")
        settings = self._settings
        listen = [parse_multiaddr(address, "listen") for address in settings.listen]
        host = new_host(key_pair=self._key_pair, listen_addrs=listen)
        _without_swarm_negative_cache(host)
        gossipsub = GossipSub(
            protocols=[PROTOCOL_ID_V11, PROTOCOL_ID],
            degree=_GOSSIP_DEGREE,
            degree_low=_GOSSIP_DEGREE_LOW,
            degree_high=_GOSSIP_DEGREE_HIGH,
            heartbeat_initial_delay=0.1,
            heartbeat_interval=_GOSSIP_HEARTBEAT_S,
        )
        # strict_signing: every message carries its originator's signature and
        # libp2p drops those whose signature does not match their `from` peer.
        pubsub = Pubsub(host, gossipsub, strict_signing=True)
        _guard_gossip_streams(host, pubsub, gossipsub.get_protocols(), self._on_garbage)
        pubsub.set_topic_validator(settings.topic, self._validate, is_async_validator=False)
        host.get_network().register_notifee(self._watch)
        self._host, self._pubsub = host, pubsub
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(host.run(listen_addrs=listen))
            await stack.enter_async_context(background_trio_service(pubsub))
            await stack.enter_async_context(background_trio_service(gossipsub))
            if settings.rendezvous is not None:
                self._dht = KadDHT(host, DHTMode.SERVER)
                await stack.enter_async_context(background_trio_service(self._dht))
            await pubsub.wait_until_ready()
            subscription = await pubsub.subscribe(settings.topic)
            self._nursery = await stack.enter_async_context(trio.open_nursery())
            stack.callback(self._close_subscribers)
            stack.callback(self._nursery.cancel_scope.cancel)
            self._nursery.start_soon(self._pump, subscription)
            for address in settings.bootstrap:
                self._keep(peer_id_in(address), (address,))
            if self._dht is not None and settings.rendezvous is not None:
                self._nursery.start_soon(
                    discover_forever,
                    self._dht,
                    settings.rendezvous,
                    settings.discovery_interval_s,
                    self._keep,
                )
            log.info("overlay up as %s on %s", self._peer_id, ", ".join(self.listen_addresses()))
            yield

    async def publish(self, payload: bytes) -> None:
        if len(payload) > self._settings.max_payload_bytes:
            raise ValueError(
                f"payload of {len(payload)} bytes exceeds max_payload_bytes "
                f"({self._settings.max_payload_bytes})"
            )
        if self._pubsub is None or self._nursery is None:
            raise RuntimeError("publish before join(): the overlay is not running")
        await self._pubsub.publish(self._settings.topic, payload)
        self._stats.published += 1
        self._stats.published_bytes += len(payload)

    def subscribe(self) -> _Subscription:
        subscription = _Subscription(self._subscribers)
        if self._left:
            subscription.end()
        return subscription

    def members(self) -> frozenset[str]:
        if self._host is None:
            return frozenset()
        connected = self._host.get_network().get_connections_map()
        return frozenset(
            peer_id
            for peer_id in (peer.to_base58() for peer, conns in connected.items() if conns)
            if peer_id in self._members
        )

    def listen_addresses(self) -> list[str]:
        if self._host is None:
            return []
        return [
            f"{address}/p2p/{self._peer_id}" if "/p2p/" not in str(address) else str(address)
            for address in self._host.get_addrs()
        ]

    async def dial(self, address: str) -> None:
        if self._nursery is None:
            raise RuntimeError("dial before join(): the overlay is not running")
        self._keep(peer_id_in(address), (address,))

    # -- internals -------------------------------------------------------------

    def _keep(self, peer_id: str, addresses: tuple[str, ...]) -> None:
        """Keep ``peer_id`` connected from now on (idempotent; members only)."""
        if peer_id == self._peer_id or peer_id in self._kept or self._nursery is None:
            return
        if peer_id not in self._members:
            log.warning("not dialling %s: not on the member list", peer_id)
            return
        usable = tuple(a if "/p2p/" in a else f"{a}/p2p/{peer_id}" for a in addresses)
        if not usable:
            return
        self._kept.add(peer_id)
        self._nursery.start_soon(self._keep_connected, peer_id, usable)

    async def _keep_connected(self, peer_id: str, addresses: tuple[str, ...]) -> None:
        await keep_connected(
            peer_id,
            addresses,
            self,
            self._settings.backoff,
            self._rng,
            dial_timeout_s=self._settings.dial_timeout_s,
            on_failure=self._on_dial_failure,
        )

    def _on_garbage(self, detail: str) -> None:
        self._stats.dropped_malformed += 1
        log.warning("dropped a malformed gossip stream from %s", detail)

    def _on_dial_failure(self, peer_id: str, error: Exception) -> None:
        self._stats.dial_failures += 1
        log.debug("dial to %s failed: %s", peer_id, error)

    async def connect(self, peer_id: str, addresses: tuple[str, ...]) -> None:
        """PeerLink: one dial of ``peer_id`` at any of ``addresses``."""
        if self._host is None:
            raise RuntimeError("connect before join(): the overlay is not running")
        target = ID.from_base58(peer_id)
        parsed = [parse_multiaddr(a, "peer address").decapsulate_code(421) for a in addresses]
        await self._host.connect(PeerInfo(target, parsed))
        if self._dht is not None:
            await self._dht.add_peer(target)

    async def wait_disconnected(self, peer_id: str) -> None:
        """PeerLink: return once ``peer_id`` has no connection left."""
        while peer_id in self._connected_peer_ids():
            with trio.move_on_after(_DISCONNECT_RECHECK_S):
                await self._watch.changed.wait()

    def _connected_peer_ids(self) -> set[str]:
        if self._host is None:
            return set()
        connected = self._host.get_network().get_connections_map()
        return {peer.to_base58() for peer, conns in connected.items() if conns}

    def _on_connected(self, peer: ID) -> None:
        if peer.to_base58() in self._members or self._nursery is None or self._host is None:
            return
        self._stats.refused_non_member_connections += 1
        log.warning("closing connection from %s: not on the member list", peer.to_base58())
        self._nursery.start_soon(self._host.disconnect, peer)

    def _validate(self, forwarder: ID, message: rpc_pb2.Message) -> bool:
        """GossipSub topic validator; runs after libp2p checked the signature."""
        verdict = self._rule.judge(ID(message.from_id).to_base58(), len(message.data))
        if verdict is Verdict.NON_MEMBER:
            self._stats.dropped_non_member += 1
        elif verdict is Verdict.OVERSIZE:
            self._stats.dropped_oversize += 1
        return verdict in (Verdict.DELIVER, Verdict.OWN)

    async def _pump(self, subscription: Any) -> None:
        """Fan libp2p's single subscription out to our subscribers."""
        while True:
            message = await subscription.get()
            sender = ID(message.from_id).to_base58()
            if sender == self._peer_id:
                continue
            self._stats.received += 1
            gossip = Gossip(sender=sender, payload=bytes(message.data))
            self._stats.received_bytes += len(gossip.payload)
            for channel in list(self._subscribers):
                try:
                    channel.send_nowait(gossip)
                except trio.WouldBlock:
                    self._stats.dropped_slow_subscriber += 1
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self._subscribers.discard(channel)

    def _close_subscribers(self) -> None:
        self._left = True
        for channel in list(self._subscribers):
            channel.close()
        self._subscribers.clear()
