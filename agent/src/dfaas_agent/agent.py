"""The agent: overlay, HTTP API, gossip receiver and the control loop, on trio.

Every period the control loop lists the functions (gateway), reads node usage
(Prometheus) and request rates (HAProxy counters), runs the strategy on that
observation and the peer table, applies the plan to HAProxy and announces it
on the overlay. A component that fails degrades the decision (last known
functions, no usage, last known rates) and shows in `/healthz`; it never stops
the agent. Adapters are injected, so tests put fakes at their edges.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import trio

from dfaas_agent.api import create_app, serve
from dfaas_agent.config import AgentConfig
from dfaas_agent.function_runtime import DeployedFunction, GatewayUnavailable
from dfaas_agent.haproxy import Applied, ApplyResult, ProxyLayout, ProxyTuning, StatRow
from dfaas_agent.haproxy.log_listener import serve_log_datagrams
from dfaas_agent.haproxy.render import Timeouts
from dfaas_agent.haproxy.stats import COUNTED_TABLES, RequestCounters, counters_from_stats
from dfaas_agent.loop import health
from dfaas_agent.loop.announcer import Announcer
from dfaas_agent.loop.configuration import ConfigurationRecord
from dfaas_agent.loop.conversions import (
    layout_members,
    proxy_layout,
    proxy_tuning,
    servable_functions,
)
from dfaas_agent.loop.grant_grace import GrantGrace
from dfaas_agent.loop.iteration import Iteration
from dfaas_agent.loop.last_plan import (
    Inheritance,
    LastPlan,
    fitted,
    load_last_plan,
    save_last_plan,
)
from dfaas_agent.loop.latency import LatencyRecorder
from dfaas_agent.loop.observations import ObservationInputs, TrafficMeter, assemble_observation
from dfaas_agent.loop.policy import PolicyRecord
from dfaas_agent.loop.recording import IterationRecorder
from dfaas_agent.loop.status import agent_status
from dfaas_agent.messages import MalformedMessage, Message, decode, encode
from dfaas_agent.metrics import AgentMetrics
from dfaas_agent.model import (
    FunctionShares,
    GroupLoad,
    Observation,
    PeerInfo,
    Plan,
    ResourceUsage,
)
from dfaas_agent.overlay import Gossip, Overlay
from dfaas_agent.peers import PeerTable, validity_for
from dfaas_agent.policy.schema import PolicyUnavailable, policy_request
from dfaas_agent.strategies import Strategy, resolve, spec_of
from dfaas_agent.strategies.node_margin import group_load
from dfaas_agent.usage import NodeUsage, UsageUnavailable

log = logging.getLogger(__name__)

Clock = Callable[[], float]
"""Monotonic seconds."""

# A control loop that has not finished an iteration for this many periods is stalled.
_STALLED_PERIODS = 3


class FunctionSource(Protocol):
    async def list_functions(self) -> list[DeployedFunction]: ...


class UsageSource(Protocol):
    async def node_usage(self, period_s: float) -> NodeUsage: ...


class ForecastSource(Protocol):
    async def forecast(self, load: GroupLoad) -> ResourceUsage: ...


class PolicySource(Protocol):
    """Strategy external's endpoint (`dfaas_agent.policy.PolicyClient`)."""

    @property
    def url(self) -> str: ...

    async def shares(self, request: Mapping[str, Any]) -> dict[str, FunctionShares]: ...


class StatsReader(Protocol):
    async def show_stat(self) -> list[StatRow]: ...

    async def show_table(self, table: str) -> dict[str, dict[str, int]]: ...


class ProxyControl(Protocol):
    """What the agent needs of `HAProxyController`."""

    @property
    def runtime(self) -> StatsReader: ...

    async def apply(self, layout: ProxyLayout, tuning: ProxyTuning) -> ApplyResult: ...


