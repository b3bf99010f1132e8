"""A lowered grant stays policed at its earlier value for `hold_s`; a raised one applies at once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfaas_agent.haproxy.layout import ProxyTuning
from dfaas_agent.loop.grant_grace import GrantGrace


def _grants(**per_peer: int) -> ProxyTuning:
    return ProxyTuning(local_limits={"f": 10}, admitted_rates={"f": dict(per_peer)})


def test_a_lowered_grant_is_held_for_hold_s_then_applies() -> None:
    grace = GrantGrace(hold_s=3.0)
    assert grace.policed(_grants(b=12), now=0.0).admitted_rates == {"f": {"b": 12}}
    assert grace.policed(_grants(b=8), now=1.0).admitted_rates == {"f": {"b": 12}}
    assert grace.policed(_grants(b=8), now=3.0).admitted_rates == {"f": {"b": 12}}
    assert grace.policed(_grants(b=8), now=3.5).admitted_rates == {"f": {"b": 8}}


def test_a_raised_grant_applies_at_once_and_steps_down_one_hold_at_a_time() -> None:
    grace = GrantGrace(hold_s=2.0)
    grace.policed(_grants(b=4), now=0.0)
    assert grace.policed(_grants(b=9), now=1.0).admitted_rates["f"]["b"] == 9
    assert grace.policed(_grants(b=6), now=2.0).admitted_rates["f"]["b"] == 9
    assert grace.policed(_grants(b=3), now=3.5).admitted_rates["f"]["b"] == 6  # 9 is older
    assert grace.policed(_grants(b=3), now=4.5).admitted_rates["f"]["b"] == 3


def test_a_grant_that_went_away_is_not_policed_and_comes_back_at_its_held_value() -> None:
    grace = GrantGrace(hold_s=2.0)
    grace.policed(_grants(b=10, c=5), now=0.0)
    # b gets no reserved share: not policed at all (the most permissive), not held at 10.
    assert grace.policed(_grants(c=5), now=1.0).admitted_rates == {"f": {"c": 5}}
    # Back within hold_s: the member may still send by the grant it heard last.
    assert grace.policed(_grants(b=2, c=5), now=1.5).admitted_rates["f"]["b"] == 10


def test_other_decisions_are_left_as_they_are() -> None:
    grace = GrantGrace(hold_s=2.0)
    tuning = ProxyTuning(
        local_limits={"f": 3}, weights={"f": {"b": 40}}, admitted_rates={"f": {"b": 1}}
    )
    assert grace.policed(tuning, now=0.0) is tuning


def test_a_negative_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="hold_s"):
        GrantGrace(hold_s=-1.0)


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=30))
def test_policed_is_the_highest_grant_of_the_window_and_never_below_the_plan(
    grants: list[int],
) -> None:
    grace = GrantGrace(hold_s=2.0)  # periods of 1 s: the last three grants count
    for period, grant in enumerate(grants):
        policed = grace.policed(_grants(b=grant), now=float(period)).admitted_rates["f"]["b"]
        assert policed == max(grants[max(0, period - 2) : period + 1])
        assert policed >= grant
