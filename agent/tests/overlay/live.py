"""Helpers for tests that run several real libp2p overlays inside one trio run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import trio

from dfaas_agent.overlay import BackoffPolicy, Gossip, Libp2pOverlay, OverlaySettings, peer_id_of

FAST_BACKOFF = BackoffPolicy(initial_s=0.2, cap_s=1.0)
POLL_S = 0.1


def seed(number: int) -> bytes:
    return bytes([number]) * 32


def peer(number: int) -> str:
    return peer_id_of(seed(number))


def loopback_settings(
    number: int,
    members: set[int],
    *,
    max_payload_bytes: int = 64 * 1024,
    backoff: BackoffPolicy = FAST_BACKOFF,
    bootstrap: tuple[str, ...] = (),
    listen: str = "/ip4/127.0.0.1/tcp/0",
) -> OverlaySettings:
    return OverlaySettings(
        key=seed(number),
        members=frozenset(peer(n) for n in members),
        listen=(listen,),
        bootstrap=bootstrap,
        max_payload_bytes=max_payload_bytes,
        backoff=backoff,
        dial_timeout_s=2.0,
    )


def loopback_overlay(number: int, members: set[int], **options: Any) -> Libp2pOverlay:
    """An overlay of `loopback_settings(number, members, **options)`."""
    return Libp2pOverlay(loopback_settings(number, members, **options))


async def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    with trio.move_on_after(timeout_s):
        while not condition():  # noqa: ASYNC110 - the state lives inside libp2p
            await trio.sleep(POLL_S)
        return
    raise AssertionError(f"not within {timeout_s}s: {what}")


async def collect(overlay: Libp2pOverlay, into: list[Gossip]) -> None:
    async for gossip in overlay.subscribe():
        into.append(gossip)
