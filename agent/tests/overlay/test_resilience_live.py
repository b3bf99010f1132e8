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

from dfaas_agent.overlay import Gossip, Libp2pOverlay
from dfaas_agent.overlay.libp2p_overlay import SUPERSEDED_AFTER_S

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


# More than a run that came back tries to publish: without distinct seqnos it would go
# unheard for every try.
EARLIER_RUN_MESSAGES = 150
RESTARTED_TRIES = 100


def test_a_member_that_comes_back_is_heard_at_once() -> None:
    """Its earlier run published faster than one message a second (its seqnos must not
    repeat: peers drop a repeated one as seen), and left without closing its
    connection (as a rebooted machine does: the new connection must take over)."""
    b = loopback_overlay(2, {1, 2})
    received_by_b: list[Gossip] = []

    async def publish_until_heard(a: Libp2pOverlay, text: bytes) -> int:
        for tries in range(1, RESTARTED_TRIES + 1):
            await a.publish(text)
            if any(g.payload == text for g in received_by_b):
                return tries
            await trio.sleep(0.1)
        return RESTARTED_TRIES + 1

    async def scenario() -> list[int]:
        tries = []
        async with b.join(), trio.open_nursery() as nursery:
            nursery.start_soon(collect, b, received_by_b)
            for run in ("first run", "came back"):
                a = loopback_overlay(1, {1, 2})
                async with a.join():
                    await a.dial(b.listen_addresses()[0])
                    tries.append(await publish_until_heard(a, run.encode()))
                    if run == "first run":
                        for _ in range(EARLIER_RUN_MESSAGES):
                            await a.publish(b"busy")
                            await trio.sleep(0.02)
                        await wait_until(
                            lambda: (
                                received_by_b.count(Gossip(peer(1), b"busy"))
                                == EARLIER_RUN_MESSAGES
                            ),
                            TIMEOUT_S,
                            "b received the first run's messages",
                        )
                        # Long enough for b to take a's connection as established.
                        await trio.sleep(SUPERSEDED_AFTER_S)
            nursery.cancel_scope.cancel()
        return tries

    tries = trio.run(scenario)

    assert all(t <= RESTARTED_TRIES for t in tries), f"publishes until heard, per run: {tries}"
    assert b.stats.superseded_connections == 1
