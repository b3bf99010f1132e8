"""CPU and memory of the node's own cgroup, read the way cAdvisor reads a container.

Where a node is a container (the Podman testbed, a node in a pod), node-exporter
reports the host's CPU and memory, which say nothing about the node. The cgroup
mounted at `/sys/fs/cgroup` inside the container is the node's own: CPU time used
(cgroup v2 `cpu.stat` `usage_usec`, v1 `cpuacct.usage`) and memory in use less the
page cache the kernel can drop (the working set: usage - inactive_file, as cAdvisor
and the kubelet count it). CPU comes as a rate between two readings, so the first
reading has no CPU figure and every later one covers exactly the last period.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio

from dfaas_agent.usage.source import NodeUsage, UsageUnavailable

DEFAULT_ROOT = Path("/sys/fs/cgroup")
_NS_PER_S = 1e9


class CgroupUnavailable(UsageUnavailable):
    """The cgroup files are missing or unreadable."""


@dataclass(frozen=True, slots=True)
class CgroupFiles:
    """Where one cgroup hierarchy keeps the figures we read."""

    version: int
    cpu_usage: Path
    memory_usage: Path | None
    memory_stat: Path | None

    def cpu_ns(self) -> int:
        text = _read(self.cpu_usage)
        if self.version == 1:
            return _int(self.cpu_usage, text.strip())
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return _int(self.cpu_usage, value) * 1000
        raise CgroupUnavailable(f"{self.cpu_usage}: no usage_usec line")

    def working_set_bytes(self) -> int | None:
        if self.memory_usage is None:
            return None
        usage = _int(self.memory_usage, _read(self.memory_usage).strip())
        inactive_file = 0
        if self.memory_stat is not None:
            # v1 counts the whole subtree under total_*; v2's memory.stat always does.
            wanted = "total_inactive_file" if self.version == 1 else "inactive_file"
            for line in _read(self.memory_stat).splitlines():
                key, _, value = line.partition(" ")
                if key == wanted:
                    inactive_file = _int(self.memory_stat, value)
        return max(0, usage - inactive_file)


def find_cgroup_files(root: Path = DEFAULT_ROOT) -> CgroupFiles:
    """The files of the cgroup mounted at `root`: v2 if it has cpu.stat, else v1."""
    if (root / "cgroup.controllers").is_file() and (root / "cpu.stat").is_file():
        memory = root / "memory.current"
        return CgroupFiles(
            version=2,
            cpu_usage=root / "cpu.stat",
            memory_usage=memory if memory.is_file() else None,
            memory_stat=root / "memory.stat" if memory.is_file() else None,
        )
    cpu = next(
        (
            root / folder / "cpuacct.usage"
            for folder in ("cpuacct", "cpu,cpuacct")
            if (root / folder / "cpuacct.usage").is_file()
        ),
        None,
    )
    if cpu is None:
        raise CgroupUnavailable(
            f"{root}: neither a cgroup v2 cpu.stat nor a cgroup v1 cpuacct.usage"
        )
    memory = root / "memory" / "memory.usage_in_bytes"
    return CgroupFiles(
        version=1,
        cpu_usage=cpu,
        memory_usage=memory if memory.is_file() else None,
        memory_stat=root / "memory" / "memory.stat" if memory.is_file() else None,
    )


class CgroupUsage:
    """A usage source (as `PrometheusClient`) that reads the node's cgroup."""

    def __init__(
        self, root: Path = DEFAULT_ROOT, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.root = root
        self._clock = clock
        self._files: CgroupFiles | None = None
        self._last: tuple[float, int] | None = None

    async def aclose(self) -> None:
        """Nothing to close; here so that both sources are closed alike."""

    async def node_usage(self, period_s: float) -> NodeUsage:
        """CPU since the previous call (percent of one core) and the working set now."""
        return await anyio.to_thread.run_sync(self._read_usage)

    def _read_usage(self) -> NodeUsage:
        if self._files is None:
            self._files = find_cgroup_files(self.root)
        now = self._clock()
        cpu_ns = self._files.cpu_ns()
        cpu: float | None = None
        if self._last is not None:
            elapsed = now - self._last[0]
            used = cpu_ns - self._last[1]
            # A counter that went back is another cgroup (the node restarted): no rate.
            if elapsed > 0 and used >= 0:
                cpu = 100.0 * used / _NS_PER_S / elapsed
        self._last = (now, cpu_ns)
        ram = self._files.working_set_bytes()
        return NodeUsage(cpu_percent=cpu, ram_bytes=None if ram is None else float(ram))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as error:
        raise CgroupUnavailable(f"cannot read {path}: {error.strerror}") from None


def _int(path: Path, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CgroupUnavailable(f"{path}: {text.strip()[:40]!r} is not a number") from None
