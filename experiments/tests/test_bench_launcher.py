"""The bench's loopback federation: real gateway, HAProxy and agent processes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from dfaas_experiments.bench.launcher import (
    LaunchError,
    free_port,
    master_reloads,
    start_federation,
)
from dfaas_experiments.bench.measures import wait_for_members

SHOW_PROC = """#<PID>          <type>          <reloads>       <uptime>        <version>
4121            master          3 [failed: 0]   0d00h00m12s     2.6.12-1+deb12u4
# workers
4188            worker          0               0d00h00m02s     2.6.12-1+deb12u4
# old workers
4160            worker          1               0d00h00m05s     2.6.12-1+deb12u4
"""


def test_reload_count_is_read_from_the_master_line() -> None:
    assert master_reloads(SHOW_PROC) == 3


def test_show_proc_without_a_master_is_refused() -> None:
    with pytest.raises(LaunchError, match="names no master"):
        master_reloads("# workers\n4188 worker 0\n")


def test_free_port_can_be_bound_on_every_address() -> None:
    addresses = ["127.0.0.11", "127.0.0.12"]

    port = free_port(addresses)

    with socket.socket() as first, socket.socket() as second:
        first.bind((addresses[0], port))
        second.bind((addresses[1], port))
        assert first.getsockname() == (addresses[0], port)
        assert second.getsockname() == (addresses[1], port)


@pytest.mark.component
def test_federation_forms_and_stop_ends_every_process(tmp_path: Path) -> None:
    federation = start_federation(tmp_path, {"node-a": 5.0, "node-b": 5.0})
    try:
        wait_for_members(federation)
        node_a, node_b = federation.nodes
        assert node_a.in_layout() == {node_b.peer_id}
    finally:
        federation.stop()

    assert len(federation.processes()) == 6
    assert all(process.poll() is not None for process in federation.processes())
