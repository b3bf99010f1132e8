"""Which messages are delivered: the pure membership rule."""

from __future__ import annotations

import pytest

from dfaas_agent.overlay.membership import MembershipRule, Verdict

RULE = MembershipRule(own_peer_id="self", members=frozenset({"a", "b"}), max_payload_bytes=100)


def test_member_message_within_the_limit_is_delivered() -> None:
    assert RULE.judge("a", 100) is Verdict.DELIVER


def test_own_message_is_recognised_even_when_we_are_not_on_the_list() -> None:
    assert RULE.judge("self", 10) is Verdict.OWN


@pytest.mark.parametrize("payload_size", [0, 10_000])
def test_non_member_message_is_rejected_whatever_its_size(payload_size: int) -> None:
    assert RULE.judge("intruder", payload_size) is Verdict.NON_MEMBER


def test_member_message_over_the_limit_is_rejected_as_oversize() -> None:
    assert RULE.judge("b", 101) is Verdict.OVERSIZE
