"""Announce on change, with a heartbeat: what one agent publishes, period after period."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dfaas_agent.messages import NodeInfoRecalc, decode, encode
from dfaas_agent.overlay import Gossip

from .fakes import PEER_B, PEER_C, SELF, Harness, agent_config, function_entry, harness

PERIOD_S = 10.0  # agent_config's


def _node(heartbeat: int) -> Iterator[Harness]:
    return harness(agent_config(announce_heartbeat_periods=heartbeat))


def _grant(node: Harness, sender: str, rate: float) -> None:
    message = NodeInfoRecalc(
        host="10.9.9.9", port=30080, func_limits={SELF: {"figlet": rate}}, functions=["figlet"]
    )
    node.agent.receive(Gossip(sender=sender, payload=encode(message)))


def _published_over(node: Harness, periods: int) -> int:
    before = len(node.overlay.published)
    for _ in range(periods):
        node.iterate(advance_s=PERIOD_S)
    return len(node.overlay.published) - before


def _grants_to(node: Harness, peer: str) -> dict[str, float]:
    message = decode(node.overlay.published[-1])
    assert isinstance(message, NodeInfoRecalc)
    return message.func_limits[peer]


@pytest.mark.parametrize(("heartbeat", "periods"), [(1, 12), (3, 12), (5, 12), (5, 23)])
def test_a_steady_agent_publishes_once_then_every_heartbeat(heartbeat: int, periods: int) -> None:
    for node in _node(heartbeat):
        node.iterate()

        assert len(node.overlay.published) == 1
        assert _published_over(node, periods) == periods // heartbeat


def test_a_changed_grant_is_published_in_the_period_it_changed() -> None:
    for node in _node(5):
        _grant(node, PEER_B, 1.0)
        node.iterate()
        assert _grants_to(node, PEER_B) == {"figlet": 10.0}
        for _ in range(2):
            _grant(node, PEER_B, 1.0)  # node-b stays fresh; nothing of ours changed
            assert _published_over(node, 1) == 0

        node.gateway.functions = [function_entry("figlet", maxrate=20)]
        _grant(node, PEER_B, 1.0)

        assert _published_over(node, 1) == 1
        assert _grants_to(node, PEER_B) == {"figlet": 20.0}


def test_a_member_heard_for_the_first_time_gets_everything_at_once() -> None:
    for node in _node(5):
        node.iterate()
        assert _published_over(node, 1) == 0

        _grant(node, PEER_C, 1.0)

        assert _published_over(node, 1) == 1
        assert _grants_to(node, PEER_C) == {"figlet": 10.0}


def test_an_announcement_that_failed_to_go_out_is_published_the_next_period() -> None:
    for node in _node(5):
        node.overlay.fail_publish = True
        node.iterate()
        node.overlay.fail_publish = False

        assert _published_over(node, 1) == 1


def test_a_quiet_member_stays_fresh_between_its_heartbeats() -> None:
    for node in _node(5):
        _grant(node, PEER_B, 1.0)
        node.iterate()
        node.clock.now += 5 * PERIOD_S  # node-b's heartbeat is due now, and a little late

        node.iterate(advance_s=1.0)

        assert PEER_B in node.agent.status()["members"]["fresh"]
        assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 100}
