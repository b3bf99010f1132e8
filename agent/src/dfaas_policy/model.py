"""Recalc's decisions as shares: the reference policy of strategy `external`.

For each function with input rate R and capacity C (the request's `capacity`):
run min(R, C) here; split the excess over the members in proportion to the room
each announced for it (recalc's weights by grant); refuse it when no member has
room (recalc has no weight then, and HAProxy answers 503). A function without a
known capacity, or without input, runs here whole. Pure: the simulator calls
`decide` in process, the server over HTTP.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Rate = float


class _Member(BaseModel):
    model_config = ConfigDict(extra="ignore")

    room: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class _Function(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input_rate: float = Field(ge=0, allow_inf_nan=False)
    capacity: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    members: dict[str, _Member] = Field(default_factory=dict)


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = Field(ge=1, le=1)
    functions: dict[str, _Function]


class PolicyInputError(ValueError):
    """A request that is not the agent's schema; the text names the first problem."""


def _shares(function: _Function) -> dict[str, Any]:
    offered, capacity = function.input_rate, function.capacity
    if capacity is None or offered <= 0 or offered <= capacity:
        return {"local": 1.0, "members": {}, "reject": 0.0}
    local = capacity / offered
    rooms = {peer: member.room for peer, member in function.members.items() if member.room}
    whole = math.fsum(rooms.values())
    if whole <= 0:
        return {"local": local, "members": {}, "reject": 1.0 - local}
    away = 1.0 - local
    return {
        "local": local,
        "members": {peer: away * room / whole for peer, room in sorted(rooms.items())},
        "reject": 0.0,
    }


def decide(request: Any) -> dict[str, Any]:
    """The answer to one request (decoded JSON); PolicyInputError when it is not one."""
    try:
        parsed = _Request.model_validate(request)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise PolicyInputError(f"{where}: {first['msg']}") from None
    return {"functions": {name: _shares(f) for name, f in sorted(parsed.functions.items())}}
