"""Real nodes on loopback (`dfaas-gateway`, HAProxy, `dfaas-agent run`): the fixture that
starts them. The launcher itself is `dfaas_testing`, shared with the collection's
integration tests and the benchmarks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dfaas_testing import (
    STOP_WAIT_S,
    WAIT_S,
    Federation,
    Node,
    free_port,
    start_federation,
    wait_until,
)

BIN = Path(sys.executable).parent

# What the test modules import from here.
__all__ = [
    "BIN",
    "STOP_WAIT_S",
    "WAIT_S",
    "Federation",
    "Node",
    "free_port",
    "status_summary",
    "wait_until",
]


def status_summary(federation: Federation) -> str:
    """For assertion messages: each node's last /status and the tail of its agent log."""
    return federation.summary()


@pytest.fixture
def start_nodes(tmp_path: Path) -> Iterator[Callable[..., Federation]]:
    """`start(names, maxrates, **options)` starts a federation (options: see
    `start_federation`); every process is stopped after the test."""
    started: list[Federation] = []

    def start(names: list[str], maxrates: dict[str, float], **options: Any) -> Federation:
        federation = start_federation(tmp_path, {name: maxrates[name] for name in names}, **options)
        started.append(federation)
        return federation

    yield start
    for federation in started:
        federation.stop()
