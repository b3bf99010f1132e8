"""Announce on change, with a heartbeat: what counts as a change, and when a message is due."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfaas_agent.loop.announcer import (
    MARGIN_RESOLUTION,
    RATE_RESOLUTION,
    RELATIVE_TOLERANCE,
    Announcer,
    changed,
    moved,
)
from dfaas_agent.messages import (
    Load,
    MaxValues,
    Message,
    NodeInfoNMS,
    NodeInfoRecalc,
    NodeInfoStatic,
    NodeMarginInfoNMS,
)

PEER_B = "12D3KooWpeerB"
PEER_C = "12D3KooWpeerC"
PERIOD_S = 1.0

rates = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
positive_rates = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


def _recalc(
    grants: dict[str, float] | None = None, functions: tuple[str, ...] = ("figlet",)
) -> NodeInfoRecalc:
    grants = {PEER_B: 10.0, PEER_C: 10.0} if grants is None else grants
    return NodeInfoRecalc(
        host="10.0.0.1",
        port=30080,
        func_limits={peer: dict.fromkeys(functions, grant) for peer, grant in grants.items()},
        functions=list(functions),
    )


def _margin(margin: float = 40.0, spare_rate: float | None = 20.0, medium: float = 5.0) -> Message:
    return NodeMarginInfoNMS(
        margin=margin,
        load=Load(rate_high_usage=0.0, rate_medium_usage=medium, rate_low_usage=0.0),
        spare_rate=spare_rate,
    )


def _node_info(functions: tuple[str, ...] = ("figlet",), cpu: float = 120.0) -> Message:
    return NodeInfoNMS(
        host="10.0.0.1",
        port=30080,
        node_type=1,
        max_values=MaxValues(cpu_usage_node=cpu, ram_usage_node=5.5e9, power_usage_node=2.1e6),
        functions=list(functions),
    )


# --- what counts as a change ---------------------------------------------------------


@given(rates)
def test_a_rate_that_stays_put_is_unchanged(rate: float) -> None:
    assert not moved(rate, rate, RATE_RESOLUTION)


@given(positive_rates)
def test_a_rate_that_goes_to_or_from_zero_is_always_a_change(rate: float) -> None:
    assert moved(0.0, rate, RATE_RESOLUTION)
    assert moved(rate, 0.0, RATE_RESOLUTION)


@given(positive_rates, st.floats(min_value=-1.0, max_value=1.0))
def test_measurement_noise_within_the_tolerance_is_no_change(rate: float, share: float) -> None:
    # At most the tolerance of the larger value, or the resolution, whichever is larger.
    step = share * max(RELATIVE_TOLERANCE * rate / (1 + RELATIVE_TOLERANCE), RATE_RESOLUTION)
    after = rate + step
    if after > 0:
        assert not moved(rate, after, RATE_RESOLUTION)


@given(positive_rates, st.floats(min_value=1.01, max_value=100.0))
def test_a_rate_that_moves_past_tolerance_and_resolution_is_a_change(
    rate: float, factor: float
) -> None:
    after = rate / (1 - RELATIVE_TOLERANCE) * factor  # more than the tolerance of `after`
    if after - rate > RATE_RESOLUTION:
        assert moved(rate, after, RATE_RESOLUTION)
        assert moved(after, rate, RATE_RESOLUTION)


@given(rates, rates)
def test_change_does_not_depend_on_the_direction(before: float, after: float) -> None:
    assert moved(before, after, RATE_RESOLUTION) == moved(after, before, RATE_RESOLUTION)


@pytest.mark.parametrize(
    ("before", "after", "is_change"),
    [
        (10.0, 10.0, False),
        (10.0, 10.9, False),  # 8 %: noise
        (10.0, 11.2, True),  # 11 % and 1.2 req/s
        (100.0, 95.0, False),  # 5 %
        (100.0, 85.0, True),  # 15 %
        (2.0, 2.4, False),  # 0.4 req/s: below HAProxy's whole req/s
        (2.0, 2.6, True),  # 0.6 req/s and 23 %
        (0.0, 0.01, True),  # a member gains a share
        (0.3, 0.0, True),  # a member loses its share
        (0.0, 0.0, False),
    ],
)
def test_grant_changes_against_the_last_published_grant(
    before: float, after: float, is_change: bool
) -> None:
    assert changed(_recalc({PEER_B: before}), _recalc({PEER_B: after})) is is_change


@pytest.mark.parametrize(
    "after",
    [
        _recalc({PEER_B: 10.0}),  # a recipient fewer
        _recalc({PEER_B: 10.0, PEER_C: 10.0}, functions=("figlet", "shasum")),
        NodeInfoRecalc(
            host="10.0.0.9",
            port=30080,
            func_limits={PEER_B: {"figlet": 10.0}, PEER_C: {"figlet": 10.0}},
            functions=["figlet"],
        ),
    ],
    ids=["recipients", "functions", "host"],
)
def test_any_structural_change_of_a_recalc_announcement_is_a_change(after: Message) -> None:
    assert changed(_recalc(), after)


@pytest.mark.parametrize(
    ("after", "is_change"),
    [
        (_margin(margin=40.5, spare_rate=20.5, medium=5.3), False),
        (_margin(margin=0.0), True),  # it needs help now
        (_margin(margin=45.0), True),
        (_margin(spare_rate=0.0), True),
        (_margin(spare_rate=None), True),  # its capacity is unknown again
        (_margin(spare_rate=25.0), True),
        (_margin(medium=8.0), True),
    ],
)
def test_margin_changes(after: Message, is_change: bool) -> None:
    assert changed(_margin(), after) is is_change


def test_a_margin_moves_by_more_than_a_percentage_point_to_change() -> None:
    assert not moved(5.0, 5.0 + MARGIN_RESOLUTION, MARGIN_RESOLUTION)
    assert moved(5.0, 5.0 + 1.1 * MARGIN_RESOLUTION, MARGIN_RESOLUTION)


def test_node_information_is_compared_exactly() -> None:
    assert not changed(_node_info(), _node_info())
    assert changed(_node_info(), _node_info(functions=("figlet", "shasum")))
    assert changed(_node_info(), _node_info(cpu=121.0))
    static = NodeInfoStatic(host="10.0.0.1", port=30080, functions=["figlet"])
    assert changed(static, static.model_copy(update={"functions": []}))


# --- when a message is due -------------------------------------------------------------


def _count_published(announcer: Announcer, periods: int, messages: list[Message]) -> int:
    count = 0
    for period in range(periods + 1):
        now = period * PERIOD_S
        due = announcer.due(messages, now)
        announcer.published(due, now)
        count += len(due)
    return count


@pytest.mark.parametrize("heartbeat", [1, 2, 5, 7])
@pytest.mark.parametrize("periods", [0, 4, 20, 99])
def test_a_steady_announcement_goes_out_once_then_every_heartbeat(
    heartbeat: int, periods: int
) -> None:
    announcer = Announcer(heartbeat, PERIOD_S)

    assert _count_published(announcer, periods, [_recalc()]) == 1 + periods // heartbeat


def test_a_changed_grant_goes_out_in_the_period_it_changed() -> None:
    announcer = Announcer(5, PERIOD_S)
    announcer.published(announcer.due([_recalc()], 0.0), 0.0)

    assert announcer.due([_recalc({PEER_B: 10.5, PEER_C: 9.5})], 1.0) == ()
    assert announcer.due([_recalc({PEER_B: 0.0, PEER_C: 10.0})], 2.0) == (
        _recalc({PEER_B: 0.0, PEER_C: 10.0}),
    )


def test_small_drifts_add_up_to_a_change_against_what_was_published() -> None:
    announcer = Announcer(60, PERIOD_S)
    announcer.published(announcer.due([_recalc({PEER_B: 10.0})], 0.0), 0.0)
    grant = 10.0
    published_at = []
    for period in range(1, 10):
        grant *= 1.04  # 4 % a period: never a change against last period's value
        due = announcer.due([_recalc({PEER_B: grant})], period)
        announcer.published(due, period)
        if due:
            published_at.append(period)

    assert published_at == [3, 6, 9]  # once 3 x 4 % (12.5 %) passed the 10 %


def test_each_kind_has_its_own_heartbeat_and_changes() -> None:
    announcer = Announcer(5, PERIOD_S)
    announcer.published(announcer.due([_node_info(), _margin()], 0.0), 0.0)

    assert announcer.due([_node_info(), _margin(margin=0.0)], 1.0) == (_margin(margin=0.0),)


def test_everything_goes_out_when_asked_for() -> None:
    announcer = Announcer(5, PERIOD_S)
    announcer.published(announcer.due([_node_info(), _margin()], 0.0), 0.0)

    assert announcer.due([_node_info(), _margin()], 1.0, everything=True) == (
        _node_info(),
        _margin(),
    )


def test_what_failed_to_go_out_is_due_again() -> None:
    announcer = Announcer(5, PERIOD_S)
    announcer.due([_recalc()], 0.0)  # not recorded as published: the overlay failed

    assert announcer.due([_recalc()], 1.0) == (_recalc(),)


def test_a_kind_that_comes_back_goes_out_at_once() -> None:
    announcer = Announcer(5, PERIOD_S)
    announcer.published(announcer.due([_node_info(), _margin()], 0.0), 0.0)
    announcer.due([_node_info()], 1.0)  # no neighbour shares a function: no margin

    assert announcer.due([_node_info(), _margin()], 2.0) == (_margin(),)


def test_a_late_iteration_does_not_push_the_heartbeat_a_period_later() -> None:
    announcer = Announcer(3, 10.0)
    announcer.published(announcer.due([_recalc()], 0.0), 0.0)

    assert announcer.due([_recalc()], 29.9) == (_recalc(),)
    assert announcer.due([_recalc()], 20.1) == ()


def test_a_heartbeat_below_1_is_refused() -> None:
    with pytest.raises(ValueError, match="heartbeat_periods must be >= 1"):
        Announcer(0, PERIOD_S)
