"""Churn under load: what agent restarts, reload bursts and a stopped node cost.

One open-loop load runs on the first node (over its local limit, so that its excess
goes to the others) while, one after the other:

- each node's agent is killed (SIGKILL) and started again, until it has finished a
  control iteration and the other nodes have it in their layout again;
- a helper node is upgraded the way `upgrade.yml` does it: its runtime is drained in
  HAProxy (`set server gateway/local state maint`: its clients go to members, members'
  requests are refused before running, so their senders try elsewhere), stopped once
  nothing runs there, started again, made ready, then its agent is stopped and
  started (SIGTERM, a clean restart);
- every agent's configuration file changes at once and each reads it again on SIGHUP
  (as `federate.yml` does when a node joins: the agent starts over in the same process
  from its kept plan); every agent switched to `static` and back to `recalc` the same
  way (`federate.yml -e dfaas_strategy=...`: the plan kept by one strategy carries the
  excess while the other learns its members); then every agent is stopped and started
  at once (what `federate.yml` did before agents reloaded);
- the first node's HAProxy reloads `reloads` times, one every `reload_every_s`
  (master CLI `reload`, each waited for: a new worker), then the upgraded helper's,
  which runs forwarded requests meanwhile (a member reloading under its senders);
- the last node's HAProxy stops (its members' health checks take it out).

Per event: requests sent in its window (from its start to `after_s` past its end),
how many failed, and their p99 latency. For the stopped node the failures are
compared with the requests that were in flight at that node when it stopped (from
the generator's own records). Nothing here asserts a figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import trio

from dfaas_agent.haproxy import MasterCli, RuntimeApi, identifiers
from dfaas_experiments.bench.measures import constant_load
from dfaas_experiments.bench.stats import Latency
from dfaas_experiments.load.generator import Limits, run_load
from dfaas_experiments.records import Outcome, RequestRecord, in_flight_at
from dfaas_testing import STOP_WAIT_S, Federation, Node, wait_until

Say = Callable[[str], None]


@dataclass(frozen=True)
class ChurnEvent:
    what: str
    start_s: float
    """From the start of the load."""
    duration_s: float
    sent: int
    failed: int
    p99_ms: float | None
    in_flight_at_stopped_node: int | None = None
    """For a stopped node: requests it was running when it stopped (else None)."""


@dataclass(frozen=True)
class ChurnRun:
    node: str
    rate: float
    duration_s: float
    events: list[ChurnEvent]
    outcomes: dict[str, int]
    records: list[RequestRecord] = field(repr=False)

    @property
    def failed(self) -> int:
        return sum(event.failed for event in self.events)


class _Events:
    def __init__(self, start: float, pause_s: float) -> None:
        self.start = start
        self.pause_s = pause_s
        self.spans: list[tuple[str, float, float]] = []

    def timed(self, what: str, event: Callable[[], object]) -> None:
        time.sleep(self.pause_s)
        began = time.monotonic()
        event()
        self.spans.append((what, began - self.start, time.monotonic() - began))


def _restart_agent(node: Node, watchers: Sequence[Node]) -> None:
    node.processes["agent"].kill()
    node.processes["agent"].wait(STOP_WAIT_S)
    node.start_agent()
    node.wait_for("agent", node.has_iterated, f"{node.name} agent back")
    wait_until(
        lambda: all(node.peer_id in other.fresh_members() for other in watchers),
        f"the others to hear {node.name} again",
    )


def _runs_and_iterated(node: Node, sha256: str) -> bool:
    """The agent runs the file of `sha256` and has iterated on it."""
    return node.runs_config(sha256) and node.has_iterated()


def _reload_every_agent(nodes: Sequence[Node], change: Callable[[dict[str, Any]], None]) -> None:
    """`change` applied to every agent's file, then SIGHUP to all; back once all run it."""
    digests = {node.name: node.edit_config(change) for node in nodes}
    for node in nodes:
        node.reload_agent()
    for node in nodes:
        node.wait_for(
            "agent", partial(_runs_and_iterated, node, digests[node.name]), f"{node.name} reloaded"
        )
    _wait_for_full_layouts(nodes)