class Agent:
    """One node's agent; `run()` until cancelled."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        peer_id: str,
        overlay: Overlay,
        haproxy: ProxyControl,
        gateway: FunctionSource,
        usage: UsageSource,
        metrics: AgentMetrics,
        clock: Clock = time.monotonic,
        strategy: Strategy | None = None,
        last_plan_file: Path | None = None,
        forecaster: ForecastSource | None = None,
        configuration: ConfigurationRecord | None = None,
        policy: PolicySource | None = None,
    ) -> None:
        self.config = config
        self.configuration = configuration
        """The file this agent was started from and how reloads went (None in tests)."""
        self.peer_id = peer_id
        self.overlay = overlay
        self.haproxy = haproxy
        self.gateway = gateway
        self.usage = usage
        self.forecaster = forecaster
        self.policy = policy if config.strategy == "external" else None
        self.metrics = metrics
        self.policy_record = (
            PolicyRecord(self.policy.url, config.external.fallback, metrics)
            if self.policy is not None
            else None
        )
        """Strategy external: how the policy endpoint answered (None: no endpoint asked)."""
        self.recorder = IterationRecorder(metrics)
        self.latency = LatencyRecorder(metrics)
        """HAProxy's request log into the request duration histogram (haproxy.latency_log_port)."""
        self.clock = clock
        self.strategy = strategy or resolve(config.strategy)
        self.settings = config.strategy_settings()
        heartbeat = config.announce_heartbeat_periods
        validity_s = validity_for(config.strategy, config.period, heartbeat)
        self.peers = PeerTable(peer_id, validity_s, clock)
        self.announcer = Announcer(heartbeat, config.period)
        self._heard: frozenset[str] = frozenset()
        """The fresh members when the agent last announced: a new one gets everything."""
        self.health = health.ComponentHealth()
        self.meter = TrafficMeter()
        self.functions: tuple[DeployedFunction, ...] = ()
        self.last: Iteration | None = None
        self.dropped_undecodable = 0
        """Gossip payloads from members that are not valid federation messages."""
        self._function_problems: set[str] = set()
        self._started_at = clock()
        self._last_plan_file = last_plan_file
        kept = load_last_plan(last_plan_file) if last_plan_file is not None else None
        self._saved_plan = kept
        if kept is not None and kept.strategy != config.strategy:
            kept = _across_a_switch(kept, config.strategy, last_plan_file)
        self._inheritance = Inheritance(kept, self._started_at, config.period, validity_s)
        # Our announcement of a lowered grant, the member's next period, then HAProxy's
        # rate window, which still counts what the member sent before.
        self._grant_grace = GrantGrace(hold_s=2 * config.period + Timeouts().rate_window_s)
        if kept is not None:
            log.info(
                "starting from the plan kept in %s (%d members)", last_plan_file, len(kept.members)
            )

    # --- running ---------------------------------------------------------------------

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Join the overlay, serve the API, receive gossip, read HAProxy's request log (when
        `haproxy.latency_log_port` is set) and control HAProxy until cancelled.

        `task_status.started()` receives the API's bound addresses.
        """
        app = create_app(self, self.metrics.registry)
        async with self.overlay.join(), trio.open_nursery() as nursery:
            if not self.overlay.listen_addresses():
                # py-libp2p 0.8.1 logs a failed listen and carries on deaf: refuse instead.
                raise OSError(
                    errno.EADDRNOTAVAIL,
                    f"overlay could not listen on {', '.join(self.config.listen)}"
                    " (address taken or not local)",
                )
            try:
                addresses = await nursery.start(serve, app, self.config.http_listen)
            except* OSError as errors:  # name the address: the OS error alone does not
                error = _first_os_error(errors)
                raise OSError(
                    error.errno, f"HTTP API on {self.config.http_listen}: {error.strerror}"
                ) from None
            if self.config.haproxy.latency_log_port:
                await nursery.start(
                    serve_log_datagrams, self.config.haproxy.latency_log_port, self.latency.receive
                )
            nursery.start_soon(self.receive_loop)
            nursery.start_soon(self.control_loop)
            log.info(
                "agent %s (%s) started: strategy %s, period %g s, API %s",
                self.config.node_name or "-",
                self.peer_id,
                self.config.strategy,
                self.config.period,
                ", ".join(addresses or []),
            )
            task_status.started(addresses)

    async def receive_loop(self) -> None:
        # The overlay may outlive this agent (kept across a reload): stop its delivery.
        async with contextlib.aclosing(self.overlay.subscribe()) as feed:
            async for gossip in feed:
                self.receive(gossip)

    def receive(self, gossip: Gossip) -> None:
        """Record one gossip message in the peer table; a malformed one is counted and dropped."""
        try:
            message = decode(gossip.payload)
        except MalformedMessage as error:
            self.dropped_undecodable += 1
            self.metrics.dropped_messages.labels(reason="undecodable").inc()
            log.debug("dropped a malformed message from %s: %s", gossip.sender, error)
            return
        self.peers.record(gossip.sender, message)

    async def control_loop(self) -> None:
        """One iteration now, then one every period (an overrun starts the next at once)."""
        while True:
            started = trio.current_time()
            try:
                await self.control_iteration()
            except Exception:  # a bug in one iteration must not end the agent's control
                log.exception("control iteration failed; retrying next period")
            await trio.sleep_until(started + self.config.period)

    # --- one iteration ---------------------------------------------------------------

    async def control_iteration(self) -> Iteration:
        started = self.clock()
        functions = await self._list_functions()
        usage = await self._node_usage()
        fresh = frozenset(self.peers.snapshot()) & self.config.member_ids
        # Short of its deadline the kept plan gives way (or not) once this iteration's own
        # plan is known.
        inherited = self._inheritance.current(started)
        layout = self._layout(functions)
        traffic = await self._measure(self.last.layout if self.last else layout)
        observation = assemble_observation(
            self.peer_id, ObservationInputs(functions, traffic, usage)
        )
        observation = await self._with_forecast(observation)
        peers = self.peers.snapshot()
        observation = await self._with_shares(observation, peers)
        plan = self._plan(observation, peers)
        tuning: ProxyTuning | None = None
        applied: Applied | None = None
        if plan is not None:
            tuning = proxy_tuning(
                plan,
                layout,
                {name: observed.slots for name, observed in observation.functions.items()},
                self.config.haproxy.queue_per_slot,
            )
            announcements = plan.announcements
            if inherited is not None and self._inheritance.active(
                started, fresh, tuning, layout, partial(_hosts, peers)
            ):
                tuning = _inherited_tuning(inherited, tuning, layout)
                announcements = inherited.announcements or announcements
            tuning = self._grant_grace.policed(tuning, started)
            applied = await self._apply(layout, tuning)
            if applied is not None:
                await self._keep_plan(layout, tuning, announcements)
            await self._announce(announcements, started, fresh)
        finished = self.clock()
        iteration = Iteration(
            finished, finished - started, observation, plan, tuning, layout, applied
        )
        self._record(iteration)
        return iteration

    async def _list_functions(self) -> tuple[DeployedFunction, ...]:
        try:
            functions = tuple(await self.gateway.list_functions())
        except GatewayUnavailable as error:
            self._down(health.GATEWAY, f"{error}; using the {len(self.functions)} last known")
            return self.functions
        self._up(health.GATEWAY)
        servable, problems = servable_functions(functions)
        function_problems = set(problems) | {
            f"function {function.name}: label ignored: {problem}"
            for function in servable
            for problem in function.label_errors
        }
        for problem in sorted(function_problems - self._function_problems):
            log.warning("%s", problem)  # once, not every period
        self._function_problems = function_problems
        self.functions = tuple(servable)
        return self.functions

    async def _node_usage(self) -> NodeUsage | None:
        try:
            usage = await self.usage.node_usage(self.config.period)
        except UsageUnavailable as error:
            self._down(health.PROMETHEUS, f"{error}; deciding without CPU and RAM")
            return None
        self._up(health.PROMETHEUS)
        return usage

    async def _with_forecast(self, observation: Observation) -> Observation:
        """The observation with the forecaster's usage at its load, when one is set and
        the strategy reads usage; unchanged (measured usage decides) when it fails."""
        if self.forecaster is None or not self.config.reads_node_usage:
            return observation
        load = group_load(observation, self.settings)
        try:
            forecast = await self.forecaster.forecast(load)
        except UsageUnavailable as error:
            self._down(health.FORECASTER, f"{error}; deciding on the measured usage")
            return observation
        self._up(health.FORECASTER)
        return dataclasses.replace(observation, forecast=forecast)

    async def _with_shares(
        self, observation: Observation, peers: Mapping[str, PeerInfo]
    ) -> Observation:
        """Strategy external: the observation with the policy endpoint's checked shares;
        unchanged (the fallback plans) when it gives no usable answer in time."""
        if self.policy is None or self.policy_record is None:
            return observation
        request = policy_request(observation, peers, self.settings)
        try:
            shares = await self.policy.shares(request)
        except PolicyUnavailable as error:
            self.policy_record.failed(error)
            return observation
        self.policy_record.answered()
        return dataclasses.replace(observation, shares=shares)

    async def _keep_plan(
        self, layout: ProxyLayout, tuning: ProxyTuning, announcements: Sequence[Message]
    ) -> None:
        """Write what was applied, and announced with it, for the next start, when it changed."""
        if self._last_plan_file is None:
            return
        kept = LastPlan(
            self.config.strategy,
            frozenset(m.peer_id for m in layout.members),
            tuning,
            tuple(announcements),
        )
        if kept == self._saved_plan:
            return
        try:
            # A flushed write: in a thread; shielded, as what was applied must be kept even
            # when the agent is stopping.
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(save_last_plan, self._last_plan_file, kept)
        except OSError as error:  # only the next start loses; the data path is unaffected
            log.warning("cannot keep the plan in %s: %s", self._last_plan_file, error)
            return
        self._saved_plan = kept

    def _layout(self, functions: Sequence[DeployedFunction]) -> ProxyLayout:
        return proxy_layout(
            self.config,
            node_id=self.peer_id,
            members=layout_members(
                self.config.members,
                own_peer_id=self.peer_id,
                peer_port=self.config.haproxy.peer_port,
            ),
            functions=functions,
        )

    async def _measure(self, layout: ProxyLayout) -> Mapping[str, Any]:
        try:
            counters = await self._read_counters()
        except Exception as error:  # any failure to read counters only degrades the rates
            self._down(health.HAPROXY_STATS, f"cannot read counters: {error}; last known rates")
            return self.meter.last()
        self._up(health.HAPROXY_STATS)
        return self.meter.measure(counters, layout)

    async def _read_counters(self) -> RequestCounters:
        runtime = self.haproxy.runtime
        rows = await runtime.show_stat()
        tables = {table: await runtime.show_table(table) for table in COUNTED_TABLES}
        return counters_from_stats(rows, self.clock(), tables)

    def _plan(self, observation: Observation, peers: Mapping[str, PeerInfo]) -> Plan | None:
        try:
            plan = self.strategy(observation, peers, self.settings)
        except Exception as error:  # a strategy bug must not stop the agent
            log.exception("strategy %s failed", self.config.strategy)
            self._down(health.STRATEGY, f"{type(error).__name__}: {error}")
            return None
        self._up(health.STRATEGY)
        return plan

    async def _apply(self, layout: ProxyLayout, tuning: ProxyTuning) -> Applied | None:
        started = time.perf_counter()
        try:
            result = await self.haproxy.apply(layout, tuning)
        except Exception as error:  # the controller keeps the last good configuration
            self._down(health.HAPROXY_APPLY, f"{type(error).__name__}: {error}")
            return None
        self._up(health.HAPROXY_APPLY)
        self.latency.follow(layout)
        self.metrics.haproxy_apply_seconds.labels(how=result.applied.value).observe(
            time.perf_counter() - started
        )
        if result.applied is Applied.RELOADED:
            self.metrics.haproxy_reloads.inc()
            log.info(
                "HAProxy reloaded: %d members, %d functions",
                len(layout.members),
                len(layout.functions),
            )
            await self._restart_meter()
        return result.applied

    async def _restart_meter(self) -> None:
        """The new worker counts from zero: take the baseline from it."""
        try:
            counters = await self._read_counters()
        except Exception:  # the next reading becomes the baseline instead
            self.meter.restart(None)
            return
        self.meter.restart(counters)

    async def _announce(
        self, announcements: Sequence[Message], now: float, fresh: frozenset[str]
    ) -> None:
        """Publish what changed or is due for its heartbeat; everything when a member is
        heard from for the first time (it needs our state now, not at the heartbeat)."""
        due = self.announcer.due(announcements, now, everything=bool(fresh - self._heard))
        try:
            for message in due:
                await self.overlay.publish(encode(message))
        except Exception as error:  # gossip is best effort; the next period repeats it
            self._down(health.OVERLAY_PUBLISH, f"{type(error).__name__}: {error}")
            return
        self.announcer.published(due, now)
        self._heard = fresh
        self._up(health.OVERLAY_PUBLISH)

    def _up(self, component: str) -> None:
        previous = self.health.state(component)
        if previous is not None and not previous.up:
            log.info("%s: back after %d failed iterations", component, previous.failures)
        self.health.up(component)

    def _down(self, component: str, problem: str) -> None:
        """Record a failure: one line for /healthz, the full text in the log.

        A component that stays down the same way is logged at warning once, then at debug.
        """
        summary = problem.strip().splitlines()[0] if problem.strip() else "failed"
        previous = self.health.state(component)
        self.health.down(component, summary)
        repeated = previous is not None and not previous.up and previous.problem == summary
        log.log(logging.DEBUG if repeated else logging.WARNING, "%s: %s", component, problem)

    def _record(self, iteration: Iteration) -> None:
        previous, self.last = self.last, iteration
        self.recorder.record(iteration, previous, self.health, self.overlay.stats.as_dict())
        log.info(
            "iteration: strategy %s, %d functions, %d members, %s, %.3f s",
            self.config.strategy,
            len(iteration.observation.functions),
            len(iteration.layout.members),
            iteration.applied.value if iteration.applied else "not applied",
            iteration.duration_s,
        )

    # --- AgentView (the HTTP API) ----------------------------------------------------

    def health_problems(self) -> list[str]:
        components = tuple(
            component
            for component in health.COMPONENTS
            # Only a strategy that decides on CPU and RAM needs them; others merely
            # lack a figure.
            if component not in (health.PROMETHEUS, health.FORECASTER)
            or self.config.reads_node_usage
        )
        problems = self.health.problems(components)
        now = self.clock()
        stalled_after = _STALLED_PERIODS * self.config.period
        if self.last is None:
            if now - self._started_at > stalled_after:
                problems.append("control loop: no iteration completed yet")
            else:
                problems.append("control loop: starting")
        elif now - self.last.finished_at > stalled_after:
            problems.append(
                f"control loop: last iteration finished {now - self.last.finished_at:.0f} s ago"
            )
        return problems

    def status(self) -> dict[str, Any]:
        return agent_status(self)


def _across_a_switch(kept: LastPlan, strategy: str, path: Path | None) -> LastPlan | None:
    """What a plan made by another strategy leaves to this one (federate.yml switched).

    To a strategy that forwards: its limits, weights and grants, until this strategy
    has heard its members (as after a restart), so that the excess keeps its members;
    never its announcements, which speak the other strategy's messages. To one that
    does not forward (all_local): nothing, so that forwarding stops at once.
    """
    if not spec_of(strategy).forwards:
        log.info(
            "not starting from the plan kept in %s: strategy %s made it, and %s does not forward",
            path,
            kept.strategy,
            strategy,
        )
        return None
    log.info(
        "strategy %s made the plan kept in %s: applying its weights and grants until %s has"
        " heard its members",
        kept.strategy,
        path,
        strategy,
    )
    return dataclasses.replace(kept, announcements=())


def _inherited_tuning(inherited: LastPlan, own: ProxyTuning, layout: ProxyLayout) -> ProxyTuning:
    """The kept plan's limits, weights and grants; the slots as measured now."""
    kept = fitted(inherited.tuning, layout)
    return dataclasses.replace(kept, slots=own.slots, queue_places=own.queue_places)


def _hosts(peers: Mapping[str, PeerInfo], function: str, peer: str) -> bool:
    """Whether the peer table has `peer` hosting `function`."""
    info = peers.get(peer)
    return info is not None and info.hosts(function)


def _first_os_error(errors: BaseExceptionGroup[OSError]) -> OSError:
    first = errors.exceptions[0]
    return first if isinstance(first, OSError) else _first_os_error(first)
