"""The federation overlay: the only part of the agent that imports libp2p.

Everything else uses :class:`Overlay`, :class:`Gossip` and :class:`OverlayStats`
and builds the real thing with :func:`libp2p_overlay`.
"""

from __future__ import annotations

import random

from .backoff import BackoffPolicy
from .interface import ChangeableOverlay, Gossip, GossipFeed, Overlay, OverlayStats
from .keys import AgentKey, peer_id_of
from .libp2p_overlay import Libp2pOverlay
from .settings import DEFAULT_LISTEN, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_TOPIC, OverlaySettings

__all__ = [
    "DEFAULT_LISTEN",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "DEFAULT_TOPIC",
    "AgentKey",
    "BackoffPolicy",
    "ChangeableOverlay",
    "Gossip",
    "GossipFeed",
    "Libp2pOverlay",
    "Overlay",
    "OverlaySettings",
    "OverlayStats",
    "libp2p_overlay",
    "peer_id_of",
]


def libp2p_overlay(
    settings: OverlaySettings, *, rng: random.Random | None = None
) -> ChangeableOverlay:
    """The libp2p overlay for ``settings`` (not started: use ``join()``)."""
    return Libp2pOverlay(settings, rng=rng)
