"""The overlay across configuration reloads: one libp2p host while only members change.

`federate.yml` admitting a node changes every member's list, and every agent reloads
at once. A new host per reload would drop every member's connections and gossip meshes
together: every agent dials every other again while they all restart (the journals
showed dials closed within 0.2 s and redialled), and the handshakes cost CPU on nodes
whose functions are serving. Kept, the host only dials the new member; the agent around
it still starts again from its kept plan, as before.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from types import TracebackType

from dfaas_agent.overlay import ChangeableOverlay, GossipFeed, OverlaySettings, OverlayStats

log = logging.getLogger(__name__)

OverlayFactory = Callable[[OverlaySettings], ChangeableOverlay]


class KeptOverlay:
    """Hands each agent the running overlay, joined once and changed in place where
    the settings allow; leaves it when the service ends (`async with`).

    Its join runs in the task that calls `joined` and is left in the task that leaves
    the `async with`: call both from the same task (the service's main one).
    """

    def __init__(self, build: OverlayFactory) -> None:
        self._build = build
        self._current: ChangeableOverlay | None = None
        self._stack: AsyncExitStack | None = None

    async def joined(self, settings: OverlaySettings) -> ChangeableOverlay:
        """The overlay for `settings`, joined: the running one, changed, if it can take
        them, else a new one (the old one left first: it holds the listen port)."""
        if self._current is not None and self._current.can_change_to(settings):
            self._current.change_members(settings)
            return _AlreadyJoined(self._current)
        if self._current is not None:
            log.info("overlay settings changed beyond the member list: joining anew")
        await self.leave()
        overlay = self._build(settings)
        stack = AsyncExitStack()
        await stack.enter_async_context(overlay.join())
        self._current, self._stack = overlay, stack
        return _AlreadyJoined(overlay)

    async def leave(self) -> None:
        stack, self._current, self._stack = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def __aenter__(self) -> KeptOverlay:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        stack, self._current, self._stack = self._stack, None, None
        if stack is None:
            return None
        # The overlay's nursery sees the exception that ends the service (a crash of one
        # of its own tasks surfaces here).
        return await stack.__aexit__(kind, error, traceback)


class _AlreadyJoined:
    """The running overlay as an agent sees it: joining it is a no-op, leaving it
    leaves it running for the next agent."""

    def __init__(self, overlay: ChangeableOverlay) -> None:
        self._overlay = overlay

    @property
    def peer_id(self) -> str:
        return self._overlay.peer_id

    @property
    def stats(self) -> OverlayStats:
        return self._overlay.stats

    def join(self) -> AbstractAsyncContextManager[None]:
        return _no_op()

    async def publish(self, payload: bytes) -> None:
        await self._overlay.publish(payload)

    def subscribe(self) -> GossipFeed:
        return self._overlay.subscribe()

    def members(self) -> frozenset[str]:
        return self._overlay.members()

    def listen_addresses(self) -> list[str]:
        return self._overlay.listen_addresses()

    async def dial(self, address: str) -> None:
        await self._overlay.dial(address)

    def can_change_to(self, settings: OverlaySettings) -> bool:
        return self._overlay.can_change_to(settings)

    def change_members(self, settings: OverlaySettings) -> None:
        self._overlay.change_members(settings)


@asynccontextmanager
async def _no_op() -> AsyncIterator[None]:
    yield
