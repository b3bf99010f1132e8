"""Which components the control loop could use in its last iteration, and why not."""

from __future__ import annotations

from dataclasses import dataclass

GATEWAY = "gateway"
PROMETHEUS = "prometheus"
HAPROXY_STATS = "haproxy_stats"
HAPROXY_APPLY = "haproxy_apply"
OVERLAY_PUBLISH = "overlay_publish"
STRATEGY = "strategy"
FORECASTER = "forecaster"
COMPONENTS = (
    GATEWAY,
    PROMETHEUS,
    FORECASTER,
    HAPROXY_STATS,
    HAPROXY_APPLY,
    OVERLAY_PUBLISH,
    STRATEGY,
)


@dataclass(frozen=True)
class ComponentState:
    up: bool
    problem: str | None = None
    failures: int = 0
    """Consecutive failed iterations."""


class ComponentHealth:
    """Latest state of each component; unknown until the first iteration tried it."""

    def __init__(self) -> None:
        self._states: dict[str, ComponentState] = {}

    def up(self, component: str) -> None:
        self._states[component] = ComponentState(up=True)

    def down(self, component: str, problem: str) -> None:
        previous = self._states.get(component)
        failures = previous.failures + 1 if previous and not previous.up else 1
        self._states[component] = ComponentState(up=False, problem=problem, failures=failures)

    def state(self, component: str) -> ComponentState | None:
        return self._states.get(component)

    def problems(self, components: tuple[str, ...] = COMPONENTS) -> list[str]:
        """`component: problem` for every listed component that is down."""
        return [
            f"{component}: {state.problem}"
            for component in components
            if (state := self._states.get(component)) is not None and not state.up
        ]

    def as_dict(self) -> dict[str, dict[str, object]]:
        return {
            component: {"up": state.up, "problem": state.problem, "failures": state.failures}
            for component, state in sorted(self._states.items())
        }
