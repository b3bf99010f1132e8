"""Keep one peer connected: dial, wait for the connection to drop, redial with backoff."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import NoReturn, Protocol

import trio

from .backoff import BackoffPolicy

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# A peer that refuses us closes the connection within milliseconds of its opening; a
# working one outlives a GossipSub heartbeat (1 s).
STABLE_CONNECTION_S = 2.0


class PeerLink(Protocol):
    """The two things the redial loop needs from a host."""

    async def connect(self, peer_id: str, addresses: tuple[str, ...]) -> None:
        """Dial ``peer_id`` at ``addresses``; raise if no connection could be made."""
        ...

    async def wait_disconnected(self, peer_id: str) -> None:
        """Return once no connection to ``peer_id`` is left."""
        ...


async def keep_connected(
    peer_id: str,
    addresses: tuple[str, ...],
    link: PeerLink,
    policy: BackoffPolicy,
    rng: random.Random,
    *,
    dial_timeout_s: float,
    on_failure: Callable[[str, Exception], None],
    sleep: Sleep = trio.sleep,
    now: Callable[[], float] = trio.current_time,
) -> NoReturn:
    """Run until cancelled. Each failed dial waits the next backoff delay; a
    connection that stayed up for STABLE_CONNECTION_S resets the schedule. One that the
    peer closed sooner (a peer that refuses us: not a member there) waits the next
    backoff delay as a failed dial does, so that such a peer is not redialled in a
    busy loop."""
    delays = policy.delays(rng)
    failing = False
    while True:
        try:
            with trio.fail_after(dial_timeout_s):
                await link.connect(peer_id, addresses)
        except Exception as error:  # any dial error is retried; cancellation is not an Exception
            on_failure(peer_id, error)
            delay = next(delays)
            # The first failure of a run says why in the journal; the retries do not.
            log.log(
                logging.DEBUG if failing else logging.INFO,
                "dial %s at %s failed (%s); next try in %.2fs",
                peer_id,
                ", ".join(addresses),
                str(error) or type(error).__name__,
                delay,
            )
            failing = True
            await sleep(delay)
            continue
        failing = False
        connected_at = now()
        await link.wait_disconnected(peer_id)
        lasted_s = now() - connected_at
        if lasted_s >= STABLE_CONNECTION_S:
            delays = policy.delays(rng)
            log.info("lost connection to %s; redialling", peer_id)
            continue
        delay = next(delays)
        log.info(
            "connection to %s closed after %.1f s; redialling in %.2f s", peer_id, lasted_s, delay
        )
        await sleep(delay)
