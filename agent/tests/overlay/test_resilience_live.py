"""The overlay keeps running through garbage and unreachable peers."""

from __future__ import annotations

import socket

import multiaddr
import pytest
import trio
from libp2p import new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11

from dfaas_agent.overlay import Gossip

from .live import collect, loopback_overlay, peer, seed, wait_until

pytestmark = pytest.mark.component

TIMEOUT_S = 20.0
GARBAGE_FRAMES = (
    b"\x05hello",  # a length-prefixed frame that is not protobuf
    b"\x03\xff\xff\xff",
    b"\xff\xff\xff\xff\x0f",  # a length prefix far beyond any limit
)


async def send_garbage_as_member(target_address: str) -> None:
    """A peer with a member's key speaks the GossipSub protocol, badly."""
    host = new_host(key_pair=create_new_key_pair(seed(4)))
    async with host.run(listen_addrs=[multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        info = info_from_p2p_addr(multiaddr.Multiaddr(target_address))
        await host.connect(info)
        for frame in GARBAGE_FRAMES:
            stream = await host.new_stream(info.peer_id, [PROTOCOL_ID_V11])
            await stream.write(frame)
            await stream.close()


def test_overlay_keeps_delivering_after_garbage_on_the_gossip_protocol() -> None:
    a = loopback_overlay(1, {1, 2, 4})
    b = loopback_overlay(2, {1, 2})
    received_by_a: list[Gossip] = []

    async def scenario() -> None:
        async with a.join(), b.join(), trio.open_nursery() as nursery:
            nursery.start_soon(collect, a, received_by_a)
            with trio.fail_after(TIMEOUT_S):
                await send_garbage_as_member(a.listen_addresses()[0])
            await b.dial(a.listen_addresses()[0])
            with trio.move_on_after(TIMEOUT_S):
                while not received_by_a:
                    await b.publish(b"still there?")
                    await trio.sleep(0.5)
            nursery.cancel_scope.cancel()

    trio.run(scenario)

    assert a.stats.dropped_malformed > 0
    assert [g.payload for g in received_by_a][:1] == [b"still there?"]


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_join_returns_while_the_bootstrap_peer_is_unreachable_and_keeps_retrying() -> None:
    unreachable = f"/ip4/127.0.0.1/tcp/{free_loopback_port()}/p2p/{peer(2)}"
    a = loopback_overlay(1, {1, 2}, bootstrap=(unreachable,))

    async def scenario() -> None:
        with trio.fail_after(TIMEOUT_S):
            async with a.join():
                await wait_until(lambda: a.stats.dial_failures >= 2, TIMEOUT_S, "two retries")

    trio.run(scenario)

    assert a.stats.dial_failures >= 2
    assert a.members() == frozenset()


def test_bootstrap_peer_that_starts_late_is_connected_once_it_is_up() -> None:
    port = free_loopback_port()
    a = loopback_overlay(1, {1, 2}, bootstrap=(f"/ip4/127.0.0.1/tcp/{port}/p2p/{peer(2)}",))
    b = loopback_overlay(2, {1, 2}, listen=f"/ip4/127.0.0.1/tcp/{port}")

    async def scenario() -> None:
        async with a.join():
            await wait_until(lambda: a.stats.dial_failures > 0, TIMEOUT_S, "a failed dial")
            async with b.join():
                await wait_until(lambda: a.members() == {b.peer_id}, TIMEOUT_S, "A reaches B")

    trio.run(scenario)

    assert a.stats.dial_failures > 0
