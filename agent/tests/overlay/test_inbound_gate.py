"""The overlay port's per-source token buckets (pure: the tests pass the time)."""

from __future__ import annotations

import pytest

from dfaas_agent.overlay.inbound_gate import InboundGate


def _admitted(gate: InboundGate, host: str, count: int, now: float) -> int:
    return sum(gate.admit(host, now) for _ in range(count))


def test_a_source_gets_its_burst_at_once_then_its_rate() -> None:
    gate = InboundGate(rate_per_s=2.0, burst=5)
    assert _admitted(gate, "192.0.2.7", 20, now=0.0) == 5
    assert _admitted(gate, "192.0.2.7", 20, now=1.0) == 2
    assert _admitted(gate, "192.0.2.7", 20, now=1.25) == 0
    # An idle source refills up to its burst, never beyond.
    assert _admitted(gate, "192.0.2.7", 20, now=100.0) == 5


def test_sources_do_not_share_a_bucket() -> None:
    gate = InboundGate(rate_per_s=1.0, burst=3)
    assert _admitted(gate, "192.0.2.7", 10, now=0.0) == 3
    assert _admitted(gate, "192.0.2.8", 10, now=0.0) == 3


def test_members_configured_addresses_are_never_limited_and_can_change() -> None:
    gate = InboundGate(rate_per_s=1.0, burst=1, exempt=["192.0.2.1", "2001:db8::1"])
    assert _admitted(gate, "192.0.2.1", 50, now=0.0) == 50
    assert _admitted(gate, "2001:db8:0:0::1", 50, now=0.0) == 50
    # The same address written as IPv4-mapped IPv6 (a dual-stack listener) is the same.
    assert _admitted(gate, "::ffff:192.0.2.1", 50, now=0.0) == 50

    gate.set_exempt(["192.0.2.2"])
    assert _admitted(gate, "192.0.2.1", 50, now=0.0) == 1
    assert _admitted(gate, "192.0.2.2", 50, now=0.0) == 50


def test_an_ipv6_prefix_shares_one_bucket_and_mapped_ipv4_counts_as_ipv4() -> None:
    gate = InboundGate(rate_per_s=1.0, burst=4)
    spray = [f"2001:db8:1:2::{n:x}" for n in range(1, 40)]
    assert sum(gate.admit(host, 0.0) for host in spray) == 4
    assert _admitted(gate, "2001:db8:1:3::1", 10, now=0.0) == 4  # another /64
    assert _admitted(gate, "::ffff:198.51.100.9", 3, now=0.0) == 3
    assert _admitted(gate, "198.51.100.9", 3, now=0.0) == 1


def test_an_address_spray_beyond_max_sources_shares_one_more_bucket() -> None:
    gate = InboundGate(rate_per_s=1.0, burst=2, max_sources=8)
    sources = [f"198.51.100.{n}" for n in range(1, 200)]
    admitted = sum(gate.admit(host, 0.0) for host in sources)
    # Eight sources with a bucket each (one connection each), then every other
    # source shares one more bucket: its burst of 2, for the 191 of them.
    assert admitted == 8 + 2
    assert gate.sources == 9


def test_refilled_buckets_are_forgotten_when_room_is_needed() -> None:
    gate = InboundGate(rate_per_s=1.0, burst=2, max_sources=2)
    assert gate.admit("198.51.100.1", 0.0)
    assert gate.admit("198.51.100.2", 0.0)
    # Both refilled by t = 1 s: a new source gets a bucket of its own.
    assert _admitted(gate, "198.51.100.3", 5, now=1.0) == 2
    assert gate.sources == 1


def test_a_full_table_is_swept_at_most_once_a_second() -> None:
    gate = InboundGate(rate_per_s=10.0, burst=1, max_sources=2)
    assert gate.admit("198.51.100.1", 0.0)
    assert gate.admit("198.51.100.2", 0.0)
    assert gate.admit("198.51.100.3", 0.05)  # swept: nothing refilled yet, shares the rest
    # Both first buckets have refilled by 0.5 s, but the last sweep was 0.45 s ago.
    assert gate.admit("198.51.100.4", 0.5)
    assert gate.sources == 3
    assert gate.admit("198.51.100.5", 1.05)  # swept again: a bucket of its own
    assert gate.sources == 2


def test_each_source_is_reported_once_until_its_bucket_is_forgotten() -> None:
    gate = InboundGate(rate_per_s=1.0, burst=1, max_sources=1)
    assert gate.admit("198.51.100.1", 0.0)
    assert not gate.admit("198.51.100.1", 0.0)
    assert gate.first_refusal("198.51.100.1")
    assert not gate.admit("198.51.100.1", 0.1)
    assert not gate.first_refusal("198.51.100.1")
    # Forgotten once full again (room was needed): reported anew if it floods again.
    assert gate.admit("198.51.100.2", 5.0)
    assert gate.admit("198.51.100.1", 10.0)
    assert not gate.admit("198.51.100.1", 10.0)
    assert gate.first_refusal("198.51.100.1")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rate_per_s": 0.0}, "rate_per_s must be above 0, got 0.0"),
        ({"burst": 0}, "burst must be at least 1, got 0"),
        ({"max_sources": 0}, "max_sources must be at least 1, got 0"),
    ],
)
def test_bad_limits_are_refused_by_name(arguments: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InboundGate(**arguments)  # type: ignore[arg-type]
