"""Pure figures from samples: percentiles, per-second forwarded share, when it settles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dfaas_experiments.analysis import Latency
from dfaas_experiments.records import Outcome, RequestRecord

__all__ = ["Latency", "Settling", "forwarded_share_per_bin", "settling"]


def forwarded_share_per_bin(
    records: Sequence[RequestRecord], bin_s: float, duration_s: float
) -> list[float | None]:
    """Per `bin_s` bin of send time: forwarded / served (None for a bin with nothing served)."""
    if bin_s <= 0:
        raise ValueError(f"bin_s must be > 0, got {bin_s}")
    bins = math.ceil(duration_s / bin_s)
    served = [0] * bins
    forwarded = [0] * bins
    for record in records:
        if record.outcome is not Outcome.OK or record.sent_s is None:
            continue
        index = min(int(record.sent_s // bin_s), bins - 1)
        served[index] += 1
        forwarded[index] += record.forwarded
    return [f / s if s else None for f, s in zip(forwarded, served, strict=True)]


@dataclass(frozen=True, slots=True)
class Settling:
    final_share: float | None
    """Mean forwarded share of the second half of the bins (the settled value)."""
    settled_s: float | None
    """Start of the first bin from which every bin stays within the tolerance of it."""
    tolerance: float


def settling(shares: Sequence[float | None], bin_s: float, tolerance: float) -> Settling:
    """When the per-bin share reached its final value and stayed there.

    A bin with nothing served counts as outside the tolerance: the share is
    not known there, so it cannot be said to have settled.
    """
    tail = [share for share in shares[len(shares) // 2 :] if share is not None]
    if not tail:
        return Settling(None, None, tolerance)
    final = sum(tail) / len(tail)
    settled_index: int | None = None
    for index in range(len(shares) - 1, -1, -1):
        share = shares[index]
        if share is None or abs(share - final) > tolerance:
            break
        settled_index = index
    settled_s = None if settled_index is None else settled_index * bin_s
    return Settling(final, settled_s, tolerance)
