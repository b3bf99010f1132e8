"""Fixtures for the overlay tests: overlay members as real separate processes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dfaas_agent.overlay import peer_id_of

NODE_SCRIPT = Path(__file__).with_name("overlay_node.py")
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0

Event = dict[str, Any]


def seed(number: int) -> bytes:
    """A fixed Ed25519 seed per test member, so peer IDs are known before start."""
    return bytes([number]) * 32


class NodeProcess:
    """An overlay member in its own Python process (tests/overlay/overlay_node.py)."""

    def __init__(self, process: subprocess.Popen[str], seed_bytes: bytes) -> None:
        self.process = process
        self.peer_id = peer_id_of(seed_bytes)
        self.events: list[Event] = []
        self._inbox: queue.Queue[Event | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        ready = self.wait_for(lambda e: e["event"] == "ready", STARTUP_TIMEOUT_S, "ready")
        self.addresses: list[str] = ready["addresses"]

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self._inbox.put(json.loads(line))
        self._inbox.put(None)

    def wait_for(self, matches: Callable[[Event], bool], timeout_s: float, what: str) -> Event:
        """The first event (already seen or arriving within ``timeout_s``) that matches."""
        for event in self.events:
            if matches(event):
                return event
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                arrived = self._inbox.get(timeout=left)
            except queue.Empty:
                break
            if arrived is None:
                raise AssertionError(f"{self.peer_id} exited while waiting for {what}")
            self.events.append(arrived)
            if matches(arrived):
                return arrived
        raise AssertionError(f"{self.peer_id}: no {what} within {timeout_s}s")

    def wait_for_members(self, expected: set[str], timeout_s: float) -> None:
        self.wait_for(
            lambda e: e["event"] == "members" and set(e["members"]) == expected,
            timeout_s,
            f"members == {sorted(expected)}",
        )

    def publish(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def gossip_from(self, sender: str) -> list[str]:
        self.drain()
        return [
            e["payload"] for e in self.events if e["event"] == "gossip" and e["sender"] == sender
        ]

    def drain(self) -> None:
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                return
            if event is not None:
                self.events.append(event)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()  # the node leaves the overlay and exits
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)


StartNode = Callable[..., NodeProcess]


@pytest.fixture
def start_node(tmp_path: Path) -> Iterator[StartNode]:
    """Start overlay member processes; every one is stopped after the test."""
    started: list[NodeProcess] = []

    def start(
        number: int,
        members: set[str],
        bootstrap: list[str] = (),  # type: ignore[assignment]
        rendezvous: str | None = None,
    ) -> NodeProcess:
        command = [
            sys.executable,
            str(NODE_SCRIPT),
            "--seed",
            seed(number).hex(),
            "--port",
            "0",
            "--members",
            ",".join(sorted(members)),
        ]
        for address in bootstrap:
            command += ["--bootstrap", address]
        if rendezvous is not None:
            command += ["--rendezvous", rendezvous]
        log = (tmp_path / f"node{number}.log").open("w")
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        try:
            node = NodeProcess(process, seed(number))
        except BaseException:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
            raise
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()
