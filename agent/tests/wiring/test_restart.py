"""A restarted agent starts from the plan it applied last, not from an empty one."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from dfaas_agent.messages import NodeInfoRecalc, decode, encode
from dfaas_agent.overlay import Gossip

from .fakes import PEER_B, PEER_C, SELF, Harness, agent_config, harness


def _grant(node: Harness, sender: str, rate: float) -> None:
    message = NodeInfoRecalc(
        host="10.9.9.9", port=30080, func_limits={SELF: {"figlet": rate}}, functions=["figlet"]
    )
    node.agent.receive(Gossip(sender=sender, payload=encode(message)))


def _run_once_and_stop(plan_file: Path) -> None:
    """An agent that heard node-b grant 4 req/s and node-c 1 req/s, then stopped."""
    for node in harness(last_plan_file=plan_file):
        _grant(node, PEER_B, 4.0)
        _grant(node, PEER_C, 1.0)
        node.iterate()


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    """The plan kept by an agent that heard node-b grant 4 req/s and node-c 1, then stopped."""
    path = tmp_path / "last-plan.json"
    _run_once_and_stop(path)
    return path


def test_the_applied_plan_is_kept_on_disk(plan_file: Path) -> None:
    kept = json.loads(plan_file.read_text())
    assert kept["members"] == sorted([PEER_B, PEER_C])
    assert kept["weights"] == {"figlet": {PEER_B: 80, PEER_C: 20}}


def test_a_restarted_agent_forwards_as_before_although_no_member_spoke_yet(plan_file: Path) -> None:
    for node in harness(last_plan_file=plan_file):
        node.iterate()  # nobody connected, nobody announced: an empty plan otherwise

        layout, tuning = node.proxy.applied[-1]
        assert {member.peer_id for member in layout.members} == {PEER_B, PEER_C}
        assert tuning.weights["figlet"] == {PEER_B: 80, PEER_C: 20}


def _grants_announced(node: Harness) -> dict[str, dict[str, float]]:
    message = decode(node.overlay.published[-1])
    assert isinstance(message, NodeInfoRecalc)
    return message.func_limits


def test_a_restarted_agent_announces_the_grants_it_left(plan_file: Path) -> None:
    # Members restarted at the same moment (federate.yml) hear this agent first: its own
    # first plan knows no host yet and would grant them nothing, so they would stop
    # forwarding to it for a period or two.
    assert json.loads(plan_file.read_text())["announcements"][0]["FuncLimits"] == {
        PEER_B: {"figlet": 5.0},
        PEER_C: {"figlet": 5.0},
    }

    for node in harness(last_plan_file=plan_file):
        node.iterate()

        assert _grants_announced(node) == {PEER_B: {"figlet": 5.0}, PEER_C: {"figlet": 5.0}}


def test_the_agent_announces_its_own_grants_once_the_kept_plan_gave_way(plan_file: Path) -> None:
    for node in harness(last_plan_file=plan_file):
        node.iterate()
        # node-c no longer hosts figlet: the agent's own plan grants it nothing.
        _grant(node, PEER_B, 1.0)
        node.agent.receive(
            Gossip(
                sender=PEER_C,
                payload=encode(
                    NodeInfoRecalc(host="10.9.9.9", port=30080, func_limits={}, functions=[])
                ),
            )
        )
        for _ in range(3):
            node.iterate(advance_s=1.0)

        assert _grants_announced(node) == {PEER_B: {"figlet": 10.0}, PEER_C: {"figlet": 0.0}}


def test_the_kept_plan_gives_way_once_its_members_spoke_again(plan_file: Path) -> None:
    for node in harness(last_plan_file=plan_file):
        node.iterate()
        _grant(node, PEER_B, 1.0)
        _grant(node, PEER_C, 1.0)
        for _ in range(3):
            node.iterate(advance_s=1.0)

        assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 50, PEER_C: 50}


def test_the_kept_plan_waits_for_members_that_spoke_before_hearing_the_agent_again(
    plan_file: Path,
) -> None:
    # While the agent was away its members stopped granting it anything; their first
    # announcements after its restart may still say so. Handing over on them would send
    # the excess nowhere (503), or all of it to the one member that heard the agent
    # first, beyond what that member can take: the kept plan stays until every member
    # it forwarded to grants again.
    for node in harness(last_plan_file=plan_file):
        node.iterate()
        _grant(node, PEER_B, 0.0)
        _grant(node, PEER_C, 0.0)
        for _ in range(3):
            node.iterate(advance_s=1.0)
        assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 80, PEER_C: 20}

        _grant(node, PEER_B, 2.0)  # node-b heard the agent again, node-c not yet
        node.iterate(advance_s=1.0)
        assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 80, PEER_C: 20}

        _grant(node, PEER_C, 2.0)
        node.iterate(advance_s=1.0)

        assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 50, PEER_C: 50}


def test_the_kept_plan_gives_way_after_its_deadline_even_if_members_stay_silent(
    plan_file: Path,
) -> None:
    for node in harness(last_plan_file=plan_file):
        node.iterate()
        node.iterate(advance_s=101.0)  # 10 periods of 10 s

        assert node.proxy.applied[-1][1].weights == {"figlet": {}}


def test_with_a_long_heartbeat_the_kept_plan_waits_for_the_members_to_repeat_themselves(
    plan_file: Path,
) -> None:
    # A heartbeat of 20 periods of 10 s: a quiet member speaks again within 202 s.
    for node in harness(agent_config(announce_heartbeat_periods=20), last_plan_file=plan_file):
        node.iterate()
        node.iterate(advance_s=101.0)
        assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 80, PEER_C: 20}

        node.iterate(advance_s=111.0)  # 212 s: validity and one period
        assert node.proxy.applied[-1][1].weights == {"figlet": {}}


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"version": 99}',
        '{"version": 1, "members": 3}',
        '{"version": 1, "members": [], "announcements": [{"MsgType": "forged"}]}',
    ],
)
def test_an_unusable_kept_plan_is_ignored_with_a_warning(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    plan_file = tmp_path / "last-plan.json"
    plan_file.write_text(content)

    for node in harness(last_plan_file=plan_file):
        node.iterate()

        assert node.proxy.applied[-1][1].weights == {"figlet": {}}  # no member spoke yet
    assert "ignored, starting without it" in caplog.text


def test_a_switch_to_another_forwarding_strategy_keeps_the_weights_not_the_messages(
    plan_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # federate.yml switched the federation from recalc to node_margin and restarted every
    # agent: until node_margin has heard its members, recalc's weights keep the excess
    # going where it went; recalc's messages are not node_margin's to announce.
    caplog.set_level(logging.INFO)

    for node in harness(agent_config(strategy="node_margin"), last_plan_file=plan_file):
        node.iterate()

        layout, tuning = node.proxy.applied[-1]
        assert {member.peer_id for member in layout.members} == {PEER_B, PEER_C}
        assert tuning.weights["figlet"] == {PEER_B: 80, PEER_C: 20}
        published = [decode(payload) for payload in node.overlay.published]
        assert published
        assert not [m for m in published if isinstance(m, NodeInfoRecalc)]
    assert "applying its weights and grants until node_margin has heard its members" in caplog.text


def test_a_switch_to_a_strategy_that_does_not_forward_drops_the_kept_plan(
    plan_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # federate.yml switched the federation from recalc to all_local and restarted the
    # agent: recalc's weights must not keep forwarding under all_local.
    caplog.set_level(logging.INFO)
    assert json.loads(plan_file.read_text())["strategy"] == "recalc"

    for node in harness(agent_config(strategy="all_local"), last_plan_file=plan_file):
        node.iterate()

        assert node.proxy.applied[-1][1].weights == {"figlet": {}}
    assert "strategy recalc made it, and all_local does not forward" in caplog.text
