"""A changed member list applied to running libp2p overlays (a node admitted, one removed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import trio
from libp2p.peer.id import ID
from multiaddr import Multiaddr

from dfaas_agent.overlay import Gossip, Libp2pOverlay

from .live import collect, loopback_overlay, loopback_settings, peer, wait_until

pytestmark = pytest.mark.component

TIMEOUT_S = 20.0
PUBLISH_EVERY_S = 0.3


def _connections_to(overlay: Libp2pOverlay, number: int) -> set[int]:
    """Identities of the connection objects from `overlay` to member `number`."""
    host = overlay._host
    assert host is not None
    return {id(conn) for conn in host.get_network().get_connections(ID.from_base58(peer(number)))}


def test_a_member_list_change_applies_without_leaving_the_overlay() -> None:
    a = loopback_overlay(1, {1, 2})
    b = loopback_overlay(2, {1, 2, 3})
    c = loopback_overlay(3, {1, 2, 3})
    received_by_a: list[Gossip] = []

    def heard_from(number: int, since: int) -> bool:
        return any(g.sender == peer(number) for g in received_by_a[since:])

    async def publish_until(condition_met: Callable[[], bool], *publishers: Libp2pOverlay) -> None:
        with trio.move_on_after(TIMEOUT_S):
            while not condition_met():
                for overlay in publishers:
                    await overlay.publish(f"from {overlay.peer_id}".encode())
                await trio.sleep(PUBLISH_EVERY_S)

    async def scenario() -> None:
        async with a.join(), b.join(), c.join(), trio.open_nursery() as nursery:
            # One subscription for the whole test: the overlay is never left.
            nursery.start_soon(collect, a, received_by_a)
            await a.dial(b.listen_addresses()[0])
            await b.dial(a.listen_addresses()[0])  # B keeps redialling A
            await c.dial(b.listen_addresses()[0])
            await wait_until(lambda: b.members() == {peer(1), peer(3)}, TIMEOUT_S, "B sees A, C")
            connection_to_b = _connections_to(a, 2)

            # C admitted: A dials it at its bootstrap address, and C's messages count.
            assert a.can_change_to(loopback_settings(1, {1, 2, 3}))
            a.change_members(loopback_settings(1, {1, 2, 3}, bootstrap=(c.listen_addresses()[0],)))
            await wait_until(lambda: a.members() == {peer(2), peer(3)}, TIMEOUT_S, "A dials C")
            since = len(received_by_a)
            await publish_until(lambda: heard_from(3, since), c)
            assert heard_from(3, since), "A never delivered C's messages after admitting C"
            assert _connections_to(a, 2) == connection_to_b, "A's connection to B was replaced"

            # B removed: A disconnects it and refuses its redials; B's messages are dropped.
            a.change_members(loopback_settings(1, {1, 3}, bootstrap=(c.listen_addresses()[0],)))
            await wait_until(lambda: a.members() == {peer(3)}, TIMEOUT_S, "A drops B")
            await wait_until(
                lambda: a.stats.refused_non_member_connections > 0, TIMEOUT_S, "A refuses B"
            )
            dropped = a.stats.dropped_non_member
            since = len(received_by_a)
            await publish_until(lambda: a.stats.dropped_non_member > dropped, b, c)
            assert a.stats.dropped_non_member > dropped, "B's messages relayed by C were not seen"
            assert not heard_from(2, since), "A delivered a removed member's message"
            assert heard_from(3, since)
            nursery.cancel_scope.cancel()

    trio.run(scenario)


def test_a_change_of_address_or_topic_needs_a_new_host() -> None:
    settings = loopback_settings(1, {1, 2})
    assert settings.same_host_as(loopback_settings(1, {1, 2, 3}))
    assert not settings.same_host_as(loopback_settings(1, {1, 2}, listen="/ip4/127.0.0.1/tcp/9"))
    assert not settings.same_host_as(loopback_settings(2, {1, 2}))
    overlay = loopback_overlay(1, {1, 2})
    with pytest.raises(ValueError, match="listen addresses"):
        overlay.change_members(loopback_settings(1, {1, 2}, listen="/ip4/127.0.0.1/tcp/9"))


def test_a_member_is_redialled_at_its_configured_address_whatever_identify_said() -> None:
    """Identify stores a member's own listen addresses (0.0.0.0 for an agent that listens
    on every interface: on the shared overlay port, the dialler itself) in place of the
    configured one, and py-libp2p dials only the first TCP address it knows. A dropped
    connection must still be redialled where the member list says."""
    a = loopback_overlay(1, {1, 2})
    b = loopback_overlay(2, {1, 2})  # B never dials: only A's redial can reconnect them

    async def scenario() -> None:
        async with a.join(), b.join():
            await a.dial(b.listen_addresses()[0])
            await wait_until(lambda: a.members() == {peer(2)}, TIMEOUT_S, "A connects to B")
            # What identify leaves in A's peerstore: an address where B is not.
            host_a, host_b = a._host, b._host
            assert host_a is not None
            assert host_b is not None
            with trio.socket.socket() as closed:
                await closed.bind(("127.0.0.1", 0))
                nowhere = f"/ip4/127.0.0.1/tcp/{closed.getsockname()[1]}"
            peer_b = ID.from_base58(peer(2))
            host_a.get_peerstore().clear_addrs(peer_b)
            host_a.get_peerstore().add_addrs(peer_b, [Multiaddr(nowhere)], 7200)
            dropped = _connections_to(a, 2)

            await host_b.disconnect(ID.from_base58(peer(1)))

            def redialled() -> bool:
                now = _connections_to(a, 2)
                return bool(now) and not now & dropped

            await wait_until(redialled, TIMEOUT_S, "A to redial B at its configured address")
            assert a.stats.dial_failures == 0

    trio.run(scenario)
