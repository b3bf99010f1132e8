"""The policy endpoint's schema: what the agent sends, which answers it accepts."""

from __future__ import annotations

import math
from typing import Any

import pytest

from dfaas_agent.model import (
    FunctionObservation,
    FunctionShares,
    Observation,
    PeerInfo,
    StrategySettings,
)
from dfaas_agent.policy.schema import (
    FallbackReason,
    PolicyUnavailable,
    parse_answer,
    policy_request,
)

ME, N2, N3, N4 = "12D3KooWme", "12D3KooWnode2", "12D3KooWnode3", "12D3KooWnode4"
OBSERVED = FunctionObservation(
    maxrate=10,
    timeout_ms=None,
    offered_rate=20,
    executed_for_peers={N3: 1.0},
    executed_rate=11,
    slots=4,
    local_rate=10,
    forwarded_rates={N2: 6.0, N3: 1.0},
)
OBSERVATION = Observation(peer_id=ME, functions={"f": OBSERVED}, cpu_percent=40.0)
PEERS = {
    N2: PeerInfo(
        N2, host="10.0.0.2", port=30080, functions=frozenset({"f"}), granted_to_us={"f": 6}
    ),
    N3: PeerInfo(N3, host="10.0.0.3", port=30080, functions=frozenset({"f"}), spare_rate=2.5),
    N4: PeerInfo(N4, host=None, port=None, functions=frozenset({"f"})),  # no address yet
}
SETTINGS = StrategySettings(node_ip="10.0.0.1", period_s=5)


def _request() -> dict[str, Any]:
    return policy_request(OBSERVATION, PEERS, SETTINGS)


def test_the_request_holds_rates_forwards_refusals_and_each_members_room() -> None:
    assert _request() == {
        "version": 1,
        "node": ME,
        "period_s": 5,
        "cpu_percent": 40.0,
        "ram_bytes": None,
        "functions": {
            "f": {
                "input_rate": 20,
                "capacity": 10,
                "maxrate": 10,
                "slots": 4,
                "local_rate": 10,
                "executed_rate": 11,
                "executed_for_members": {N3: 1.0},
                "forwarded": {N2: 6.0, N3: 1.0},
                "refused": 3.0,
                # Room: a recalc member's grant, a node-margin member's spare rate; a
                # member with no address is no candidate.
                "members": {N2: {"room": 6}, N3: {"room": 2.5}},
            }
        },
    }


def test_a_good_answer_becomes_shares_rescaled_to_exactly_1() -> None:
    # A float32 softmax misses 1 by a little.
    body = {"functions": {"f": {"local": 0.7, "members": {N2: 0.3}, "reject": 0.0004}}}

    shares = parse_answer(body, _request())

    assert shares["f"].members[N2] == pytest.approx(0.3 / 1.0004)
    assert math.fsum((shares["f"].local, shares["f"].reject, *shares["f"].members.values())) == (
        pytest.approx(1, abs=1e-12)
    )
    assert isinstance(shares["f"], FunctionShares)


def test_whole_numbers_are_shares_and_members_left_out_get_nothing() -> None:
    shares = parse_answer({"functions": {"f": {"local": 1}}}, _request())

    assert shares == {"f": FunctionShares(local=1.0, members={}, reject=0.0)}


@pytest.mark.parametrize(
    ("body", "reason", "words"),
    [
        ([1, 2], FallbackReason.BAD_SHAPE, "(top level)"),
        ({"functions": {"f": {"local": "1"}}}, FallbackReason.BAD_SHAPE, "functions.f.local"),
        ({"functions": {"f": {"local": 1, "extra": 0}}}, FallbackReason.BAD_SHAPE, "extra"),
        (
            {"functions": {"f": {"local": 1}, "g": {"local": 1}}},
            FallbackReason.UNKNOWN_FUNCTION,
            "g",
        ),
        ({"functions": {}}, FallbackReason.MISSING_FUNCTION, "'f'"),
        (
            {"functions": {"f": {"local": 0.5, "members": {N4: 0.5}}}},
            FallbackReason.UNKNOWN_MEMBER,
            N4,
        ),
        ({"functions": {"f": {"local": 1.5, "reject": -0.5}}}, FallbackReason.BAD_SHARES, "reject"),
        ({"functions": {"f": {"local": math.nan}}}, FallbackReason.BAD_SHARES, "nan"),
        ({"functions": {"f": {"local": math.inf}}}, FallbackReason.BAD_SHARES, "inf"),
        ({"functions": {"f": {"local": 0.5, "reject": 0.2}}}, FallbackReason.BAD_SHARES, "0.7"),
    ],
)
def test_an_answer_that_makes_no_sense_is_refused_naming_why(
    body: object, reason: FallbackReason, words: str
) -> None:
    with pytest.raises(PolicyUnavailable, match=words.replace("(", r"\(").replace(")", r"\)")) as e:
        parse_answer(body, _request())

    assert e.value.reason is reason
