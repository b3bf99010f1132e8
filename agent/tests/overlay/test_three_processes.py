"""Three agents as separate processes on loopback form one overlay."""

from __future__ import annotations

import time

import pytest

from dfaas_agent.overlay import peer_id_of

from .conftest import NodeProcess, StartNode, seed

pytestmark = pytest.mark.component

MEMBERS = {peer_id_of(seed(n)) for n in (1, 2, 3)}
JOIN_TIMEOUT_S = 30.0
GOSSIP_TIMEOUT_S = 20.0
DEPARTURE_TIMEOUT_S = 15.0


def start_federation(start_node: StartNode) -> list[NodeProcess]:
    """Member 1 starts alone; 2 and 3 know only member 1 and find each other
    through the Kademlia rendezvous."""
    first = start_node(1, MEMBERS, rendezvous="dfaas-test")
    others = [start_node(n, MEMBERS, first.addresses, "dfaas-test") for n in (2, 3)]
    nodes = [first, *others]
    for node in nodes:
        node.wait_for_members(MEMBERS - {node.peer_id}, JOIN_TIMEOUT_S)
    return nodes


def exchange_gossip(nodes: list[NodeProcess]) -> None:
    """Each node publishes every second until every other node got one of its messages
    (the GossipSub mesh needs a moment after the connections come up)."""
    deadline = time.monotonic() + GOSSIP_TIMEOUT_S
    pending = {(a.peer_id, b.peer_id) for a in nodes for b in nodes if a is not b}
    round_number = 0
    while pending and time.monotonic() < deadline:
        round_number += 1
        for node in nodes:
            node.publish(f"hello {round_number} from {node.peer_id}")
        time.sleep(1.0)
        for receiver in nodes:
            for sender in nodes:
                if (sender.peer_id, receiver.peer_id) in pending and receiver.gossip_from(
                    sender.peer_id
                ):
                    pending.discard((sender.peer_id, receiver.peer_id))
    assert not pending, f"gossip never arrived (sender, receiver): {sorted(pending)}"


def test_three_processes_join_see_each_other_and_exchange_gossip(start_node: StartNode) -> None:
    nodes = start_federation(start_node)

    exchange_gossip(nodes)

    for receiver in nodes:
        for sender in nodes:
            if sender is not receiver:
                assert all(
                    text.endswith(f"from {sender.peer_id}")
                    for text in receiver.gossip_from(sender.peer_id)
                )
        assert not receiver.gossip_from(receiver.peer_id), "own messages must not be delivered"


def test_killed_process_is_dropped_from_the_others_members(start_node: StartNode) -> None:
    first, second, third = start_federation(start_node)

    third.kill()

    first.wait_for_members({second.peer_id}, DEPARTURE_TIMEOUT_S)
    second.wait_for_members({first.peer_id}, DEPARTURE_TIMEOUT_S)
