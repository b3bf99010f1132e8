"""The cgroup source reads the node's own CPU and working set (v1 and v2 layouts).

Fake cgroup trees in tmp_path stand in for a container's /sys/fs/cgroup where the
numbers must be exact; the last test reads this machine's real cgroup.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest
import trio

from dfaas_agent.usage import CgroupUnavailable, CgroupUsage


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def v1_tree(root: Path, *, cpu_ns: int, usage: int, inactive_file: int) -> None:
    (root / "cpuacct").mkdir(parents=True, exist_ok=True)
    (root / "memory").mkdir(exist_ok=True)
    (root / "cpuacct" / "cpuacct.usage").write_text(f"{cpu_ns}\n")
    (root / "memory" / "memory.usage_in_bytes").write_text(f"{usage}\n")
    (root / "memory" / "memory.stat").write_text(
        f"cache 10\ninactive_file 1\ntotal_cache 20\ntotal_inactive_file {inactive_file}\n"
    )


def v2_tree(root: Path, *, usage_usec: int, current: int | None, inactive_file: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (root / "cpu.stat").write_text(f"usage_usec {usage_usec}\nuser_usec 1\nsystem_usec 2\n")
    if current is not None:
        (root / "memory.current").write_text(f"{current}\n")
        (root / "memory.stat").write_text(f"anon 5\nactive_file 7\ninactive_file {inactive_file}\n")


def test_v1_cpu_is_the_rate_since_the_last_reading_and_memory_the_working_set(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    source = CgroupUsage(tmp_path, clock=clock)
    v1_tree(tmp_path, cpu_ns=5_000_000_000, usage=900_000_000, inactive_file=100_000_000)
    first = trio.run(source.node_usage, 1.0)
    clock.now += 2.0
    v1_tree(tmp_path, cpu_ns=6_500_000_000, usage=950_000_000, inactive_file=150_000_000)
    second = trio.run(source.node_usage, 1.0)

    assert first.cpu_percent is None
    assert first.ram_bytes == 800_000_000
    assert second.cpu_percent == pytest.approx(75.0)  # 1.5 s of CPU in 2 s
    assert second.ram_bytes == 800_000_000


def test_v2_reads_cpu_stat_and_memory_current(tmp_path: Path) -> None:
    clock = FakeClock()
    source = CgroupUsage(tmp_path, clock=clock)
    v2_tree(tmp_path, usage_usec=1_000_000, current=400_000_000, inactive_file=50_000_000)
    trio.run(source.node_usage, 1.0)
    clock.now += 1.0
    v2_tree(tmp_path, usage_usec=3_000_000, current=420_000_000, inactive_file=20_000_000)
    usage = trio.run(source.node_usage, 1.0)

    assert usage.cpu_percent == pytest.approx(200.0)  # two cores busy
    assert usage.ram_bytes == 400_000_000


def test_v2_root_without_memory_files_gives_cpu_only(tmp_path: Path) -> None:
    clock = FakeClock()
    source = CgroupUsage(tmp_path, clock=clock)
    v2_tree(tmp_path, usage_usec=0, current=None, inactive_file=0)
    trio.run(source.node_usage, 1.0)
    clock.now += 1.0
    v2_tree(tmp_path, usage_usec=250_000, current=None, inactive_file=0)
    usage = trio.run(source.node_usage, 1.0)

    assert usage.cpu_percent == pytest.approx(25.0)
    assert usage.ram_bytes is None


def test_a_counter_that_went_back_gives_no_cpu_figure(tmp_path: Path) -> None:
    clock = FakeClock()
    source = CgroupUsage(tmp_path, clock=clock)
    v1_tree(tmp_path, cpu_ns=9_000_000_000, usage=1, inactive_file=0)
    trio.run(source.node_usage, 1.0)
    clock.now += 1.0
    v1_tree(tmp_path, cpu_ns=1_000, usage=1, inactive_file=0)

    assert trio.run(source.node_usage, 1.0).cpu_percent is None


def test_a_folder_without_cgroup_files_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CgroupUnavailable, match=re.escape(str(tmp_path))):
        trio.run(CgroupUsage(tmp_path).node_usage, 1.0)


def test_a_garbled_counter_is_refused_naming_the_file(tmp_path: Path) -> None:
    v1_tree(tmp_path, cpu_ns=0, usage=1, inactive_file=0)
    (tmp_path / "cpuacct" / "cpuacct.usage").write_text("lots\n")
    with pytest.raises(CgroupUnavailable, match=r"cpuacct\.usage: 'lots' is not a number"):
        trio.run(CgroupUsage(tmp_path).node_usage, 1.0)


@pytest.mark.component
def test_this_machines_cgroup_shows_a_busy_loop() -> None:
    source = CgroupUsage()
    try:
        trio.run(source.node_usage, 1.0)
    except CgroupUnavailable as error:
        pytest.skip(f"no readable cgroup here: {error}")
    deadline = time.monotonic() + 0.5
    digest = b""
    while time.monotonic() < deadline:  # about half a core for the window, at least
        digest = hashlib.sha256(digest).digest()
    usage = trio.run(source.node_usage, 1.0)

    assert usage.cpu_percent is not None
    assert usage.cpu_percent >= 30.0
    assert usage.ram_bytes is None or usage.ram_bytes > 0
