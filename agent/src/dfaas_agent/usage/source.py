"""What every source of node usage returns, and how it says that it has nothing."""

from __future__ import annotations

from dataclasses import dataclass


class UsageUnavailable(Exception):
    """The source could not say how much CPU and memory the node uses."""


@dataclass(frozen=True, slots=True)
class NodeUsage:
    cpu_percent: float | None
    """CPU in use, percent of one core (100 = one core busy), the prototype's unit."""
    ram_bytes: float | None
    """Memory in use, bytes."""
