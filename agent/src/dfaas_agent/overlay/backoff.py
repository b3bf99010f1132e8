"""Capped exponential backoff with jitter for (re)dialling peers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    """Delay before retry ``n`` (0-based): ``min(cap, initial * factor**n)``, then
    shrunk by up to ``jitter`` of itself so that agents restarted together do not
    redial in lockstep. ``jitter < 1`` keeps every delay above zero: no busy loop.
    """

    initial_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.initial_s <= 0:
            raise ValueError("backoff initial_s: must be positive")
        if self.factor < 1:
            raise ValueError("backoff factor: must be at least 1")
        if self.cap_s < self.initial_s:
            raise ValueError("backoff cap_s: must be at least initial_s")
        if not 0 <= self.jitter < 1:
            raise ValueError("backoff jitter: must be in [0, 1)")

    def delays(self, rng: random.Random) -> Iterator[float]:
        """An endless schedule of delays; start a fresh one after a success."""
        ceiling = self.initial_s
        while True:
            yield ceiling * (1 - self.jitter * rng.random())
            ceiling = min(self.cap_s, ceiling * self.factor)
