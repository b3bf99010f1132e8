"""Benchmark (not a test): how long a killed and restarted member goes unheard.

    ../.venv/bin/python tests/overlay/bench_restart.py --members 3 --rounds 6

Starts `--members` overlay processes (tests/overlay/overlay_node.py) on fixed loopback
ports, each bootstrapping to all the others, each publishing twice a second (faster
than once a second, as an agent does). Each round SIGKILLs one member, starts it again
with the same key and port, and prints the time until it has heard every other member
and every other member has heard it. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from dfaas_agent.overlay import peer_id_of

NODE_SCRIPT = Path(__file__).with_name("overlay_node.py")
PUBLISH_EVERY_S = 0.5
DEADLINE_S = 60.0
DOWN_S = 1.0


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


class Member:
    """One overlay process; records when it first heard each sender since started."""

    def __init__(self, index: int, seeds: list[bytes], ports: list[int]) -> None:
        ids = [peer_id_of(seed) for seed in seeds]
        command = [
            sys.executable,
            str(NODE_SCRIPT),
            "--seed",
            seeds[index].hex(),
            "--port",
            str(ports[index]),
            "--members",
            ",".join(ids),
        ]
        for other, port in enumerate(ports):
            if other != index:
                command += ["--bootstrap", f"/ip4/127.0.0.1/tcp/{port}/p2p/{ids[other]}"]
        self.ids = ids
        self.heard: dict[int, float] = {}
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            event = json.loads(line) if line.startswith("{") else {}
            if event.get("event") == "gossip" and event["sender"] in self.ids:
                self.heard.setdefault(self.ids.index(event["sender"]), time.monotonic())

    def publish(self) -> None:
        try:
            assert self.process.stdin is not None
            self.process.stdin.write("hello\n")
            self.process.stdin.flush()
        except (OSError, ValueError):
            pass  # killed this round

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--members", type=int, default=3, choices=range(2, 9))
    parser.add_argument("--rounds", type=int, default=6, choices=range(1, 31))
    args = parser.parse_args()
    seeds = [bytes([n + 1]) * 32 for n in range(args.members)]
    ports = free_ports(args.members)
    members = [Member(index, seeds, ports) for index in range(args.members)]
    stop = threading.Event()

    def publish_forever() -> None:
        while not stop.is_set():
            for member in members:
                member.publish()
            time.sleep(PUBLISH_EVERY_S)

    def all_heard(victim: int) -> bool:
        others = [index for index in range(args.members) if index != victim]
        return all(i in members[victim].heard for i in others) and all(
            victim in members[i].heard for i in others
        )

    threading.Thread(target=publish_forever, daemon=True).start()
    try:
        started = time.monotonic()
        while not all(all_heard(i) for i in range(args.members)):
            if time.monotonic() - started > DEADLINE_S:
                raise SystemExit("the members never heard each other")
            time.sleep(0.05)
        print(f"every member heard every other after {time.monotonic() - started:.2f} s")
        for round_number in range(args.rounds):
            victim = round_number % args.members
            members[victim].kill()
            for member in members:
                member.heard.pop(victim, None)
            time.sleep(DOWN_S)
            started = time.monotonic()
            members[victim] = Member(victim, seeds, ports)
            while not all_heard(victim) and time.monotonic() - started < DEADLINE_S:
                time.sleep(0.05)
            took = f"{time.monotonic() - started:.2f} s" if all_heard(victim) else "never"
            print(f"round {round_number}: member {victim} restarted, all heard again: {took}")
    finally:
        stop.set()
        for member in members:
            member.kill()


if __name__ == "__main__":
    main()
