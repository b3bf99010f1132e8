"""Agent footprint from /proc: RSS and CPU seconds of a process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dfaas_experiments.bench.proc import usage


def test_usage_of_a_running_process_has_its_rss_and_growing_cpu_time() -> None:
    before = usage(os.getpid())
    digest = b"bench"
    for _round in range(300_000):  # a bounded amount of CPU work
        digest = hashlib.sha256(digest).digest()
    after = usage(os.getpid())

    assert before.rss_bytes > 1024 * 1024
    assert after.cpu_s > before.cpu_s


def test_usage_of_a_finished_process_is_a_lookup_error() -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait(10)

    with pytest.raises(ProcessLookupError, match=str(finished.pid)):
        usage(finished.pid)


def test_usage_reads_a_command_name_with_spaces_and_parentheses(tmp_path: Path) -> None:
    fake_proc = tmp_path / "42"
    fake_proc.mkdir()
    after_name = ["S", "1", "42", "42", "0", "-1", "4194560", "10", "0", "0", "0", "250", "50"]
    (fake_proc / "stat").write_text(f"42 (dfaas (agent) x) {' '.join(after_name)} 0 0 20\n")
    (fake_proc / "status").write_text("Name:\tx\nVmRSS:\t  2048 kB\nThreads:\t3\n")

    result = usage(42, proc=tmp_path)

    ticks = os.sysconf("SC_CLK_TCK")
    assert (result.rss_bytes, result.cpu_s) == (2048 * 1024, 300 / ticks)
