"""Subscriptions: open before messages arrive, end when the overlay leaves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from dfaas_agent.overlay import Gossip

from .live import loopback_overlay

pytestmark = pytest.mark.component

TIMEOUT_S = 20.0


def test_subscription_ends_when_the_overlay_leaves() -> None:
    a = loopback_overlay(1, {1})
    ended = trio.Event()

    async def drain_until_end(subscription: AsyncIterator[Gossip]) -> None:
        async for _ in subscription:
            pass
        ended.set()

    async def scenario() -> None:
        with trio.fail_after(TIMEOUT_S):
            async with trio.open_nursery() as nursery:
                async with a.join():
                    nursery.start_soon(drain_until_end, a.subscribe())
                await ended.wait()

    trio.run(scenario)

    assert ended.is_set()


def test_dial_before_join_is_refused_with_a_clear_error() -> None:
    a = loopback_overlay(1, {1, 2})

    with pytest.raises(RuntimeError, match="before join"):
        trio.run(a.dial, "/ip4/127.0.0.1/tcp/1/p2p/" + a.peer_id)


def test_subscribing_after_the_overlay_left_gives_an_ended_subscription() -> None:
    a = loopback_overlay(1, {1})

    async def scenario() -> list[Gossip]:
        async with a.join():
            pass
        with trio.fail_after(TIMEOUT_S):
            return [gossip async for gossip in a.subscribe()]

    assert trio.run(scenario) == []
