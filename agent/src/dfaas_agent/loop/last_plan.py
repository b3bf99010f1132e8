"""The last plan the agent applied, kept on disk so that a restart starts from it.

While the agent is away HAProxy keeps serving with the weights, limits and grants it
was last given. A restarted agent knows nothing for a while: no peer has spoken yet,
so its first plan would grant nothing and forward nowhere (503s for a period or
two). Instead it applies the plan it left until those members have spoken again and
its own plan forwards as that one did (`Inheritance`), then its own. Meanwhile it
announces what it announced with that plan: its own first announcements would grant
its members nothing (it has not heard who hosts what), and members that restarted at
the same moment (federate.yml restarts every agent) would stop forwarding to it.

The file is JSON: the strategy that made the plan, the layout members' peer IDs, the
`ProxyTuning` and the gossip messages announced with it, written atomically after each
apply that changed the tuning or the members (not on every announcement: rates move
each period, and the tuning follows the grants that matter).

A plan made by another strategy than the one the agent now runs (federate.yml with
another `dfaas_strategy`) is inherited without its announcements when the new strategy
forwards (the excess keeps its members while the new strategy learns them), and not at
all when it does not (all_local: the switch stops forwarding at once). A file that
cannot be read or does not parse is ignored with a warning: the agent then starts as it
would without one.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dfaas_agent.haproxy import ProxyLayout, ProxyTuning
from dfaas_agent.messages import MalformedMessage, Message, decode, encode
from dfaas_common.files import write_atomically

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Kept however long the members take to speak again, but never longer than this (or
# than a quiet member takes to repeat its announcement): the members' view changes while
# the agent is away.
_MAX_INHERITED_PERIODS = 10
_MIN_INHERITED_S = 10.0
# The inherited plan gives way only after the agent's own plan rests on measured
# rates (the first reading after a start only sets the counters' baseline).
_MIN_OWN_ITERATIONS = 2


@dataclass(frozen=True)
class LastPlan:
    strategy: str | None
    """The strategy that made the plan; None in a file written before it was kept."""
    members: frozenset[str]
    """Peer IDs of the members in the layout the plan was applied to."""
    tuning: ProxyTuning
    announcements: tuple[Message, ...] = field(default=(), compare=False)
    """What the agent announced with this plan; () in a file written before they were kept.
    Not compared: a plan is rewritten when what HAProxy runs changes, not the gossip."""

    def to_json(self) -> str:
        tuning = self.tuning
        return json.dumps(
            {
                "version": FORMAT_VERSION,
                "strategy": self.strategy,
                "members": sorted(self.members),
                "local_limits": tuning.local_limits,
                "weights": tuning.weights,
                "admitted_rates": tuning.admitted_rates,
                "slots": tuning.slots,
                "queue_places": tuning.queue_places,
                "announcements": [json.loads(encode(m)) for m in self.announcements],
            },
            sort_keys=True,
        )


def _int_map(value: Any, what: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        raise ValueError(f"{what} must map names to integers")
    return dict(value)


def _optional_int_map(value: Any, what: str) -> dict[str, int | None]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and (v is None or (isinstance(v, int) and not isinstance(v, bool)))
        for k, v in value.items()
    ):
        raise ValueError(f"{what} must map names to integers or null")
    return dict(value)


def _nested(value: Any, what: str) -> dict[str, dict[str, int]]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must map functions to members")  # noqa: TRY004
    return {str(k): _int_map(v, f"{what}.{k}") for k, v in value.items()}


def parse_last_plan(text: str) -> LastPlan:
    """ValueError naming what is wrong when `text` is not a last-plan document."""
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise ValueError(f"not a version {FORMAT_VERSION} last-plan document")
    members = document.get("members")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise ValueError("members must be a list of peer IDs")
    strategy = document.get("strategy")
    if strategy is not None and not isinstance(strategy, str):
        raise ValueError("strategy must be a strategy's name")
    tuning = ProxyTuning(
        local_limits=_optional_int_map(document.get("local_limits", {}), "local_limits"),
        weights=_nested(document.get("weights", {}), "weights"),
        admitted_rates=_nested(document.get("admitted_rates", {}), "admitted_rates"),
        slots=_optional_int_map(document.get("slots", {}), "slots"),
        queue_places=_int_map(document.get("queue_places", {}), "queue_places"),
    )
    return LastPlan(
        strategy,
        frozenset(members),
        tuning,
        _announcements(document.get("announcements", [])),
    )


def _announcements(value: Any) -> tuple[Message, ...]:
    if not isinstance(value, list):
        raise ValueError("announcements must be a list of gossip messages")  # noqa: TRY004
    messages = []
    for index, item in enumerate(value):
        try:
            messages.append(decode(json.dumps(item).encode()))
        except MalformedMessage as error:
            raise ValueError(f"announcements[{index}]: {error}") from None
    return tuple(messages)


def load_last_plan(path: Path) -> LastPlan | None:
    """The plan kept in `path`; None (with a warning) when there is none to use."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("last plan %s unreadable, starting without it: %s", path, error.strerror)
        return None
    try:
        return parse_last_plan(text)
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        log.warning("last plan %s ignored, starting without it: %s", path, error)
        return None


