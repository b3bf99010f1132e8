"""Apply layouts and tunings to a running HAProxy.

A layout change renders the full configuration, validates it with `haproxy -c`,
atomically replaces the live file and reloads hitlessly through the master CLI.
A tuning change (every period) only talks to the runtime API: no reload, so
counters, stick tables and health states survive. A reload carries the health
of the checked servers over to the new worker (`server_state`).
"""

from __future__ import annotations

import enum
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import trio

from dfaas_agent.haproxy import identifiers
from dfaas_agent.haproxy.layout import ProxyLayout, ProxyTuning
from dfaas_agent.haproxy.render import (
    ProxyFiles,
    Timeouts,
    map_entries,
    render_config,
    render_maps,
    structure_digest,
    structure_digest_of,
)
from dfaas_agent.haproxy.runtime_api import (
    MasterCli,
    RuntimeApi,
    RuntimeApiError,
    set_map_command,
    set_maxconn_command,
    set_weight_command,
)
from dfaas_agent.haproxy.server_state import EMPTY_STATE, carried_state
from dfaas_agent.haproxy.stats import ProcessList
from dfaas_agent.haproxy.validation import check_config
from dfaas_common.files import write_atomically, write_beside


class ReloadError(RuntimeError):
    """The master accepted `reload` but no new worker came up in time."""


class Applied(enum.Enum):
    RELOADED = "reloaded"  # the layout changed: new configuration, new worker
    TUNED = "tuned"  # only runtime API commands


@dataclass(frozen=True)
class ApplyResult:
    applied: Applied
    runtime_commands: int


