# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any, Callable

import pytest
from ansible.errors import AnsibleLookupError, AnsibleOptionsError

from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_agent_api import (
    NODE_A,
    NODE_B,
    NODE_C,
    FakeAgentApi,
    agent_status,
    fake_agent,
)

__all__ = ["fake_agent"]

Loader = Callable[[str], Any]


def test_every_other_configured_member_is_listed_by_default(
    lookup: Loader, fake_agent: FakeAgentApi
) -> None:
    fake_agent.status = (200, agent_status(connected=[NODE_B]))

    members = lookup("federation_members").run([fake_agent.url], variables={})

    assert [(m["name"], m["connected"], m["seen_by"]) for m in members] == [
        ("node-b", True, NODE_A),
        ("node-c", False, NODE_A),
    ]


def test_state_option_keeps_only_members_in_that_state(
    lookup: Loader, fake_agent: FakeAgentApi
) -> None:
    fake_agent.status = (200, agent_status(connected=[NODE_B], fresh=[NODE_C]))

    members = lookup("federation_members").run([fake_agent.url], variables={}, state="fresh")

    assert [m["peer_id"] for m in members] == [NODE_C]


def test_include_self_adds_the_asked_agent(lookup: Loader, fake_agent: FakeAgentApi) -> None:
    members = lookup("federation_members").run([fake_agent.url], variables={}, include_self=True)

    assert [m["name"] for m in members if m["self"]] == ["node-a"]


def test_url_is_read_from_the_dfaas_agent_url_variable(
    lookup: Loader, fake_agent: FakeAgentApi
) -> None:
    members = lookup("federation_members").run([], variables={"dfaas_agent_url": fake_agent.url})

    assert {m["endpoint"] for m in members} == {fake_agent.url}


def test_url_is_read_from_the_environment(
    lookup: Loader, fake_agent: FakeAgentApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DFAAS_AGENT_URL", fake_agent.url)

    members = lookup("federation_members").run([], variables={})

    assert {m["endpoint"] for m in members} == {fake_agent.url}


def test_each_agent_of_a_list_term_is_asked_in_order(
    lookup: Loader, fake_agent: FakeAgentApi
) -> None:
    other = FakeAgentApi().start()
    other.status = (200, {**agent_status(), "peer_id": NODE_B})
    try:
        members = lookup("federation_members").run([[fake_agent.url, other.url]], variables={})
    finally:
        other.stop()

    assert [(m["endpoint"], m["name"]) for m in members] == [
        (fake_agent.url, "node-b"),
        (fake_agent.url, "node-c"),
        (other.url, "node-a"),
        (other.url, "node-c"),
    ]


def test_an_agent_error_fails_the_lookup_naming_the_endpoint(
    lookup: Loader, fake_agent: FakeAgentApi
) -> None:
    fake_agent.status = (500, b"Internal Server Error")

    with pytest.raises(AnsibleLookupError, match=rf"{fake_agent.url}/status answered HTTP 500"):
        lookup("federation_members").run([fake_agent.url], variables={})


def test_an_unknown_state_is_refused(lookup: Loader, fake_agent: FakeAgentApi) -> None:
    with pytest.raises(AnsibleOptionsError, match="joined"):
        lookup("federation_members").run([fake_agent.url], variables={}, state="joined")
