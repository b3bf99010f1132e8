"""The overlay port closes a flooding source's connections before their handshake
(real libp2p host; the flood is raw TCP from another loopback address)."""

from __future__ import annotations

import socket
import time

import pytest
import trio
from multiaddr import Multiaddr

from dfaas_agent.overlay.inbound_gate import DEFAULT_BURST, DEFAULT_RATE_PER_S

from .live import collect, loopback_overlay, loopback_settings, peer, wait_until

pytestmark = pytest.mark.component

TIMEOUT_S = 20.0
PROBES = 40
FLOODER = "127.0.0.2"  # not a member's configured address (members listen on 127.0.0.1)
MEMBER_HOST = "127.0.0.1"
# The first message of libp2p's protocol negotiation; an admitted connection gets the
# same line back, a refused one is closed unread.
MULTISTREAM = b"\x13/multistream/1.0.0\n"


def _probe(source: str, port: int) -> bool:
    """Whether the overlay answered a connection from `source` (True) or closed it unread."""
    with socket.socket() as connection:
        connection.settimeout(5.0)
        connection.bind((source, 0))
        connection.connect(("127.0.0.1", port))
        try:
            connection.sendall(MULTISTREAM)
            return connection.recv(len(MULTISTREAM)) == MULTISTREAM
        except (ConnectionResetError, BrokenPipeError):
            return False


def _flood(source: str, port: int) -> tuple[int, float]:
    """Connections answered of `PROBES` sent one after the other, and the seconds taken."""
    started = time.monotonic()
    answered = sum(_probe(source, port) for _ in range(PROBES))
    return answered, time.monotonic() - started


def test_a_flooding_address_is_closed_before_the_handshake_and_members_are_not() -> None:
    a = loopback_overlay(1, {1, 2})
    b = loopback_overlay(2, {1, 2})
    received: list[object] = []
    seen: dict[str, float] = {}

    async def scenario() -> None:
        async with a.join(), b.join(), trio.open_nursery() as nursery:
            nursery.start_soon(collect, a, received)
            # B's configured address makes 127.0.0.1 a member's address for A.
            a.change_members(loopback_settings(1, {1, 2}, bootstrap=(b.listen_addresses()[0],)))
            await wait_until(lambda: a.members() == {peer(2)}, TIMEOUT_S, "A connects to B")
            port = int(Multiaddr(a.listen_addresses()[0]).value_for_protocol("tcp"))

            seen["answered"], seen["took_s"] = await trio.to_thread.run_sync(_flood, FLOODER, port)
            seen["refused_over_rate"] = a.stats.refused_over_rate_connections
            seen["refused_non_member"] = a.stats.refused_non_member_connections
            seen["member_answered"], _ = await trio.to_thread.run_sync(_flood, MEMBER_HOST, port)
            seen["b_still_a_member"] = a.members() == {peer(2)}
            since = len(received)
            with trio.move_on_after(TIMEOUT_S):
                while len(received) == since:
                    await b.publish(b"still here")
                    await trio.sleep(0.3)
            seen["b_heard_after"] = len(received) > since
            nursery.cancel_scope.cancel()

    trio.run(scenario)
    # The flooder gets its burst at once, then its rate: never the whole flood (within
    # the time the flood took; on a machine so slow that the bucket refilled, the bound
    # grows with it), and no connection of it got as far as a handshake.
    allowed = DEFAULT_BURST + DEFAULT_RATE_PER_S * seen["took_s"] + 1
    assert seen["answered"] <= allowed, seen
    assert seen["refused_over_rate"] == PROBES - seen["answered"], seen
    assert seen["refused_non_member"] == 0, seen
    # A member's address is never limited, and the member is still heard.
    assert seen["member_answered"] == PROBES, seen
    assert seen["b_still_a_member"], seen
    assert seen["b_heard_after"], seen
