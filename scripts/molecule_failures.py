"""Print, short, the failed tasks of molecule logs: the task and what it said.

CI keeps only the tail of a run, and molecule's own tail names the failed playbook,
not the task: this is printed last so the tail says which assertion failed and why.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Molecule frames each playbook line as "  │ text"; a long line goes on in the next
# frame line, indented under it.
FRAME = re.compile(r"^\s*│ ?")
TASK = re.compile(r"^TASK \[(?P<name>.*)")
FATAL = re.compile(r"^(fatal|failed): \[(?P<host>[^\]]+)\]")
TIMESTAMP = re.compile(r"^\w+ \d+ \w+ \d{4}\s+(?P<clock>\d\d:\d\d:\d\d)")


@dataclass
class Failure:
    task: str
    host: str
    clock: str
    text: str


def playbook_lines(lines: Iterable[str]) -> Iterator[str]:
    for raw in lines:
        yield FRAME.sub("", ANSI.sub("", raw.rstrip("\n")), count=1)


def failures(lines: Iterable[str]) -> Iterator[Failure]:
    """Every fatal or failed result, with the task it belongs to and what it said."""
    task, clock = "?", ""
    task_open = False  # a long task name goes on in the next line
    current: Failure | None = None
    for line in playbook_lines(lines):
        if task_open and line.startswith(" ") and "]" in line:
            task += " " + line.split("]", 1)[0].strip()
            task_open = False
            continue
        task_open = False
        if current is not None:
            if line.startswith((" ", "\t")) and line.strip():
                current.text += " " + line.strip()
                continue
            # ignore_errors: ansible says so on the line after the result.
            if line.strip() != "...ignoring":
                yield current
            current = None
        if match := TASK.match(line):
            task_open = "]" not in match["name"]
            task = match["name"].split("]", 1)[0].strip()
        elif match := TIMESTAMP.match(line):
            clock = match["clock"]
        elif match := FATAL.match(line):
            said = line[match.end() :].removeprefix(":").strip().removeprefix("FAILED! =>")
            current = Failure(task, match["host"], clock, said.strip())
    if current is not None:
        yield current


def summary(path: Path, limit: int) -> str:
    with path.open(encoding="utf-8", errors="replace") as log:
        found = list(failures(log))
    if not found:
        return f"{path.name}: failed, but no failed task in the log (see its end)"
    first = found[0]
    # The failed task's own words first: they usually carry the figures.
    said = re.sub(r"\s+", " ", first.text).strip()
    if len(said) > limit:
        said = said[:limit] + " ..."
    head = f"{path.name}: {len(found)} failed result(s); first at {first.clock or '?'}"
    return f"{head}\n  TASK [{first.task}] on {first.host}\n  {said}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("logs", nargs="+", type=Path, help="molecule logs of failed scenarios")
    parser.add_argument("--limit", type=int, default=1500, help="characters of each message")
    args = parser.parse_args(argv)
    for log in args.logs:
        print(summary(log, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
