"""The configuration file the running agent was started from, and how its reloads went.

The agent shows it in `/status`; `dfaas_agent.service.reload` records each SIGHUP in it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

ReloadResult = Literal["applied", "unchanged", "failed"]


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
        self, result: ReloadResult, running_sha256: str | None, problem: str | None = None
    ) -> None:
        """One reload's outcome and the digest of the file that runs after it."""
        self.counts[result] += 1
        self.last_result = result
        self.last_problem = problem
        self.last_at = time.monotonic()
        self.file_sha256 = running_sha256

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
