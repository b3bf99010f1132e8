"""A process's resident memory and CPU time, read from /proc (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Usage:
    rss_bytes: int
    cpu_s: float
    """User + system CPU time since the process started."""


def usage(pid: int, proc: Path = Path("/proc")) -> Usage:
    """RSS (VmRSS) and user + system CPU seconds of `pid`; ProcessLookupError if gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        status = (proc / str(pid) / "status").read_text()
    except FileNotFoundError as error:
        raise ProcessLookupError(f"no process {pid} under {proc}") from error
    # The command name (field 2) may hold spaces; the fields after ")" are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    rss_kib = next(
        int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
    )
    return Usage(rss_bytes=rss_kib * 1024, cpu_s=(utime + stime) / _TICKS_PER_S)
