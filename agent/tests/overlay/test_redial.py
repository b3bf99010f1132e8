"""The keep-connected loop, driven by a fake link and a fake sleep (no real waiting)."""

from __future__ import annotations

import itertools
import random

import pytest
import trio
import trio.testing

from dfaas_agent.overlay import BackoffPolicy
from dfaas_agent.overlay.redial import keep_connected

POLICY = BackoffPolicy(initial_s=1.0, factor=2.0, cap_s=4.0, jitter=0.0)
PEER = "12D3KooWpeer"
ADDRESSES = ("/ip4/127.0.0.1/tcp/1/p2p/12D3KooWpeer",)


class Stop(BaseException):
    """Raised by the fakes to end the otherwise endless loop."""


class FakeLink:
    """A fake host: dial outcomes are scripted; the connection drops at once."""

    def __init__(
        self, outcomes: list[bool], dial_forever: bool = False, connection_lasts_s: float = 60.0
    ) -> None:
        self.outcomes = outcomes
        self.dial_forever = dial_forever
        self.connection_lasts_s = connection_lasts_s
        self.dials = 0
        self.disconnect_waits = 0
        self.time = 0.0

    async def connect(self, peer_id: str, addresses: tuple[str, ...]) -> None:
        self.dials += 1
        if self.dial_forever:
            await trio.sleep_forever()
        if not self.outcomes:
            raise Stop
        if not self.outcomes.pop(0):
            raise ConnectionRefusedError(addresses[0])

    async def wait_disconnected(self, peer_id: str) -> None:
        self.disconnect_waits += 1
        self.time += self.connection_lasts_s

    def now(self) -> float:
        return self.time


class FakeSleep:
    def __init__(self, limit: int = 100) -> None:
        self.delays: list[float] = []
        self.limit = limit

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if len(self.delays) >= self.limit:
            raise Stop


def run(link: FakeLink, sleep: FakeSleep, failures: list[str]) -> None:
    async def main() -> None:
        await keep_connected(
            PEER,
            ADDRESSES,
            link,
            POLICY,
            random.Random(0),
            dial_timeout_s=5.0,
            on_failure=lambda peer, error: failures.append(peer),
            sleep=sleep,
            now=link.now,
        )

    with pytest.raises(Stop):
        trio.run(main)


def test_failed_dials_wait_the_backoff_schedule_between_tries() -> None:
    link, sleep = FakeLink([False, False, False, False]), FakeSleep()
    failures: list[str] = []

    run(link, sleep, failures)

    assert sleep.delays == [1.0, 2.0, 4.0, 4.0]
    assert failures == [PEER] * 4


def test_a_successful_connection_restarts_the_schedule() -> None:
    link, sleep = FakeLink([False, False, True, False]), FakeSleep()
    failures: list[str] = []

    run(link, sleep, failures)

    assert sleep.delays == [1.0, 2.0, 1.0]
    assert link.disconnect_waits == 1


def test_a_dropped_connection_is_redialled() -> None:
    link, sleep = FakeLink([True, True, True]), FakeSleep()
    failures: list[str] = []

    run(link, sleep, failures)

    assert link.dials == 4  # three connections, each redialled after it dropped
    assert link.disconnect_waits == 3
    assert sleep.delays == []


def test_a_peer_that_closes_each_connection_at_once_is_redialled_with_backoff() -> None:
    # A member closes a non-member's connection as soon as it opens: the non-member
    # must not hammer it in a busy loop.
    link, sleep = FakeLink([True] * 5, connection_lasts_s=0.01), FakeSleep()
    failures: list[str] = []

    run(link, sleep, failures)

    assert sleep.delays == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert failures == []


def test_a_dial_that_hangs_is_cut_at_the_timeout_and_retried() -> None:
    link, sleep = FakeLink([], dial_forever=True), FakeSleep(limit=2)
    failures: list[str] = []
    clock = trio.testing.MockClock(autojump_threshold=0)

    async def main() -> None:
        await keep_connected(
            PEER,
            ADDRESSES,
            link,
            POLICY,
            random.Random(0),
            dial_timeout_s=5.0,
            on_failure=lambda peer, error: failures.append(type(error).__name__),
            sleep=sleep,
        )

    with pytest.raises(Stop):
        trio.run(main, clock=clock)

    assert failures == ["TooSlowError", "TooSlowError"]
    assert clock.current_time() == pytest.approx(10.0)


def test_unreachable_peer_is_retried_with_growing_pauses_not_a_busy_loop() -> None:
    link, sleep = FakeLink([False] * 50), FakeSleep(limit=50)
    failures: list[str] = []

    run(link, sleep, failures)

    assert all(delay >= POLICY.initial_s for delay in sleep.delays)
    assert sum(sleep.delays) == pytest.approx(1 + 2 + 4 * 48)
    assert list(itertools.islice(sleep.delays, 3)) == [1.0, 2.0, 4.0]