class HAProxyController:
    """Keeps one HAProxy in line with the latest layout and tuning."""

    def __init__(
        self,
        files: ProxyFiles,
        *,
        runtime: RuntimeApi | None = None,
        master: MasterCli | None = None,
        haproxy_binary: str = "haproxy",
        timeouts: Timeouts | None = None,
        template_dir: Path | None = None,
        reload_timeout_s: float = 10.0,
    ) -> None:
        self.files = files
        self.runtime = runtime or RuntimeApi(files.stats_socket)
        self.master = master or MasterCli(files.master_socket)
        self.haproxy_binary = haproxy_binary
        self.timeouts = timeouts or Timeouts()
        self.template_dir = template_dir
        self.reload_timeout_s = reload_timeout_s
        self.applied_layout: ProxyLayout | None = None
        self.applied_tuning: ProxyTuning | None = None
        self._applied_tls_digest: str | None = None

    async def install(self, layout: ProxyLayout, tuning: ProxyTuning) -> None:
        """Render, validate and write the configuration and maps; no reload.

        For a HAProxy that is not running yet (it reads the files when started);
        `apply` uses it before reloading a running one.
        """
        config = render_config(
            layout, tuning, self.files, self.timeouts, template_dir=self.template_dir
        )
        maps = render_maps(layout, tuning, self.files)
        # The writes wait for the disk (fsync): in a thread, so that the overlay and the
        # HTTP API keep being served meanwhile.
        previous_maps, candidate = await trio.to_thread.run_sync(
            self._write_candidate, config, maps
        )
        try:
            await check_config(candidate, self.haproxy_binary)
        except BaseException:
            # Shielded: a cancelled install must still leave the live files a pair.
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(_put_back, previous_maps, maps, candidate)
            raise
        os.replace(candidate, self.files.config_file)
        self.applied_layout = layout
        self.applied_tuning = tuning
        self._applied_tls_digest = tls_digest(layout)

    async def apply(self, layout: ProxyLayout, tuning: ProxyTuning) -> ApplyResult:
        """Bring HAProxy to `layout` and `tuning`, reloading only for a new layout."""
        tuning.check_against(layout)
        # The reads here stay on the event loop: the live configuration once after a start,
        # then two certificates of a few KiB per period, all in the page cache; a thread
        # hop would cost more than the read.
        if self.applied_layout is None and self._runs_structure_of(layout):
            # A restarted agent whose HAProxy already runs exactly this configuration:
            # adopt it instead of reloading (counters and health states survive).
            self.applied_layout = layout
            self._applied_tls_digest = tls_digest(layout)
        # Renewed certificates keep their paths: their content counts as layout too.
        if layout != self.applied_layout or tls_digest(layout) != self._applied_tls_digest:
            before = await self.master.show_proc()
            await self.install(layout, tuning)
            # As late as possible before the reload, so that the state is fresh.
            await self._save_server_state(layout)
            try:
                await self.master.reload()
                await self._wait_for_new_worker(before)
            except BaseException:
                self.applied_layout = None  # unknown state: render and reload next time
                raise
            finally:
                # The new worker has read it; a later restart must not load old health.
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(
                        write_atomically, self.files.server_state_file, EMPTY_STATE
                    )
            return ApplyResult(Applied.RELOADED, 0)
        commands = await self._tune(layout, tuning)
        return ApplyResult(Applied.TUNED, commands)

    def _write_candidate(self, config: str, maps: dict[Path, str]) -> tuple[dict[Path, str], Path]:
        """Write the maps and, beside the live configuration, the candidate one.

        Returns the maps' previous content, to put back if the candidate is refused.
        """
        self.files.state_dir.mkdir(parents=True, exist_ok=True)
        if not self.files.server_state_file.exists():
            # The configuration names it: an absent file makes HAProxy warn.
            write_atomically(self.files.server_state_file, EMPTY_STATE)
        # Maps are written first because the candidate must find them; they are
        # put back if the candidate is refused, so the live files stay a pair.
        previous_maps = {path: path.read_text() for path in maps if path.exists()}
        _write_maps(maps)
        candidate = write_beside(self.files.config_file, config, mode=0o644, suffix=".candidate")
        return previous_maps, candidate

    def _runs_structure_of(self, layout: ProxyLayout) -> bool:
        """The live configuration has `layout`'s structure (weights and slots aside, which
        the runtime API sets), and the worker reading it answers."""
        try:
            live = self.files.config_file.read_text()
        except OSError:
            return False
        wanted = structure_digest(layout, self.files, self.timeouts, template_dir=self.template_dir)
        return structure_digest_of(live) == wanted

    async def _tune(self, layout: ProxyLayout, tuning: ProxyTuning) -> int:
        """Send every weight and map value, not only the changed ones.

        The commands are idempotent and few (functions x members), and sending
        them all also repairs a HAProxy that was restarted behind our back.
        """
        commands = []
        for function in layout.functions:
            backend = identifiers.function_backend(function.name)
            for member in layout.members:
                server = identifiers.member_server(member.name)
                weight = tuning.weight(function.name, member.peer_id)
                commands.append(set_weight_command(backend, server, weight))
            # maxconn 0 lifts the limit (slots unknown).
            slots = tuning.slot_count(function.name) or 0
            commands.append(
                set_maxconn_command(
                    identifiers.run_backend(function.name), identifiers.LOCAL_SERVER, slots
                )
            )
        for map_file, key, value in map_entries(layout, tuning, self.files):
            commands.append(set_map_command(map_file, key, str(value)))
        await self.runtime.set_all(commands)
        # Keep the files in step so that a later reload or restart starts from here
        # (shielded: HAProxy already has these values).
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(_write_maps, render_maps(layout, tuning, self.files))
        self.applied_tuning = tuning
        return len(commands)

    async def _save_server_state(self, layout: ProxyLayout) -> None:
        """Write the old worker's health of the servers that `layout` keeps unchanged."""
        try:
            dump = await self.runtime.show_servers_state()
        except RuntimeApiError:
            dump = ""  # no worker to ask: the new one starts as without the file
        await trio.to_thread.run_sync(
            write_atomically, self.files.server_state_file, carried_state(dump, layout)
        )

    async def _wait_for_new_worker(self, before: ProcessList) -> None:
        """Bounded wait until a worker that did not exist before is the current one."""
        old_pids = {worker.pid for worker in before.workers}
        last_error: Exception | None = None
        with trio.move_on_after(self.reload_timeout_s):
            while True:
                await trio.sleep(0.05)
                try:
                    processes = await self.master.show_proc()
                except RuntimeApiError as error:  # the master is re-executing
                    last_error = error
                    continue
                if processes.failed_reloads > before.failed_reloads:
                    raise ReloadError(
                        "HAProxy could not start a worker with the new configuration"
                        " (see its log); the old workers keep serving"
                    )
                if any(worker.pid not in old_pids for worker in processes.workers):
                    return
        raise ReloadError(
            f"no new HAProxy worker within {self.reload_timeout_s} s after reload"
            f" (workers before: {sorted(old_pids)}; last error: {last_error})"
        )


def _write_maps(maps: dict[Path, str]) -> None:
    for map_file, text in maps.items():
        write_atomically(map_file, text)


def _put_back(previous_maps: dict[Path, str], maps: dict[Path, str], candidate: Path) -> None:
    """Undo `_write_candidate`: the maps as they were, no candidate."""
    for map_file in maps:
        if map_file in previous_maps:
            write_atomically(map_file, previous_maps[map_file])
        else:
            map_file.unlink(missing_ok=True)
    candidate.unlink(missing_ok=True)


def tls_digest(layout: ProxyLayout) -> str:
    """A digest of the TLS files' content ("" without TLS; a missing file reads empty)."""
    if layout.tls is None:
        return ""
    digest = hashlib.sha256()
    for path in (layout.tls.ca_file, layout.tls.certificate_file):
        digest.update(path.read_bytes() if path.exists() else b"")
        digest.update(b"\0")
    return digest.hexdigest()
