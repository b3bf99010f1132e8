# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Callable

import pytest

from ansible_collections.dfaas.edge.plugins.modules.federation_info import main
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_agent_api import (
    NODE_A,
    NODE_B,
    NODE_C,
    FakeAgentApi,
    agent_status,
    fake_agent,
)

__all__ = ["fake_agent"]

Runner = Callable[..., dict[str, Any]]


def test_the_agent_view_is_returned_unchanged(run_module: Runner, fake_agent: FakeAgentApi) -> None:
    expected = agent_status(connected=[NODE_B], fresh=[NODE_B], in_layout=[NODE_B])
    fake_agent.status = (200, expected)

    result = run_module(main, {"agent_url": fake_agent.url})

    assert result["changed"] is False
    assert (result["peer_id"], result["node_name"], result["strategy"]) == (
        NODE_A,
        "node-a",
        "recalc",
    )
    assert result["members"] == expected["members"]
    assert result["functions"] == expected["functions"]
    assert result["last_iteration"] == expected["last_iteration"]


def test_health_reasons_come_from_healthz(run_module: Runner, fake_agent: FakeAgentApi) -> None:
    fake_agent.health = (503, b"haproxy_stats: no socket\ncontrol loop: starting\n")

    result = run_module(main, {"agent_url": fake_agent.url})

    assert (result["healthy"], result["health_reasons"]) == (
        False,
        ["haproxy_stats: no socket", "control loop: starting"],
    )


def test_member_table_marks_the_agent_itself(run_module: Runner, fake_agent: FakeAgentApi) -> None:
    result = run_module(main, {"agent_url": fake_agent.url})

    assert {(m["name"], m["self"]) for m in result["member_table"]} == {
        ("node-a", True),
        ("node-b", False),
        ("node-c", False),
    }


def test_check_mode_reads_the_same_view(run_module: Runner, fake_agent: FakeAgentApi) -> None:
    result = run_module(main, {"agent_url": fake_agent.url}, check=True)

    assert (result["changed"], result["peer_id"]) == (False, NODE_A)


def test_agent_url_comes_from_the_environment(
    run_module: Runner, fake_agent: FakeAgentApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DFAAS_AGENT_URL", fake_agent.url)

    result = run_module(main, {})

    assert result["peer_id"] == NODE_A


def test_unreachable_agent_fails_naming_the_endpoint(run_module: Runner) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"

    result = run_module(main, {"agent_url": url})

    assert result["failed"] is True
    assert result["msg"].startswith(f"agent API {url}/status is unreachable")


def test_members_already_connected_need_no_wait(
    run_module: Runner, fake_agent: FakeAgentApi
) -> None:
    fake_agent.status = (200, agent_status(connected=[NODE_B, NODE_C]))

    result = run_module(main, {"agent_url": fake_agent.url, "wait_for_members": [NODE_B, NODE_C]})

    assert result["members"]["connected"] == [NODE_B, NODE_C]
    assert len([r for r in fake_agent.requests if r["path"] == "/status"]) == 1


def test_members_that_never_join_fail_the_wait_naming_them(
    run_module: Runner, fake_agent: FakeAgentApi
) -> None:
    fake_agent.status = (200, agent_status(connected=[NODE_B], in_layout=[]))

    result = run_module(
        main,
        {
            "agent_url": fake_agent.url,
            "wait_for_members": 2,
            "member_state": "in_layout",
            "wait_timeout": 0.2,
            "wait_interval": 0.1,
        },
    )

    assert result["failed"] is True
    assert result["msg"] == (
        f"agent API {fake_agent.url}/status: after waiting 0.2 s, 0 of 2 members in_layout; "
        f"not in_layout: {NODE_B} (node-b), {NODE_C} (node-c)"
    )


def test_a_wanted_members_value_of_another_kind_fails_before_asking(
    run_module: Runner, fake_agent: FakeAgentApi
) -> None:
    result = run_module(main, {"agent_url": fake_agent.url, "wait_for_members": {"a": 1}})

    assert result["failed"] is True
    assert "wait_for_members must be a list of peer IDs or a count" in result["msg"]
    assert fake_agent.requests == []


def test_a_zero_wait_interval_is_refused(run_module: Runner, fake_agent: FakeAgentApi) -> None:
    result = run_module(
        main, {"agent_url": fake_agent.url, "wait_for_members": 1, "wait_interval": 0}
    )

    assert result["failed"] is True
    assert result["msg"] == "wait_interval must be a number of seconds above 0, got 0"


def test_an_unknown_member_state_is_refused_by_the_argument_spec(
    run_module: Runner, fake_agent: FakeAgentApi
) -> None:
    result = run_module(main, {"agent_url": fake_agent.url, "member_state": "joined"})

    assert result["failed"] is True
    assert "member_state" in result["msg"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"agent_timeout": -1}, "agent_timeout must be a number of seconds above 0, got -1"),
        ({"agent_timeout": 0}, "agent_timeout must be a number of seconds above 0, got 0"),
        ({"wait_timeout": -1}, "wait_timeout must be a number of seconds of 0 or more, got -1"),
        ({"wait_interval": 0}, "wait_interval must be a number of seconds above 0, got 0"),
        ({"wait_for_members": -2}, "wait_for_members count must be 0 or more, not -2"),
    ],
)
@pytest.mark.parametrize("check", [True, False])
def test_a_bad_option_fails_naming_it_before_asking(
    run_module: Runner,
    fake_agent: FakeAgentApi,
    extra: dict[str, Any],
    expected: str,
    check: bool,
) -> None:
    result = run_module(main, {"agent_url": fake_agent.url, **extra}, check=check)

    assert result["failed"] is True
    assert result["msg"] == expected
    assert fake_agent.requests == []


@pytest.mark.parametrize("url", ["file:///run/agent.sock", "127.0.0.1:8080", "gopher://a/"])
def test_an_agent_url_that_is_no_http_url_fails_naming_it(run_module: Runner, url: str) -> None:
    result = run_module(main, {"agent_url": url})

    assert result["failed"] is True
    assert result["msg"] == (
        f"agent_url {url!r} is not an http:// or https:// URL with a host and a valid port"
    )


def test_a_missing_ca_file_fails_naming_it(
    run_module: Runner, fake_agent: FakeAgentApi, tmp_path: Path
) -> None:
    missing = tmp_path / "ca.pem"

    result = run_module(main, {"agent_url": fake_agent.url, "ca_path": str(missing)})

    assert result["failed"] is True
    assert result["msg"] == f"ca_path {missing}: no such file"
    assert fake_agent.requests == []
