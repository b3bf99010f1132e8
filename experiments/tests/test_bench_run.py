"""The whole bench, shortened, against a real loopback federation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dfaas_experiments.bench.__main__ import main
from dfaas_experiments.bench.report import SECTIONS
from dfaas_testing import processes_mentioning


@pytest.mark.component
@pytest.mark.timeout(300)  # every section, shortened; the churn events alone take a minute
def test_a_short_bench_writes_every_section_and_leaves_no_process(tmp_path: Path) -> None:
    workdir = tmp_path / "nodes"
    out = tmp_path / "report"

    shortened = (
        "--samples 20 --warmup 5 --idle-window 1 --reaction-duration 2"
        " --reload-duration 2 --reload-rate 10 --change-pause 0.2 --keep"
        " --churn-duration 30 --churn-rate 10 --churn-reloads 2 --churn-reload-every 0.2"
        " --queue-duration 2"
    )

    code = main(["--out", str(out), "--workdir", str(workdir), *shortened.split()])

    assert code == 0
    text = (out / "bench.md").read_text()
    assert all(section in text for section in SECTIONS)
    document = json.loads((out / "bench.json").read_text())
    assert document["forwarding_overhead"]["forwarded"]["count"] == 20
    assert document["hitless_reload"]["reloads"]["node-a"] >= 2
    assert document["hitless_reload"]["server_states"]["changes"] != []
    events = [event["what"] for event in document["churn"]["events"]]
    assert [what.split()[1] for what in events[:4]] == ["agent"] * 3 + ["upgraded:"]
    reloads_then_restart = ["(SIGHUP)"] * 3 + ["once"]
    assert [what.split()[-1] for what in events[4:]] == [*reloads_then_restart, "s", "s", "stops"]
    assert document["queue"]["local"]["count"] > 0
    assert processes_mentioning(str(workdir)) == []
