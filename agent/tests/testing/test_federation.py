"""`start_federation`: real gateway, HAProxy and agent processes on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from dfaas_testing import (
    Binaries,
    LaunchError,
    processes_mentioning,
    start_federation,
    wait_until,
)

pytestmark = pytest.mark.component


def test_the_federation_forms_and_stop_ends_every_process_gracefully(tmp_path: Path) -> None:
    federation = start_federation(
        tmp_path, {"node-a": 5.0, "node-b": None}, first_address="127.0.0.61"
    )
    node_a, node_b = federation.nodes
    try:
        wait_until(
            lambda: (
                node_a.in_layout() == {node_b.peer_id} and node_b.in_layout() == {node_a.peer_id}
            ),
            "each node to have the other in its HAProxy layout",
        )
    finally:
        agent_exit_codes = federation.stop()

    assert (node_a.address, node_b.address) == ("127.0.0.61", "127.0.0.62")
    assert agent_exit_codes == {"node-a": 0, "node-b": 0}
    assert len(federation.processes()) == 6
    assert all(process.poll() is not None for process in federation.processes())


def test_an_agent_that_exits_at_start_is_named_with_its_log_and_nothing_is_left_running(
    tmp_path: Path,
) -> None:
    # A fake agent, to fail on purpose: the real gateway and HAProxy start before it.
    fake_agent = tmp_path / "fake-agent"
    fake_agent.write_text("#!/bin/sh\necho 'fake agent: refusing to start' >&2\nexit 3\n")
    fake_agent.chmod(0o755)
    binaries = Binaries.find()
    binaries = Binaries(fake_agent.as_posix(), binaries.gateway, binaries.haproxy)
    workdir = tmp_path / "nodes"

    with pytest.raises(LaunchError) as failure:
        start_federation(workdir, {"node-a": 5.0}, binaries=binaries, first_address="127.0.0.63")

    assert "node-a agent exited with code 3" in str(failure.value)
    assert "fake agent: refusing to start" in str(failure.value)
    assert processes_mentioning(str(workdir)) == []
