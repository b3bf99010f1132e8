"""The policy endpoint's JSON schema (strategy `external`): the request, the answer's checks.

Pure: no I/O. The agent's client (`dfaas_agent.policy.client`) and the simulator build
the request with `policy_request` and check the answer with `parse_answer`, which turns
it into the `FunctionShares` that the strategy applies, or raises `PolicyUnavailable`
naming the first thing wrong with it. docs/strategies.md documents both documents.

Request (version 1), one entry per function deployed here::

    {"version": 1, "node": "<our peer ID>", "period_s": 5.0,
     "cpu_percent": 40.0, "ram_bytes": 1.2e9,
     "functions": {"figlet": {
        "input_rate": 14.0, "capacity": 10.0, "maxrate": 10.0, "slots": 4,
        "local_rate": 10.0, "executed_rate": 11.0,
        "executed_for_members": {"<peer>": 1.0},
        "forwarded": {"<peer>": 4.0}, "refused": 0.0,
        "members": {"<peer>": {"room": 6.0}}}}}

Answer: every function of the request, its shares summing to 1 (within
`SHARES_TOLERANCE`; they are rescaled to 1), members only among the function's
`members` (a member left out gets 0)::

    {"functions": {"figlet": {"local": 0.7, "members": {"<peer>": 0.3}, "reject": 0.0}}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dfaas_agent.model import (
    SHARES_TOLERANCE,
    FunctionObservation,
    FunctionShares,
    Observation,
    PeerInfo,
    StrategySettings,
)
from dfaas_agent.strategies._shares import candidate_peers, hosts_of

SCHEMA_VERSION = 1


class FallbackReason(StrEnum):
    """Why a period was planned by the fallback strategy (the metric's `reason` label)."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    HTTP_STATUS = "http_status"
    NOT_JSON = "not_json"
    BAD_SHAPE = "bad_shape"
    UNKNOWN_FUNCTION = "unknown_function"
    MISSING_FUNCTION = "missing_function"
    UNKNOWN_MEMBER = "unknown_member"
    BAD_SHARES = "bad_shares"


class PolicyUnavailable(Exception):
    """No usable answer this period; `reason` classifies it, `str()` says what happened."""

    def __init__(self, reason: FallbackReason, problem: str) -> None:
        super().__init__(problem)
        self.reason = reason


def room_for(peer: PeerInfo, function: str) -> float | None:
    """Req/s of `function` that a member announced it takes from us: its recalc grant
    when it announces grants, else its node-margin spare rate; None when unknown."""
    if function in peer.granted_to_us:
        return peer.granted_to_us[function]
    return peer.spare_rate


def _function_request(
    name: str, observed: FunctionObservation, hosts: list[str], peers: Mapping[str, PeerInfo]
) -> dict[str, Any]:
    return {
        "input_rate": observed.offered_rate,
        "capacity": observed.capacity,
        "maxrate": observed.maxrate,
        "slots": observed.slots,
        "local_rate": observed.local_rate,
        "executed_rate": observed.executed_rate,
        "executed_for_members": dict(sorted(observed.executed_for_peers.items())),
        "forwarded": dict(sorted(observed.forwarded_rates.items())),
        "refused": observed.refused_rate,
        "members": {peer: {"room": room_for(peers[peer], name)} for peer in hosts},
    }


def policy_request(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> dict[str, Any]:
    """The request document for this period: the members listed for a function are the
    reachable members that host it, the only ones its answer may send requests to."""
    candidates = candidate_peers(observation, peers, settings)
    return {
        "version": SCHEMA_VERSION,
        "node": observation.peer_id,
        "period_s": settings.period_s,
        "cpu_percent": observation.cpu_percent,
        "ram_bytes": observation.ram_bytes,
        "functions": {
            name: _function_request(name, observed, hosts_of(name, candidates), candidates)
            for name, observed in sorted(observation.functions.items())
        },
    }


class _FunctionAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    local: float
    members: dict[str, float] = Field(default_factory=dict)
    reject: float = 0.0


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    functions: dict[str, _FunctionAnswer]


def _shape_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"


def parse_answer(body: Any, request: Mapping[str, Any]) -> dict[str, FunctionShares]:
    """The shares in `body` (decoded JSON) for `request`; PolicyUnavailable otherwise."""
    try:
        answer = _Answer.model_validate(body)
    except ValidationError as error:
        raise PolicyUnavailable(FallbackReason.BAD_SHAPE, _shape_problem(error)) from None
    asked: Mapping[str, Any] = request["functions"]
    unknown = sorted(set(answer.functions) - set(asked))
    if unknown:
        raise PolicyUnavailable(
            FallbackReason.UNKNOWN_FUNCTION, f"shares for functions not asked about: {unknown}"
        )
    missing = sorted(set(asked) - set(answer.functions))
    if missing:
        raise PolicyUnavailable(FallbackReason.MISSING_FUNCTION, f"no shares for {missing}")
    shares: dict[str, FunctionShares] = {}
    for name, given in sorted(answer.functions.items()):
        members = set(asked[name]["members"])
        strangers = sorted(set(given.members) - members)
        if strangers:
            raise PolicyUnavailable(
                FallbackReason.UNKNOWN_MEMBER,
                f"function {name}: {strangers} not among its members {sorted(members)}",
            )
        shares[name] = _checked_shares(name, given)
    return shares


def _checked_shares(name: str, given: _FunctionAnswer) -> FunctionShares:
    parts = {"local": given.local, "reject": given.reject}
    parts.update({f"members.{peer}": share for peer, share in sorted(given.members.items())})
    for part, share in parts.items():
        if not math.isfinite(share) or share < 0:
            raise PolicyUnavailable(
                FallbackReason.BAD_SHARES,
                f"function {name}: share {part} must be finite and >= 0, got {share!r}",
            )
    whole = math.fsum(parts.values())
    if abs(whole - 1) > SHARES_TOLERANCE:
        raise PolicyUnavailable(
            FallbackReason.BAD_SHARES, f"function {name}: shares sum to {whole:.6g}, not 1"
        )
    return FunctionShares(
        local=given.local / whole,
        members={peer: share / whole for peer, share in sorted(given.members.items())},
        reject=given.reject / whole,
    )
