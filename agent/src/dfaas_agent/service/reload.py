"""SIGHUP: apply a changed configuration file without a new process.

`federate.yml` admitting a node changes every member's configuration. A restart of each
agent costs seconds of CPU (interpreter, libp2p imports) on every node at once, while
their functions serve; a reload reads the file again, and if it changed, stops this
process's agent and starts a new one from the kept plan, as a restart would. HAProxy is
never restarted: the new agent reloads it only if the layout changed. Nor is the overlay,
where only the member list changed (`kept_overlay`): its connections and gossip meshes
stay, the new member is dialled. A file that does not load leaves the running agent as
it is, and says why in `/status` and the log.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from dfaas_agent.config import AgentConfig, ConfigError
from dfaas_agent.identity import Identity, IdentityError
from dfaas_agent.loop.configuration import ConfigurationRecord, ReloadResult
from dfaas_agent.metrics import AgentMetrics
from dfaas_agent.overlay import OverlaySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunInputs:
    """What an agent is started from."""

    config: AgentConfig
    identity: Identity
    settings: OverlaySettings
    file_sha256: str | None
    """Digest of the configuration file as read (None: environment only)."""

    def same_agent_as(self, other: RunInputs) -> bool:
        """Whether starting from `other` would run exactly this agent."""
        return self.config == other.config and self.identity.peer_id == other.identity.peer_id


def file_sha256(path: Path | None) -> str | None:
    """The digest the role compares with the file it wrote; None without a file."""
    if path is None:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


Loader = Callable[[], RunInputs]
"""Reads the configuration file and the key again; raises ConfigError or IdentityError."""


async def reloaded(
    current: RunInputs, reload: Loader, configuration: ConfigurationRecord, metrics: AgentMetrics
) -> RunInputs | None:
    """The inputs to restart from on SIGHUP; None when nothing changed or the file is bad."""
    loaded: RunInputs | None = None
    problem = ""
    try:
        loaded = await trio.to_thread.run_sync(reload)
    except (ConfigError, IdentityError, OSError) as error:
        problem = " ".join(str(error).split())
    if loaded is None:
        log.error("SIGHUP: configuration not reloaded, the agent runs on unchanged: %s", problem)
        note_reload(configuration, metrics, "failed", current.file_sha256, problem)
        return None
    if loaded.same_agent_as(current):
        log.info("SIGHUP: configuration unchanged")
        note_reload(configuration, metrics, "unchanged", loaded.file_sha256)
        return None
    log.info("SIGHUP: configuration changed: starting the agent again from its kept plan")
    note_reload(configuration, metrics, "applied", loaded.file_sha256)
    return loaded


def note_reload(
    configuration: ConfigurationRecord,
    metrics: AgentMetrics,
    result: ReloadResult,
    running_sha256: str | None,
    problem: str | None = None,
) -> None:
    """One reload's outcome in `/status` and `/metrics`; `running_sha256`: what runs after it."""
    configuration.record(result, running_sha256, problem)
    metrics.config_reloads.labels(result=result).inc()
