"""The CI tail's summary of a failed molecule run names the failed task and its words."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "molecule_failures.py"
spec = importlib.util.spec_from_file_location("molecule_failures", SCRIPT)
assert spec is not None and spec.loader is not None
molecule_failures = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = molecule_failures  # dataclasses look their module up
spec.loader.exec_module(molecule_failures)

# What molecule prints: ANSI colours, a frame, long lines wrapped under themselves.
LOG = """\
\x1b[36mINFO\x1b[0m federation ➜ verify: Executing
  │ TASK [Probe that may fail] ****
  │ Monday 07 December 2026  04:10:00 +0000 (0:00:01.000)       0:01:00.000
  │ fatal: [localhost]: FAILED! => {"msg": "probe failed"}
  │ ...ignoring
  │ TASK [Assert every request was answered while the node
  │   joined] ****
  │ Monday 07 December 2026  04:12:34 +0000 (0:00:02.000)       0:03:00.000
  │ \x1b[31mfatal: [localhost]: FAILED! =>\x1b[0m
  │     assertion: load.ratio | float >= 0.99
  │     msg: 'served 90/100,
  │   failed 10'
  │
  │ PLAY RECAP ****
"""


def test_names_the_failed_task_its_time_and_its_words(tmp_path: Path) -> None:
    log = tmp_path / "federation.log"
    log.write_text(LOG, encoding="utf-8")

    text = molecule_failures.summary(log, limit=500)

    assert "1 failed result(s); first at 04:12:34" in text
    assert "TASK [Assert every request was answered while the node joined] on localhost" in text
    assert "assertion: load.ratio | float >= 0.99 msg: 'served 90/100, failed 10'" in text
    assert "probe failed" not in text  # ignored errors are not failures


def test_cuts_long_messages(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    log.write_text("  │ TASK [t]\n  │ fatal: [n1]: FAILED! => " + "x" * 99 + "\n", encoding="utf-8")

    text = molecule_failures.summary(log, limit=10)

    assert text.endswith("x" * 10 + " ...")


def test_says_when_the_log_has_no_failed_task(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    log.write_text("  │ TASK [t]\n  │ ok: [n1]\n", encoding="utf-8")

    assert "no failed task" in molecule_failures.summary(log, limit=10)
