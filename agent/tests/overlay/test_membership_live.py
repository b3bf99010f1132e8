"""Membership rules enforced by real libp2p overlays on loopback."""

from __future__ import annotations

import pytest
import trio

from dfaas_agent.overlay import BackoffPolicy, Gossip

from .live import collect, loopback_overlay, peer, wait_until

pytestmark = pytest.mark.component

TIMEOUT_S = 20.0
PUBLISH_EVERY_S = 0.5


def test_message_from_non_member_relayed_by_a_member_is_dropped_and_counted() -> None:
    # B's allow-list (stale, say) still admits N; A's does not.
    a = loopback_overlay(1, {1, 2})
    b = loopback_overlay(2, {1, 2, 3})
    n = loopback_overlay(3, {2, 3})
    received_by_a: list[Gossip] = []

    async def scenario() -> None:
        async with a.join(), b.join(), n.join(), trio.open_nursery() as nursery:
            nursery.start_soon(collect, a, received_by_a)
            await a.dial(b.listen_addresses()[0])
            await n.dial(b.listen_addresses()[0])
            await wait_until(lambda: b.members() == {peer(1), peer(3)}, TIMEOUT_S, "B sees A, N")

            def a_got_b_and_dropped_n() -> bool:
                got_b = any(g.sender == b.peer_id for g in received_by_a)
                return got_b and a.stats.dropped_non_member > 0

            with trio.move_on_after(TIMEOUT_S):
                while not a_got_b_and_dropped_n():
                    await n.publish(b"from the non-member")
                    await b.publish(b"from member B")
                    await trio.sleep(PUBLISH_EVERY_S)
            nursery.cancel_scope.cancel()

    trio.run(scenario)

    assert any(g.sender == b.peer_id for g in received_by_a), "the relay path never worked"
    assert a.stats.dropped_non_member > 0
    assert all(g.sender != n.peer_id for g in received_by_a)


def test_connection_from_non_member_is_closed_and_counted() -> None:
    a = loopback_overlay(1, {1})
    # N believes A is a fellow member, but redials only after a long pause.
    n = loopback_overlay(3, {1, 3}, backoff=BackoffPolicy(initial_s=60.0, cap_s=60.0))

    async def scenario() -> None:
        async with a.join(), n.join():
            await n.dial(a.listen_addresses()[0])
            await wait_until(
                lambda: a.stats.refused_non_member_connections > 0, TIMEOUT_S, "A refuses N"
            )
            await wait_until(lambda: not n.members(), TIMEOUT_S, "N's connection to A closed")
            assert peer(3) not in a.members()

    trio.run(scenario)

    assert a.stats.refused_non_member_connections > 0


def test_oversize_message_is_dropped_and_counted() -> None:
    a = loopback_overlay(1, {1, 2}, max_payload_bytes=1_000)
    b = loopback_overlay(2, {1, 2}, max_payload_bytes=100_000)
    big = b"x" * 5_000
    received_by_a: list[Gossip] = []

    async def scenario() -> None:
        async with a.join(), b.join(), trio.open_nursery() as nursery:
            nursery.start_soon(collect, a, received_by_a)
            await b.dial(a.listen_addresses()[0])
            await wait_until(lambda: a.members() == {b.peer_id}, TIMEOUT_S, "A sees B")
            with trio.move_on_after(TIMEOUT_S):
                while not (a.stats.dropped_oversize and received_by_a):
                    await b.publish(big)
                    await b.publish(b"small")
                    await trio.sleep(PUBLISH_EVERY_S)
            nursery.cancel_scope.cancel()

    trio.run(scenario)

    assert a.stats.dropped_oversize > 0
    assert received_by_a, "small messages from B should still arrive"
    assert all(g.payload == b"small" for g in received_by_a)


def test_publishing_an_oversize_payload_is_refused_with_a_clear_error() -> None:
    a = loopback_overlay(1, {1}, max_payload_bytes=10)

    with pytest.raises(ValueError, match="exceeds max_payload_bytes"):
        trio.run(a.publish, b"x" * 11)