def _other_backoff(document: dict[str, Any]) -> None:
    """A change that alters nothing the data path sees: the agent alone starts over."""
    document["bootstrap_backoff"] = "0.6s" if document["bootstrap_backoff"] != "0.6s" else "0.5s"


def _strategy(name: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["strategy"] = name

    return change


def _restart_every_agent(nodes: Sequence[Node]) -> None:
    for node in nodes:
        node.processes["agent"].terminate()
    for node in nodes:
        node.processes["agent"].wait(STOP_WAIT_S)
    for node in nodes:
        node.start_agent()
    for node in nodes:
        node.wait_for("agent", node.has_iterated, f"{node.name} agent back")
    _wait_for_full_layouts(nodes)


def _wait_for_full_layouts(nodes: Sequence[Node]) -> None:
    for node in nodes:
        others = {other.peer_id for other in nodes if other is not node}
        wait_until(partial(_has_in_layout, node, others), f"{node.name} to forward to the others")


def _has_in_layout(node: Node, others: set[str]) -> bool:
    return others <= node.in_layout()


def _runs_nothing(node: Node) -> bool:
    """No request runs or waits on the node's runtime (every run_<fn> backend idle)."""
    rows = trio.run(RuntimeApi(node.admin_socket).show_stat)
    return all(
        row.current_sessions == 0 and row.queued == 0
        for row in rows
        if row.proxy.startswith("run_") and row.service == "BACKEND"
    )


def _local_runtime_state(node: Node, state: str) -> None:
    gateway = f"{identifiers.GATEWAY_BACKEND}/{identifiers.LOCAL_SERVER}"
    trio.run(RuntimeApi(node.admin_socket).command, f"set server {gateway} state {state}")


def _local_runtime_up(node: Node) -> bool:
    rows = trio.run(RuntimeApi(node.admin_socket).show_stat)
    return any(
        row.proxy == identifiers.GATEWAY_BACKEND
        and row.service == identifiers.LOCAL_SERVER
        and row.status.startswith("UP")
        for row in rows
    )


def _upgrade_node(node: Node, watchers: Sequence[Node]) -> None:
    """Drain the runtime, restart it, undrain; then restart the agent cleanly."""
    _local_runtime_state(node, "maint")
    wait_until(partial(_runs_nothing, node), f"{node.name}'s runtime to finish its requests")
    node.stop("gateway")
    node.start_gateway()
    _local_runtime_state(node, "ready")
    wait_until(partial(_local_runtime_up, node), f"{node.name}'s runtime UP in HAProxy")
    node.stop("agent")
    node.start_agent()
    node.wait_for("agent", node.has_iterated, f"{node.name} agent back")
    wait_until(
        lambda: all(node.peer_id in other.fresh_members() for other in watchers),
        f"the others to hear {node.name} again",
    )


def _reload_burst(node: Node, reloads: int, every_s: float) -> None:
    master = MasterCli(node.master_socket)
    for _reload in range(reloads):
        before = node.haproxy_reloads()
        trio.run(master.reload)
        wait_until(partial(_reloaded_since, node, before), "a new worker")
        time.sleep(every_s)


def _reloaded_since(node: Node, before: int) -> bool:
    return node.haproxy_reloads() > before


def _window(records: Sequence[RequestRecord], start_s: float, end_s: float) -> list[RequestRecord]:
    return [r for r in records if start_s <= r.scheduled_s < end_s]


def measure_churn(
    federation: Federation,
    loaded: Node,
    upgraded: Node,
    stopped: Node,
    *,
    rate: float,
    duration_s: float,
    reloads: int,
    reload_every_s: float,
    pause_s: float,
    after_s: float = 2.0,
    say: Say,
) -> ChurnRun:
    """Steady load on `loaded` through agent restarts, `upgraded`'s upgrade, a reload
    burst and `stopped`'s stop."""
    say(
        f"churn: {rate:g} req/s to {loaded.name} for {duration_s:g} s: every agent killed and"
        f" restarted, {upgraded.name} upgraded, every agent reloaded then restarted at once,"
        f" {reloads} reloads of {loaded.name} and of"
        f" {upgraded.name}, then"
        f" {stopped.name}'s HAProxy stops"
    )
    stream = constant_load(loaded, "shasum", rate, duration_s)
    start = time.monotonic()
    events = _Events(start, pause_s)
    records: list[RequestRecord] = []
    stopped_at: list[float] = []

    def churn() -> None:
        for node in federation.nodes:
            others = [other for other in federation.nodes if other is not node]
            events.timed(
                f"{node.name} agent killed and restarted", partial(_restart_agent, node, others)
            )
        others = [other for other in federation.nodes if other is not upgraded]
        events.timed(
            f"{upgraded.name} upgraded: runtime drained and restarted, agent restarted",
            partial(_upgrade_node, upgraded, others),
        )
        events.timed(
            "every agent's configuration changed and reloaded at once (SIGHUP)",
            partial(_reload_every_agent, federation.nodes, _other_backoff),
        )
        events.timed(
            "every agent switched from recalc to static at once (SIGHUP)",
            partial(_reload_every_agent, federation.nodes, _strategy("static")),
        )
        events.timed(
            "every agent switched back to recalc at once (SIGHUP)",
            partial(_reload_every_agent, federation.nodes, _strategy("recalc")),
        )
        events.timed(
            "every agent stopped and started at once",
            partial(_restart_every_agent, federation.nodes),
        )
        events.timed(
            f"{reloads} reloads of {loaded.name}, one every {reload_every_s:g} s",
            lambda: _reload_burst(loaded, reloads, reload_every_s),
        )
        events.timed(
            f"{reloads} reloads of {upgraded.name} (a member running forwarded requests),"
            f" one every {reload_every_s:g} s",
            lambda: _reload_burst(upgraded, reloads, reload_every_s),
        )

        def stop() -> None:
            stopped_at.append(time.monotonic() - start)
            if stopped.haproxy is not None:
                stopped.haproxy.stop()

        events.timed(f"{stopped.name} HAProxy stops", stop)

    async def load_and_churn() -> None:
        async with trio.open_nursery() as nursery:

            async def load() -> None:
                records.extend(await run_load([stream], Limits(timeout_s=5.0)))

            nursery.start_soon(load)
            await trio.to_thread.run_sync(churn)

    trio.run(load_and_churn)
    records.sort(key=lambda record: record.scheduled_s)
    measured = []
    for what, began_s, took_s in events.spans:
        window = _window(records, began_s, began_s + took_s + after_s)
        failed = [r for r in window if r.outcome in (Outcome.ERROR, Outcome.HTTP_ERROR)]
        latencies = [r.latency_ms for r in window if r.latency_ms is not None]
        in_flight = (
            in_flight_at(records, stopped.name, stopped_at[0])
            if stopped_at and what.startswith(stopped.name) and "stops" in what
            else None
        )
        measured.append(
            ChurnEvent(
                what=what,
                start_s=began_s,
                duration_s=took_s,
                sent=sum(1 for r in window if r.outcome is not Outcome.DROPPED),
                failed=len(failed),
                p99_ms=Latency.of(latencies).p99,
                in_flight_at_stopped_node=in_flight,
            )
        )
    outcomes: dict[str, int] = {}
    for record in records:
        key = str(record.outcome) if record.status is None else f"{record.outcome} {record.status}"
        outcomes[key] = outcomes.get(key, 0) + 1
    return ChurnRun(loaded.name, rate, duration_s, measured, outcomes, records)