def save_last_plan(path: Path, plan: LastPlan) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, plan.to_json() + "\n", mode=0o600)


def fitted(tuning: ProxyTuning, layout: ProxyLayout) -> ProxyTuning:
    """`tuning` restricted to the functions and members that `layout` has."""
    functions = {function.name for function in layout.functions}
    members = {member.peer_id for member in layout.members}

    def per_member(table: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
        return {
            function: {peer: value for peer, value in values.items() if peer in members}
            for function, values in table.items()
            if function in functions
        }

    return ProxyTuning(
        local_limits={f: v for f, v in tuning.local_limits.items() if f in functions},
        weights=per_member(tuning.weights),
        admitted_rates=per_member(tuning.admitted_rates),
        slots={f: v for f, v in tuning.slots.items() if f in functions},
        queue_places={f: v for f, v in tuning.queue_places.items() if f in functions},
    )


class Inheritance:
    """Whether a restarted agent still applies the plan it left, and with which members.

    It does until every member that plan forwarded to or granted to is fresh again in
    the peer table, the agent has run `_MIN_OWN_ITERATIONS` of its own, and its own plan
    forwards each function to every member that the kept one forwarded it to and that
    still hosts it (a member that spoke again may not have heard this agent yet: its
    announcement then grants this agent nothing, and handing over on it would send the
    whole excess to the members that did, beyond what they can take); at most for
    max(10 periods, 10 s) after the start, or one period more than `heard_within_s`
    (the peer table's validity: a live member that announces nothing new repeats its
    announcement within it) when that is longer.
    """

    def __init__(
        self,
        plan: LastPlan | None,
        started_at: float,
        period_s: float,
        heard_within_s: float = 0.0,
    ) -> None:
        self.plan = plan
        self._deadline = started_at + max(
            _MAX_INHERITED_PERIODS * period_s, _MIN_INHERITED_S, heard_within_s + period_s
        )
        self._iterations = 0
        self._needed = frozenset() if plan is None else _members_in_use(plan.tuning)

    def current(self, now: float) -> LastPlan | None:
        """The kept plan while it may still be in force: not after its deadline."""
        if self.plan is not None and now >= self._deadline:
            self._give_way()
        return self.plan

    def _give_way(self) -> None:
        log.info("the plan kept from before the start gives way to the agent's own")
        self.plan = None

    def active(
        self,
        now: float,
        fresh: frozenset[str],
        own: ProxyTuning,
        layout: ProxyLayout,
        hosts: Callable[[str, str], bool],
    ) -> bool:
        """Whether the kept plan stays in force over `own`, the agent's own tuning for
        `layout`; `hosts(function, peer)` says whether the peer table has the member
        hosting the function. Called once per planned iteration; once False, False for
        good."""
        if self.plan is None:
            return False
        self._iterations += 1
        ready = (
            self._iterations > _MIN_OWN_ITERATIONS
            and self._needed <= fresh
            and forwards_wherever_kept(fitted(self.plan.tuning, layout), own, hosts)
        )
        if now >= self._deadline or ready:
            self._give_way()
            return False
        return True


def _members_in_use(tuning: ProxyTuning) -> frozenset[str]:
    used = {peer for values in tuning.weights.values() for peer, w in values.items() if w > 0}
    used |= {
        peer
        for values in tuning.admitted_rates.values()
        for peer, rate in values.items()
        if rate > 0 and math.isfinite(rate)
    }
    return frozenset(used)


def forwards_wherever_kept(
    kept: ProxyTuning, own: ProxyTuning, hosts: Callable[[str, str], bool]
) -> bool:
    """Whether `own` gives a weight to every member that `kept` forwarded a function to
    and that still hosts it (`hosts(function, peer)`)."""
    return all(
        own.weights.get(function, {}).get(peer, 0) > 0
        for function, weights in kept.weights.items()
        for peer, weight in weights.items()
        if weight > 0 and hosts(function, peer)
    )
