"""SIGHUP: real agents read their configuration again and apply it in the same process."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import Federation, Node, free_port, wait_until


def _configuration(node: Node) -> dict[str, Any]:
    status = node.status()
    assert status is not None, f"{node.name} does not answer /status\n{node.tail('agent')}"
    configuration: dict[str, Any] = status["configuration"]
    return configuration


def _reloads(node: Node, result: str) -> int | None:
    """How many reloads ended with `result`; None while the agent does not answer."""
    status = node.status()
    return None if status is None else int(status["configuration"]["reloads"][result])


def _gossip(node: Node) -> int | None:
    """Messages the node's overlay published and received since it joined."""
    status = node.status()
    return (
        None if status is None else status["overlay"]["published"] + status["overlay"]["received"]
    )


def _without(peer: Node) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["members"] = [m for m in document["members"] if m["peer_id"] != peer.peer_id]
        document["bootstrap_peers"] = [
            address for address in document["bootstrap_peers"] if peer.peer_id not in address
        ]

    return change


@pytest.mark.component
def test_sighup_applies_a_changed_member_list_in_the_same_process(
    start_nodes: Callable[..., Federation],
) -> None:
    names = ["node-a", "node-b", "node-c"]
    federation = start_nodes(names, dict.fromkeys(names, 10.0), ready="iterated")
    node_a, node_b, node_c = (federation.by_name(name) for name in names)
    both = {node_b.peer_id, node_c.peer_id}
    wait_until(lambda: node_a.in_layout() == both, "node-a to have node-b and node-c in its layout")
    agent, haproxy = node_a.processes["agent"], node_a.processes["haproxy"]
    original = node_a.config_file.read_text()
    wait_until(lambda: (_gossip(node_a) or 0) >= 10, "node-a to publish and hear 10 messages")
    before = _gossip(node_a)

    removed = node_a.edit_config(_without(node_c))
    node_a.reload_agent()
    wait_until(lambda: node_a.runs_config(removed), "node-a to run the file without node-c")
    # The overlay was kept (a new one would count from 0): only the member list changed.
    assert (_gossip(node_a) or 0) >= (before or 0), "the reload started a new overlay"
    wait_until(lambda: node_a.in_layout() == {node_b.peer_id}, "node-a to drop node-c")

    node_a.config_file.write_text(original)  # node-c admitted again, as federate.yml does
    node_a.reload_agent()
    readmitted = node_a.config_sha256()
    wait_until(lambda: node_a.runs_config(readmitted), "node-a to run the file with node-c")
    wait_until(lambda: node_a.in_layout() == both, "node-a to have node-c in its layout again")

    assert agent.poll() is None
    assert node_a.processes["agent"] is agent, "the agent process was replaced"
    assert haproxy.poll() is None, "HAProxy stopped"
    configuration = _configuration(node_a)
    assert configuration["reloads"] == {"applied": 2, "unchanged": 0, "failed": 0}
    assert configuration["last_reload"]["result"] == "applied"


@pytest.mark.component
def test_sighup_with_an_unchanged_bad_or_unstartable_file_keeps_the_running_agent(
    start_nodes: Callable[..., Federation],
) -> None:
    names = ["node-a", "node-b"]
    federation = start_nodes(names, dict.fromkeys(names, 10.0), ready="iterated")
    node_a = federation.by_name("node-a")
    running = _configuration(node_a)["file_sha256"]
    assert running == node_a.config_sha256()

    node_a.reload_agent()  # nothing changed
    wait_until(lambda: _reloads(node_a, "unchanged") == 1, "node-a to see no change")

    def bad_period(document: dict[str, Any]) -> None:
        document["period"] = "-1s"

    node_a.edit_config(bad_period)
    node_a.reload_agent()
    wait_until(lambda: _reloads(node_a, "failed") == 1, "node-a to refuse it")
    configuration = _configuration(node_a)
    assert "period" in configuration["last_reload"]["problem"], configuration
    assert configuration["file_sha256"] == running

    # Valid, but the agent it describes cannot start: its overlay port is taken.
    taken = free_port([node_a.address])

    def taken_overlay_port(document: dict[str, Any]) -> None:
        document["period"] = "1s"
        document["listen"] = [f"/ip4/{node_a.address}/tcp/{taken}"]

    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind((node_a.address, taken))
        holder.listen()
        node_a.edit_config(taken_overlay_port)
        node_a.reload_agent()
        wait_until(
            lambda: _reloads(node_a, "failed") == 2,
            "node-a to fall back to its previous configuration",
        )

    configuration = _configuration(node_a)
    assert "cannot start with the new configuration" in configuration["last_reload"]["problem"]
    assert configuration["file_sha256"] == running
    assert configuration["reloads"]["applied"] == 1  # the attempt, before it gave way
    assert node_a.processes["agent"].poll() is None
    wait_until(node_a.has_iterated, "node-a to iterate again on its previous configuration")
