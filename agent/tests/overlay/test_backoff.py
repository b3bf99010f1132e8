"""The redial schedule: capped exponential growth with jitter, never zero."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfaas_agent.overlay import BackoffPolicy


class FixedRandom(random.Random):
    """A fake random source that always returns the same draw."""

    def __init__(self, draw: float) -> None:
        super().__init__()
        self.draw = draw

    def random(self) -> float:
        return self.draw


def first(policy: BackoffPolicy, count: int, draw: float) -> list[float]:
    return list(itertools.islice(policy.delays(FixedRandom(draw)), count))


def test_delays_double_from_initial_until_the_cap_without_jitter() -> None:
    policy = BackoffPolicy(initial_s=0.5, factor=2.0, cap_s=5.0, jitter=0.0)

    assert first(policy, 7, draw=0.9) == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_jitter_shrinks_each_delay_by_the_drawn_fraction() -> None:
    policy = BackoffPolicy(initial_s=1.0, factor=2.0, cap_s=8.0, jitter=0.5)

    assert first(policy, 4, draw=1.0) == [0.5, 1.0, 2.0, 4.0]
    assert first(policy, 4, draw=0.0) == [1.0, 2.0, 4.0, 8.0]


@given(
    initial=st.floats(0.001, 10.0),
    factor=st.floats(1.0, 10.0),
    extra_cap=st.floats(0.0, 100.0),
    jitter=st.floats(0.0, 0.99),
    rng_seed=st.integers(0, 2**32),
)
def test_every_delay_is_positive_and_never_above_the_cap(
    initial: float, factor: float, extra_cap: float, jitter: float, rng_seed: int
) -> None:
    policy = BackoffPolicy(
        initial_s=initial, factor=factor, cap_s=initial + extra_cap, jitter=jitter
    )

    delays = list(itertools.islice(policy.delays(random.Random(rng_seed)), 50))

    assert all(0 < delay <= policy.cap_s for delay in delays)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"initial_s": 0.0}, "initial_s"),
        ({"factor": 0.5}, "factor"),
        ({"initial_s": 2.0, "cap_s": 1.0}, "cap_s"),
        ({"jitter": 1.0}, "jitter"),
        ({"jitter": -0.1}, "jitter"),
    ],
)
def test_invalid_policy_is_rejected_naming_the_field(fields: dict[str, float], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        BackoffPolicy(**fields)
