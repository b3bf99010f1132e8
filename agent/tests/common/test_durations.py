"""The duration grammar that the agent's configuration and the function runtime share."""

from __future__ import annotations

import pytest

from dfaas_common.durations import duration_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("4s", 4.0),
        ("500ms", 0.5),
        ("1m30s", 90.0),
        ("1.5h", 5400.0),
        ("2.5", 2.5),
        (" 60 ", 60.0),
        ("0s", 0.0),
    ],
)
def test_go_style_durations_and_plain_seconds_are_read(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "4 s", "4d", "-1s", "+5", "1e3", "inf", ".5", "5."])
def test_anything_else_is_no_duration(text: str) -> None:
    assert duration_seconds(text) is None
