"""Open-loop load generator (`python -m dfaas_experiments.load --help`)."""

from dfaas_experiments.load.generator import Limits, Progress, Stream, check_bounds, run_load

__all__ = ["Limits", "Progress", "Stream", "check_bounds", "run_load"]
