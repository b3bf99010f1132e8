"""The reference policy (dfaas-policy): recalc's decisions as shares, and its HTTP API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio

from dfaas_agent.model import FunctionObservation, Observation, PeerInfo, StrategySettings
from dfaas_agent.policy.schema import parse_answer, policy_request
from dfaas_policy.app import READY, build_app
from dfaas_policy.model import PolicyInputError, decide

ME, N2, N3 = "12D3KooWme", "12D3KooWnode2", "12D3KooWnode3"


def _request(offered: float, maxrate: float | None, rooms: dict[str, float]) -> dict[str, object]:
    observation = Observation(
        peer_id=ME,
        functions={
            "f": FunctionObservation(maxrate=maxrate, timeout_ms=None, offered_rate=offered)
        },
    )
    peers = {
        peer: PeerInfo(
            peer, host="10.0.0.9", port=30080, functions=frozenset({"f"}), granted_to_us={"f": room}
        )
        for peer, room in rooms.items()
    }
    return policy_request(observation, peers, StrategySettings(node_ip="10.0.0.1"))


def test_the_excess_over_capacity_goes_to_members_in_proportion_to_their_room() -> None:
    request = _request(offered=20, maxrate=10, rooms={N2: 6, N3: 2})

    shares = parse_answer(decide(request), request)["f"]

    assert shares.local == pytest.approx(0.5)
    assert shares.members == pytest.approx({N2: 0.375, N3: 0.125})
    assert shares.reject == 0


def test_the_excess_is_refused_when_no_member_has_room() -> None:
    request = _request(offered=20, maxrate=5, rooms={N2: 0})

    shares = parse_answer(decide(request), request)["f"]

    assert (shares.local, shares.members, shares.reject) == (0.25, {}, 0.75)


@pytest.mark.parametrize(("offered", "maxrate"), [(8, 10), (0, 10), (50, None)])
def test_a_function_under_capacity_idle_or_of_unknown_capacity_runs_here(
    offered: float, maxrate: float | None
) -> None:
    request = _request(offered=offered, maxrate=maxrate, rooms={N2: 6})

    shares = parse_answer(decide(request), request)["f"]

    assert (shares.local, shares.members, shares.reject) == (1.0, {}, 0.0)


def test_a_request_that_is_not_the_agents_schema_is_refused_naming_the_field() -> None:
    with pytest.raises(PolicyInputError, match=r"functions\.f\.input_rate"):
        decide({"version": 1, "functions": {"f": {"input_rate": -1}}})


def _exchange(method: str, **kwargs: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://policy") as client:
            return await client.request(method, "/", **kwargs)

    return trio.run(call)


def test_the_http_api_answers_shares_and_422_for_bad_bodies() -> None:
    request = _request(offered=20, maxrate=10, rooms={N2: 6})

    assert _exchange("GET").text == READY
    answered = _exchange("POST", json=request)
    assert answered.status_code == 200
    assert parse_answer(answered.json(), request)["f"].members == {N2: pytest.approx(0.5)}
    assert _exchange("POST", content=b"{nope").status_code == 422
    refused = _exchange("POST", json={"version": 2, "functions": {}})
    assert refused.status_code == 422
    assert "version" in refused.text
