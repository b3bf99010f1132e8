"""The overlay on py-libp2p: TCP host, signed GossipSub, optional Kademlia rendezvous."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost, INetConn, INetStream, INetwork, INotifee
from libp2p.custom_types import TProtocol
from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
from libp2p.network.exceptions import SwarmException
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID, PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.tools.anyio_service import background_trio_service

from .discovery import discover_forever
from .inbound_gate import InboundGate
from .interface import Gossip, OverlayStats
from .keys import libp2p_key_pair, peer_id_of
from .membership import MembershipRule, Verdict
from .redial import keep_connected
from .settings import OverlaySettings, ip_addresses_in, parse_multiaddr, peer_id_in

log = logging.getLogger(__name__)

# Messages a slow subscriber may lag behind before new ones are dropped for it.
SUBSCRIBER_BUFFER = 256
# Safety net should a disconnect notification ever be missed.
_DISCONNECT_RECHECK_S = 5.0
# A member's connection older than this is established: a newer one from the same member
# means it came back (restarted, or rebooted leaving ours half-open). Two younger ones are
# a simultaneous dial from both ends, which libp2p keeps both of.
SUPERSEDED_AFTER_S = 2.0
# How often dead gossip streams are looked for (see _heal_gossip_streams).
_STREAM_SWEEP_S = 0.5
# go-libp2p's GossipSub defaults (py-libp2p's heartbeat default is 120 s).
_GOSSIP_DEGREE, _GOSSIP_DEGREE_LOW, _GOSSIP_DEGREE_HIGH = 6, 4, 12
_GOSSIP_HEARTBEAT_S = 1
# py-libp2p 0.8.1 drops, without a word, whatever one peer hands on (its own messages
# included) beyond 10 a second on a topic: a relay for ten members that announce once a
# second, or an agent answering a burst of new members, would lose messages. Membership
# and signatures are our protection; this only bounds a member gone mad.
_MESSAGES_PER_MEMBER_PER_S = 50


def _messages_per_second(members: frozenset[str]) -> int:
    return _MESSAGES_PER_MEMBER_PER_S * max(1, len(members))


def _usable(peer_id: str, addresses: tuple[str, ...]) -> tuple[str, ...]:
    """`addresses` each ending in `/p2p/<peer_id>`."""
    return tuple(a if "/p2p/" in a else f"{a}/p2p/{peer_id}" for a in addresses)


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
        self._overlay._on_connected(conn)
        self._signal()

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        self._overlay._on_disconnected(conn)
        self._signal()

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def listen(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        pass

    async def listen_close(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        pass


def _dialling_left_to_us(host: IHost) -> None:
    """Our redial loop owns whom to dial and when. py-libp2p 0.8.1's swarm would
    otherwise refuse to dial a peer for 60 s after one failure, retry on its own, and
    run an auto-connector that dials every peer it has an address for (old addresses
    of restarted members, peers learned from the DHT) whenever it holds fewer than
    150 connections, racing our dials with duplicate connections."""
    network: Any = host.get_network()
    network.retry_config.max_retries = 0
    negative_cache = getattr(network, "_negative_peer_cache", None)
    if negative_cache is not None:
        network._negative_peer_cache = type(negative_cache)(ttl=0.0)

    async def dial_no_one() -> None:
        return None

    network.auto_connector.maybe_connect = dial_no_one


def _gate_inbound_connections(host: IHost, admit: Callable[[str], bool]) -> None:
    """Ask `admit(source address)` for each accepted TCP connection before libp2p
    starts its security handshake, and close the connection unread when it says no
    (`inbound_gate.py` says why)."""
    network: Any = host.get_network()
    upgrade = getattr(network, "upgrade_inbound_raw_conn", None)
    if upgrade is None:
        raise TypeError("py-libp2p's swarm no longer has `upgrade_inbound_raw_conn`")

    async def admitted_then_upgraded(raw_conn: Any, address: multiaddr.Multiaddr) -> Any:
        remote = raw_conn.get_remote_address()
        if remote is not None and not admit(str(remote[0])):
            await raw_conn.close()
            raise SwarmException(f"inbound connection from {remote[0]}: over its rate")
        return await upgrade(raw_conn, address)

    network.upgrade_inbound_raw_conn = admitted_then_upgraded


def _seqnos_beyond_any_earlier_run(pubsub: Pubsub) -> None:
    """py-libp2p 0.8.1 numbers a host's messages from the start time in whole seconds,
    one more per message. An agent that published more than one message a second runs
    ahead of the clock, so after a restart it reuses seqnos of its previous run: peers
    drop those messages as already seen (for their seen-cache's 120 s), and a restarted
    agent goes unheard while its members have not granted it anything. Counting from
    the start time in nanoseconds, as go-libp2p does, keeps every run's seqnos above
    the ones before it."""
    if not isinstance(getattr(pubsub, "counter", None), int):
        raise TypeError("py-libp2p's Pubsub no longer has an integer `counter`")
    pubsub.counter = max(pubsub.counter, time.time_ns())


def _gossip_streams_on_closed_connections(pubsub: Pubsub) -> list[ID]:
    """Peers whose gossip stream runs on a connection that has closed."""
    return [
        peer
        for peer, stream in list(pubsub.peers.items())
        if getattr(stream.muxed_conn, "is_closed", False)
    ]


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


class _FloodPublishGossipSub(GossipSub):
    """GossipSub that sends this node's own messages to every subscribed peer, not only
    to its mesh: go-libp2p's default (`floodPublish`), which py-libp2p 0.8.1 lacks.
    Without it a restarted or newly joined agent's announcements reach nobody until the
    next heartbeats have grafted it into its members' meshes (a GRAFT refused during a
    prune backoff delays that by a minute), and its members grant it nothing meanwhile.
    Relayed messages still follow the mesh, so a node sends its own announcement to its
    N - 1 members and relays each of the others' to at most its mesh degree. Only
    members get them: a non-member is disconnected at once, but may be subscribed for
    that moment."""

    def __init__(self, *, is_member: Callable[[ID], bool], **settings: Any) -> None:
        super().__init__(**settings)
        self._is_member = is_member

    def _get_peers_to_send(
        self,
        topic_ids: Iterable[str],
        msg_forwarder: ID,
        origin: ID,
        msg_id: bytes | None = None,
    ) -> Iterable[ID]:
        peers = set(super()._get_peers_to_send(topic_ids, msg_forwarder, origin, msg_id))
        if self.pubsub is not None and origin == msg_forwarder == self.pubsub.my_id:
            for topic in topic_ids:
                peers.update(
                    p for p in self.pubsub.peer_topics.get(topic, ()) if self._is_member(p)
                )
            peers.discard(origin)
        return peers


@dataclass
class _KeptPeer:
    """A member that a redial loop keeps connected, at these addresses."""

    addresses: tuple[str, ...]
    loop: trio.CancelScope = field(default_factory=trio.CancelScope)


class Libp2pOverlay:
    """The agent's overlay. Build it with validated settings, then
    ``async with overlay.join(): ...``; one join per instance. A changed member list
    is applied in place (`change_members`), without leaving."""

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
        self._gate = InboundGate(exempt=ip_addresses_in(settings.bootstrap))
        self._kept: dict[str, _KeptPeer] = {}
        self._opened_at: dict[INetConn, float] = {}
        self._host: IHost | None = None
        self._pubsub: Pubsub | None = None
        self._gossipsub: GossipSub | None = None
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
        _dialling_left_to_us(host)
        _gate_inbound_connections(host, self._admit_inbound)
        gossipsub = _FloodPublishGossipSub(
            is_member=lambda peer: peer.to_base58() in self._members,
            protocols=[PROTOCOL_ID_V11, PROTOCOL_ID],
            degree=_GOSSIP_DEGREE,
            degree_low=_GOSSIP_DEGREE_LOW,
            degree_high=_GOSSIP_DEGREE_HIGH,
            heartbeat_initial_delay=0.1,
            heartbeat_interval=_GOSSIP_HEARTBEAT_S,
            max_messages_per_topic_per_second=_messages_per_second(self._members),
        )
        # strict_signing: every message carries its originator's signature and
        # libp2p drops those whose signature does not match their `from` peer.
        pubsub = Pubsub(host, gossipsub, strict_signing=True)
        _seqnos_beyond_any_earlier_run(pubsub)
        _guard_gossip_streams(host, pubsub, gossipsub.get_protocols(), self._on_garbage)
        pubsub.set_topic_validator(settings.topic, self._validate, is_async_validator=False)
        host.get_network().register_notifee(self._watch)
        self._host, self._pubsub, self._gossipsub = host, pubsub, gossipsub
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
            self._nursery.start_soon(self._heal_gossip_streams, pubsub)
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
        return frozenset(self._connected_peer_ids() & self._members)

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

    def can_change_to(self, settings: OverlaySettings) -> bool:
        """Whether `change_members(settings)` applies, without a new host."""
        return self._settings.same_host_as(settings)

    def change_members(self, settings: OverlaySettings) -> None:
        """Apply a changed member list (and bootstrap addresses) while joined.

        A node admitted to the federation changes every member's list: restarting the
        host for that would drop every connection and gossip mesh of the federation at
        once. Instead a new member is dialled, a removed one disconnected (and refused
        from now on), a member whose address changed redialled at the new one; the
        connections and meshes of the others stay as they are.
        """
        if not self.can_change_to(settings):
            raise ValueError(
                "change_members: the key, listen addresses, topic or discovery changed"
            )
        members = settings.members - {self._peer_id}
        removed, added = self._members - members, members - self._members
        self._settings = settings
        self._members = members
        self._gate.set_exempt(ip_addresses_in(settings.bootstrap))
        self._rule = MembershipRule(self._peer_id, self._members, settings.max_payload_bytes)
        if self._gossipsub is not None:
            self._gossipsub.max_messages_per_topic_per_second = _messages_per_second(self._members)
        bootstrap = {peer_id_in(address): (address,) for address in settings.bootstrap}
        for peer_id, kept in list(self._kept.items()):
            moved = peer_id in bootstrap and _usable(peer_id, bootstrap[peer_id]) != kept.addresses
            if peer_id in removed or moved:
                kept.loop.cancel()
                del self._kept[peer_id]
        for peer_id in removed:
            self._disconnect(peer_id)
        for peer_id, addresses in bootstrap.items():
            self._keep(peer_id, addresses)
        if added or removed:
            log.info(
                "member list changed in place: %d members (%d added, %d removed)",
                len(self._members),
                len(added),
                len(removed),
            )

    # -- internals -------------------------------------------------------------

    def _keep(self, peer_id: str, addresses: tuple[str, ...]) -> None:
        """Keep ``peer_id`` connected from now on (idempotent; members only)."""
        if peer_id == self._peer_id or peer_id in self._kept or self._nursery is None:
            return
        if peer_id not in self._members:
            log.warning("not dialling %s: not on the member list", peer_id)
            return
        usable = _usable(peer_id, addresses)
        if not usable:
            return
        kept = _KeptPeer(usable)
        self._kept[peer_id] = kept
        self._nursery.start_soon(self._keep_connected, peer_id, kept)

    async def _keep_connected(self, peer_id: str, kept: _KeptPeer) -> None:
        with kept.loop:
            await keep_connected(
                peer_id,
                kept.addresses,
                self,
                self._settings.backoff,
                self._rng,
                dial_timeout_s=self._settings.dial_timeout_s,
                on_failure=self._on_dial_failure,
            )

    def _disconnect(self, peer_id: str) -> None:
        """Close every connection to `peer_id` (no longer a member)."""
        if self._host is None or self._nursery is None:
            return
        if peer_id in self._connected_peer_ids():
            log.info("disconnecting %s: no longer on the member list", peer_id)
            self._nursery.start_soon(self._host.disconnect, ID.from_base58(peer_id))

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
        # Dial where the member list (or discovery) says, nowhere else. py-libp2p 0.8.1
        # dials only the first TCP address it knows for a peer, and identify replaces
        # those with the peer's own listen addresses: /ip4/0.0.0.0/tcp/<port> for an
        # agent listening on every interface, which, with the node-wide overlay port,
        # reaches this node's own agent. Every redial of a member identified once then
        # failed, and a dropped connection came back only if the member dialled us.
        # host.connect reads the addresses before its first checkpoint: nothing can
        # replace them in between.
        self._host.get_peerstore().clear_addrs(target)
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

    def _admit_inbound(self, source: str) -> bool:
        if self._gate.admit(source, time.monotonic()):
            return True
        self._stats.refused_over_rate_connections += 1
        if self._gate.first_refusal(source):
            log.warning(
                "closing connections from %s before their handshake: more than %g a second",
                source,
                self._gate.rate_per_s,
            )
        return False

    def _on_connected(self, conn: INetConn) -> None:
        if self._nursery is None or self._host is None:
            return
        peer = conn.muxed_conn.peer_id
        if peer.to_base58() not in self._members:
            self._stats.refused_non_member_connections += 1
            log.warning("closing connection from %s: not on the member list", peer.to_base58())
            self._nursery.start_soon(self._host.disconnect, peer)
            return
        now = trio.current_time()
        self._opened_at[conn] = now
        self._close_superseded(self._host, self._nursery, conn, now)

    def _close_superseded(
        self, host: IHost, nursery: trio.Nursery, newest: INetConn, now: float
    ) -> None:
        """A member that connects again came back: its older connections are dead or
        about to be. Kept, a half-open one would hold libp2p's gossip stream to the
        member, and the member would not hear us until TCP gave up on it (minutes).
        Closed, the gossip stream moves to the new connection at once."""
        peer = newest.muxed_conn.peer_id
        for conn in host.get_network().get_connections(peer):
            if conn is newest or now - self._opened_at.get(conn, now) < SUPERSEDED_AFTER_S:
                continue
            self._stats.superseded_connections += 1
            log.info("%s connected again; closing its older connection", peer.to_base58())
            self._opened_at.pop(conn, None)
            nursery.start_soon(conn.close)

    def _on_disconnected(self, conn: INetConn) -> None:
        self._opened_at.pop(conn, None)

    async def _heal_gossip_streams(self, pubsub: Pubsub) -> None:
        """py-libp2p 0.8.1 keeps a peer's gossip stream when one of its connections
        closes while another is open, even when the stream ran on the closed one (a
        member that came back and dialled us before we saw its old connection go): that
        member would never hear from us again. Drop such a stream; libp2p then opens a
        new one on the live connection, as it does for a new peer."""
        while True:
            await trio.sleep(_STREAM_SWEEP_S)
            connected = self._connected_peer_ids()
            for peer in _gossip_streams_on_closed_connections(pubsub):
                if peer.to_base58() in connected:
                    log.info("gossip stream to %s ran on a closed connection; reopening", peer)
                    pubsub._handle_dead_peer(peer)

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
