"""PNG plots of runs, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from dfaas_experiments.analysis import served_per_second, success_ratio_over_time
from dfaas_experiments.records import Outcome, RequestRecord

DPI = 110


def served_per_node(path: Path, strategy: str, records: Sequence[RequestRecord]) -> None:
    """Served req/s over time, one line per node that ran requests."""
    figure, axes = plt.subplots(figsize=(8, 4))
    for node, (times, rates) in served_per_second(records).items():
        axes.plot(times, rates, label=node, linewidth=1.2)
    axes.set(
        title=f"{strategy}: served req/s per node",
        xlabel="time since start (s)",
        ylabel="served req/s",
    )
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def success_ratio(path: Path, runs: Mapping[str, Sequence[RequestRecord]]) -> None:
    """Served / sent in 5 s bins, one line per strategy."""
    figure, axes = plt.subplots(figsize=(8, 4))
    for strategy, records in runs.items():
        times, ratios = success_ratio_over_time(records)
        axes.plot(times, ratios, label=strategy, linewidth=1.2)
    axes.set(
        title="success ratio over time (5 s bins)",
        xlabel="time since start (s)",
        ylabel="served / sent",
        ylim=(-0.02, 1.02),
    )
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def latency_cdf(path: Path, runs: Mapping[str, Sequence[RequestRecord]]) -> None:
    """Empirical CDF of the latency of served requests, local and forwarded apart."""
    figure, axes = plt.subplots(figsize=(8, 4))
    for strategy, records in runs.items():
        for forwarded, style in ((False, "-"), (True, "--")):
            samples = np.sort(
                [
                    r.latency_ms
                    for r in records
                    if r.outcome is Outcome.OK
                    and r.latency_ms is not None
                    and r.forwarded == forwarded
                ]
            )
            if samples.size:
                fraction = np.arange(1, samples.size + 1) / samples.size
                where = "forwarded" if forwarded else "local"
                axes.step(samples, fraction, style, where="post", label=f"{strategy} {where}")
    axes.set(title="latency of served requests", xlabel="latency (ms)", ylabel="fraction")
    axes.set_xscale("log")
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def simulated_served(
    path: Path, strategy: str, series: Sequence[Mapping[str, float]], step_s: float
) -> None:
    """Simulator: req/s each node ran at each step, one line per node."""
    figure, axes = plt.subplots(figsize=(8, 4))
    times = [index * step_s for index in range(len(series))]
    for node in sorted({name for step in series for name in step}):
        axes.plot(times, [step.get(node, 0.0) for step in series], label=node, linewidth=1.2)
    axes.set(
        title=f"{strategy} (simulated): req/s run per node",
        xlabel="time since start (s)",
        ylabel="req/s run",
    )
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
