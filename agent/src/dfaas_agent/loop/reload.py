"""SIGHUP: apply a changed configuration file without a new process.

`federate.yml` admitting a node changes every member's configuration. A restart of each
agent costs seconds of CPU (interpreter, libp2p imports) on every node at once, while
their functions serve; a reload reads the file again, and if it changed, stops this
process's agent and starts a new one from the kept plan, as a restart would. HAProxy is
never restarted: the new agent reloads it only if the layout changed. A file that does
not load leaves the running agent as it is, and says why in `/status` and the log.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dfaas_agent.config import AgentConfig
from dfaas_agent.identity import Identity
from dfaas_agent.overlay import OverlaySettings

ReloadResult = Literal["applied", "unchanged", "failed"]


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


@dataclass
class ConfigurationRecord:
    """Which file the running agent was started from, and how reloads went (`/status`)."""

    file_sha256: str | None
    counts: dict[ReloadResult, int] = field(
        default_factory=lambda: {"applied": 0, "unchanged": 0, "failed": 0}
    )
    last_result: ReloadResult | None = None
    last_problem: str | None = None
    last_at: float | None = None

    def record(
        self, result: ReloadResult, *, file_sha256: str | None = None, problem: str | None = None
    ) -> None:
        """One reload's outcome; `file_sha256` is what now runs (kept when the reload failed)."""
        self.counts[result] += 1
        self.last_result = result
        self.last_problem = problem
        self.last_at = time.monotonic()
        if result != "failed":
            self.file_sha256 = file_sha256

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_sha256": self.file_sha256,
            "reloads": dict(self.counts),
            "last_reload": (
                None
                if self.last_at is None
                else {
                    "result": self.last_result,
                    "problem": self.last_problem,
                    "age_s": round(time.monotonic() - self.last_at, 3),
                }
            ),
        }
