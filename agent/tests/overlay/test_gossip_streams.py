"""Our changes to py-libp2p's gossip: which streams are reopened, whom our own messages go to."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from dfaas_agent.overlay.libp2p_overlay import (
    _FloodPublishGossipSub,
    _gossip_streams_on_closed_connections,
)


def stream_on(*, closed: bool) -> Any:
    return SimpleNamespace(muxed_conn=SimpleNamespace(is_closed=closed))


def test_only_streams_on_closed_connections_are_picked() -> None:
    pubsub: Any = SimpleNamespace(
        peers={"live": stream_on(closed=False), "stale": stream_on(closed=True)}
    )

    assert _gossip_streams_on_closed_connections(pubsub) == ["stale"]


def test_a_connection_without_the_flag_counts_as_open() -> None:
    pubsub: Any = SimpleNamespace(peers={"unknown": SimpleNamespace(muxed_conn=object())})

    assert _gossip_streams_on_closed_connections(pubsub) == []


def flood_router(mesh: set[str], subscribed: set[str]) -> Any:
    router: Any = _FloodPublishGossipSub(
        is_member=lambda peer: peer != "outsider",
        protocols=[],
        degree=6,
        degree_low=4,
        degree_high=12,
    )
    router.pubsub = SimpleNamespace(my_id="me", peer_topics={"topic": subscribed})
    router.mesh = {"topic": mesh}
    return router


def test_own_messages_go_to_every_subscribed_member_not_only_the_mesh() -> None:
    router = flood_router(mesh={"b"}, subscribed={"b", "c", "d", "outsider"})

    assert set(router._get_peers_to_send(["topic"], "me", "me")) == {"b", "c", "d"}


def test_relayed_messages_follow_the_mesh() -> None:
    router = flood_router(mesh={"b", "c"}, subscribed={"b", "c", "d", "origin"})

    assert set(router._get_peers_to_send(["topic"], "c", "origin")) == {"b"}
