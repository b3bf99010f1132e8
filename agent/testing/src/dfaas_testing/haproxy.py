"""A real HAProxy in master-worker mode, on a configuration the agent's controller renders."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import trio

from dfaas_agent.haproxy import HAProxyController, ProxyLayout, ProxyTuning, RuntimeApiError
from dfaas_agent.haproxy.render import ProxyFiles
from dfaas_agent.haproxy.runtime_api import exchange
from dfaas_agent.haproxy.stats import StatRow
from dfaas_testing.processes import (
    LOG_TAIL_LINES,
    STOP_WAIT_S,
    WAIT_S,
    LaunchError,
    check_running,
    find_binary,
    log_tail,
    start_process,
    stop_process,
    wait_until,
    wait_while_running,
)


def find_haproxy() -> str:
    """The haproxy binary: on PATH, else /usr/sbin (Debian's place, often not on PATH)."""
    return find_binary(
        "haproxy", "install HAProxy (`make deps`)", also_in=(Path("/usr/sbin"), Path("/sbin"))
    )


def master_reloads(show_proc: str) -> int:
    """The master's reload count from a `show proc` answer (`<pid> master <reloads> ...`)."""
    for line in show_proc.splitlines():
        columns = line.split()
        if len(columns) >= 3 and columns[0].isdigit() and columns[1] == "master":
            return int(columns[2])
    raise LaunchError(f"show proc answer names no master: {show_proc[:120]!r}")


@dataclass
class HAProxyProcess:
    """A running master-worker HAProxy and the controller that drives it."""

    name: str
    """Says whose HAProxy this is in messages (`node-a HAProxy`)."""
    controller: HAProxyController
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def files(self) -> ProxyFiles:
        return self.controller.files

    @property
    def layout(self) -> ProxyLayout:
        """The layout the controller last applied."""
        layout = self.controller.applied_layout
        if layout is None:
            raise LaunchError(f"{self.name}: the controller has no applied layout")
        return layout

    def answers(self) -> bool:
        """Both the worker's admin socket and the master's CLI answer."""

        async def ask() -> None:
            await self.controller.runtime.show_info()
            await self.controller.master.show_proc()

        try:
            trio.run(ask)
        except (RuntimeApiError, OSError):
            return False
        return True

    def routable_servers(self, backend: str) -> set[str]:
        """Servers of `backend` that the balance can pick now, by HAProxy's own `show stat`:
        UP and weight above 0 (empty while the worker does not answer)."""

        async def ask() -> list[StatRow]:
            return await self.controller.runtime.show_stat()

        try:
            rows = trio.run(ask)
        except (RuntimeApiError, OSError):
            return set()
        return {
            row.service
            for row in rows
            if row.is_server
            and row.proxy == backend
            and row.status.startswith("UP")
            and (row.weight or 0) > 0
        }

    def check_running(self) -> None:
        check_running(self.process, self.name, self.log_file)

    def reloads(self, timeout_s: float = WAIT_S) -> int:
        """Reloads the master has done since it started (its `show proc` line).

        The master re-executes itself on a reload: for a moment it refuses
        connections or answers an empty `show proc`. Asked again until it names
        itself, at most `timeout_s`.
        """
        answers: list[str] = []

        def answered() -> bool:
            self.check_running()
            try:
                answer = trio.run(exchange, self.files.master_socket, "show proc", 3.0)
            except RuntimeApiError:
                return False
            answers.append(answer)
            try:
                master_reloads(answer)
            except LaunchError:
                return False
            return True

        wait_until(answered, f"{self.name} master CLI", timeout_s)
        return master_reloads(answers[-1])

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_file, lines)

    def stop(self, wait_s: float = STOP_WAIT_S) -> int | None:
        """Stop the master (it stops its workers); see `stop_process`."""
        return stop_process(self.process, wait_s)


def start_haproxy(
    name: str,
    controller: HAProxyController,
    layout: ProxyLayout,
    tuning: ProxyTuning | None = None,
    *,
    log_file: Path,
    timeout_s: float = WAIT_S,
) -> HAProxyProcess:
    """Render and validate `layout` with `controller`, start `controller.haproxy_binary`
    on it (`-W -S <master socket>`) and wait until both sockets answer.

    `LaunchError` naming `name` with the end of the log if HAProxy exits or does not
    answer in `timeout_s`; the process is stopped then.
    """
    trio.run(controller.install, layout, tuning or ProxyTuning())
    files = controller.files
    command = [controller.haproxy_binary, "-W", "-S", str(files.master_socket)]
    command += ["-f", str(files.config_file)]
    haproxy = HAProxyProcess(name, controller, start_process(command, log_file), log_file)
    try:
        wait_while_running(
            haproxy.process,
            name,
            log_file,
            haproxy.answers,
            f"{name} sockets ({files.stats_socket}, {files.master_socket})",
            timeout_s=timeout_s,
        )
    except BaseException:
        haproxy.stop()
        raise
    return haproxy
