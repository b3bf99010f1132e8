"""Which gossip streams the overlay reopens: those whose connection has closed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from dfaas_agent.overlay.libp2p_overlay import _gossip_streams_on_closed_connections


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
