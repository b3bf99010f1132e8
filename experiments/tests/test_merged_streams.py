"""Requests of several streams keep their own stream (node) when merged in time order."""

from __future__ import annotations

from dfaas_experiments.load.generator import Stream, _merged
from dfaas_experiments.schedule import Constant


def test_merged_schedule_keeps_each_request_on_its_own_stream() -> None:
    streams = [
        Stream(node=name, base_url=f"http://127.0.0.1:{port}", function="f", segments=[segment])
        for name, port, segment in (
            ("a", 1, Constant(rate=4, duration_s=1)),
            ("b", 2, Constant(rate=2, duration_s=1)),
        )
    ]
    merged = list(_merged(streams))
    per_stream = {index: sum(1 for _t, i in merged if i == index) for index in (0, 1)}
    assert per_stream == {0: 4, 1: 2}
    times = [t for t, _index in merged]
    assert times == sorted(times)
