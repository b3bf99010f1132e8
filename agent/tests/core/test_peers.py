"""The peer table: updates from gossip, expiry on an injected clock."""

from __future__ import annotations

import pytest

from dfaas_agent.messages import (
    Load,
    MaxValues,
    NodeInfoNMS,
    NodeInfoRecalc,
    NodeInfoStatic,
    NodeMarginInfoNMS,
    TextMessage,
)
from dfaas_agent.model import GroupLoad, ResourceUsage
from dfaas_agent.peers import PeerTable, validity_for

ME = "12D3KooWme"
PEER = "12D3KooWpeer"
OTHER = "12D3KooWother"


class FakeClock:
    """Stands in for time.monotonic so that tests move time by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _static(functions: list[str], host: str = "10.0.0.2") -> NodeInfoStatic:
    return NodeInfoStatic(host=host, port=30080, functions=functions)


def _margin(
    margin: float, high: float = 0.0, medium: float = 0.0, low: float = 0.0
) -> NodeMarginInfoNMS:
    return NodeMarginInfoNMS(
        margin=margin,
        load=Load(rate_high_usage=high, rate_medium_usage=medium, rate_low_usage=low),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def table(clock: FakeClock) -> PeerTable:
    return PeerTable(ME, validity_s=120.0, clock=clock)


def test_validity_is_1_2_periods_for_recalc_and_2_periods_otherwise() -> None:
    assert validity_for("recalc", 60.0) == pytest.approx(72.0)
    assert validity_for("node_margin", 60.0) == 120.0
    assert validity_for("static", 30.0) == 60.0


def test_short_periods_keep_at_least_two_seconds_of_slack() -> None:
    assert validity_for("recalc", 1.0) == pytest.approx(3.0)
    assert validity_for("node_margin", 1.0) == pytest.approx(3.0)
    assert validity_for("recalc", 10.0) == pytest.approx(12.0)


def test_a_heartbeat_of_1_keeps_the_validity_of_an_announcement_every_period() -> None:
    for strategy in ("recalc", "node_margin", "static", "all_local"):
        for period_s in (1.0, 5.0, 10.0, 60.0):
            assert validity_for(strategy, period_s, 1) == validity_for(strategy, period_s)


@pytest.mark.parametrize(
    ("strategy", "period_s", "heartbeat", "expected_s"),
    [
        ("recalc", 1.0, 5, 7.0),  # 4 quiet periods + (1 period + 2 s of slack)
        ("node_margin", 1.0, 5, 7.0),
        ("recalc", 10.0, 5, 52.0),  # 40 + 1.2 periods
        ("node_margin", 10.0, 5, 60.0),  # 40 + 2 periods
        ("recalc", 60.0, 2, 132.0),
    ],
)
def test_a_heartbeat_of_h_periods_adds_h_minus_1_quiet_periods(
    strategy: str, period_s: float, heartbeat: int, expected_s: float
) -> None:
    assert validity_for(strategy, period_s, heartbeat) == pytest.approx(expected_s)


def test_the_margin_past_a_due_heartbeat_is_that_of_an_announcement_every_period() -> None:
    for strategy in ("recalc", "node_margin"):
        for period_s in (1.0, 2.5, 10.0, 60.0):
            margin_s = validity_for(strategy, period_s) - period_s
            for heartbeat in range(1, 61):
                validity_s = validity_for(strategy, period_s, heartbeat)
                assert validity_s - heartbeat * period_s == pytest.approx(margin_s)


def test_a_heartbeat_below_1_is_refused() -> None:
    with pytest.raises(ValueError, match="heartbeat_periods must be >= 1"):
        validity_for("recalc", 1.0, 0)


def test_entry_is_kept_within_the_validity_window(table: PeerTable, clock: FakeClock) -> None:
    table.record(PEER, _static(["figlet"]))
    clock.now += 120.0

    assert list(table.snapshot()) == [PEER]


def test_entry_expires_after_the_validity_window(table: PeerTable, clock: FakeClock) -> None:
    table.record(PEER, _static(["figlet"]))
    clock.now += 120.5

    assert table.snapshot() == {}


def test_news_from_a_peer_extends_its_validity(table: PeerTable, clock: FakeClock) -> None:
    table.record(PEER, _static(["figlet"]))
    clock.now += 100.0
    table.record(PEER, _static(["figlet"]))
    clock.now += 100.0

    assert table.snapshot()[PEER].last_seen == clock.now - 100.0


def test_snapshot_is_sorted_by_peer_id(table: PeerTable) -> None:
    table.record(PEER, _static(["figlet"]))
    table.record(OTHER, _static(["figlet"]))

    assert list(table.snapshot()) == sorted([PEER, OTHER])


def test_own_messages_are_ignored(table: PeerTable) -> None:
    assert table.record(ME, _static(["figlet"])) is False
    assert table.snapshot() == {}


def test_text_messages_do_not_create_entries(table: PeerTable) -> None:
    assert table.record(PEER, TextMessage(text="hi")) is False
    assert table.snapshot() == {}


def test_static_info_sets_address_and_functions(table: PeerTable) -> None:
    table.record(PEER, _static(["figlet", "shasum"], host="10.1.2.3"))

    entry = table.snapshot()[PEER]
    assert (entry.host, entry.port, entry.functions) == (
        "10.1.2.3",
        30080,
        frozenset({"figlet", "shasum"}),
    )


def test_recalc_info_records_what_the_peer_grants_us(table: PeerTable) -> None:
    message = NodeInfoRecalc(
        host="10.0.0.2",
        port=30080,
        func_limits={ME: {"figlet": 7.5, "shasum": 0.0}, OTHER: {"figlet": 3.0}},
    )

    table.record(PEER, message)

    entry = table.snapshot()[PEER]
    assert entry.granted_to_us == {"figlet": 7.5, "shasum": 0.0}
    assert entry.functions == frozenset({"figlet", "shasum"})


def test_recalc_info_that_does_not_name_us_grants_nothing(table: PeerTable) -> None:
    table.record(PEER, NodeInfoRecalc(host="10.0.0.2", port=30080, func_limits={ME: {"f": 5.0}}))
    table.record(
        PEER,
        NodeInfoRecalc(
            host="10.0.0.2", port=30080, func_limits={OTHER: {"f": 1.0}}, functions=["f", "g"]
        ),
    )

    entry = table.snapshot()[PEER]
    assert entry.granted_to_us == {}
    assert entry.functions == frozenset({"f", "g"})


def test_margin_message_from_an_unknown_sender_is_kept_without_address(
    table: PeerTable,
) -> None:
    table.record(PEER, _margin(25.0, high=1.0))

    entry = table.snapshot()[PEER]
    assert entry.margin == 25.0
    assert not entry.reachable


def test_margin_load_fields_go_to_their_own_groups(table: PeerTable) -> None:
    table.record(PEER, _margin(10.0, high=1.0, medium=2.0, low=3.0))

    assert table.snapshot()[PEER].load == GroupLoad(high=1.0, medium=2.0, low=3.0)


def test_nms_info_and_margin_combine_in_one_entry(table: PeerTable) -> None:
    table.record(PEER, _margin(10.0, low=3.0))
    table.record(
        PEER,
        NodeInfoNMS(
            host="10.0.0.2",
            port=30080,
            node_type=0,
            max_values=MaxValues(cpu_usage_node=235, ram_usage_node=6e9, power_usage_node=3.5e6),
            functions=["figlet"],
        ),
    )

    entry = table.snapshot()[PEER]
    assert entry.reachable
    assert entry.margin == 10.0
    assert entry.max_values == ResourceUsage(
        cpu_percent=235.0, ram_bytes=6e9, power_microwatts=3.5e6
    )


def test_forgotten_peer_leaves_the_table(table: PeerTable) -> None:
    table.record(PEER, _static(["figlet"]))

    table.forget(PEER)

    assert table.snapshot() == {}


def test_non_positive_validity_is_refused(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="validity_s"):
        PeerTable(ME, validity_s=0.0, clock=clock)
