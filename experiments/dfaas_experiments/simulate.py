"""Command line of the simulator: compare strategies on a scenario or a synthetic federation.

    python -m dfaas_experiments.simulate scenarios/paper.yml
    python -m dfaas_experiments.simulate --synthetic 1000 --duration 600 --strategy recalc

Prints, per strategy, the served ratio (overall, after the first period, per
node for small federations), the forwarded share and the wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dfaas_experiments import plots
from dfaas_experiments.federations import SyntheticSpec, from_scenario, synthetic
from dfaas_experiments.oracle import possible_of_rates
from dfaas_experiments.scenario import ScenarioError, load_scenario
from dfaas_experiments.simulator import Federation, Outcome, Simulation

EXIT_USAGE = 2
PER_NODE_UP_TO = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.simulate",
        description=__doc__.split("\n\n", maxsplit=1)[0],
    )
    parser.add_argument("scenario", nargs="?", type=Path, help="scenario YAML file")
    parser.add_argument("--synthetic", type=int, metavar="NODES", help="random federation")
    parser.add_argument("--neighbours", type=int, default=8, help="with --synthetic")
    parser.add_argument("--hot-share", type=float, default=0.3, help="with --synthetic")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds, with --synthetic")
    parser.add_argument("--period", type=float, default=60.0, help="seconds, with --synthetic")
    parser.add_argument("--seed", type=int, default=1, help="with --synthetic")
    parser.add_argument(
        "--strategy", action="append", help="strategy to run (repeatable); default: the scenario's"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for simulation.json and, up to 10 nodes, a plot per strategy",
    )
    parser.add_argument(
        "--warmup-periods",
        type=int,
        default=2,
        help="control periods run before the load starts (0: agents start with the load)",
    )
    return parser


def _federation(args: argparse.Namespace) -> tuple[Federation, list[str]]:
    if args.scenario is not None:
        scenario = load_scenario(args.scenario)
        return from_scenario(scenario, args.warmup_periods), args.strategy or scenario.strategies
    spec = SyntheticSpec(
        nodes=args.synthetic,
        neighbours=args.neighbours,
        hot_share=args.hot_share,
        duration_s=args.duration,
        period_s=args.period,
        seed=args.seed,
    )
    federation = synthetic(spec)
    federation = Federation(
        nodes=federation.nodes,
        offered=federation.offered,
        period_s=federation.period_s,
        step_s=federation.step_s,
        steps=federation.steps,
        warmup_periods=args.warmup_periods,
    )
    return federation, args.strategy or ["all_local", "recalc"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if (args.scenario is None) == (args.synthetic is None):
        parser.error("give either a scenario file or --synthetic NODES")
    try:
        started = time.perf_counter()
        federation, strategies = _federation(args)
        built = time.perf_counter() - started
        simulations = [Simulation(federation, name) for name in strategies]
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    simulated_s = federation.steps * federation.step_s
    print(
        f"{len(federation.nodes)} nodes, {simulated_s:g} s simulated, period "
        f"{federation.period_s:g} s, step {federation.step_s:g} s (built in {built:.2f} s)"
    )
    small = len(federation.nodes) <= PER_NODE_UP_TO
    possible = possible_of_rates(
        federation.offered,
        {
            (name, function): spec.maxrate
            if spec.maxrate is not None
            or node.cpu_limit_percent is None
            or spec.cpu_percent_per_request <= 0
            else node.cpu_limit_percent / spec.cpu_percent_per_request
            for name, node in federation.nodes.items()
            for function, spec in node.functions.items()
        },
        {name: node.neighbours for name, node in federation.nodes.items()},
        federation.step_s,
    )
    results = []
    for simulation in simulations:
        started = time.perf_counter()
        outcome = simulation.run(record_series=small and args.out is not None)
        elapsed = time.perf_counter() - started
        results.append(_as_json(outcome, elapsed, possible))
        if args.out is not None and small:
            args.out.mkdir(parents=True, exist_ok=True)
            plots.simulated_served(
                args.out / f"sim-served-{outcome.strategy}.png",
                outcome.strategy,
                outcome.served_per_step,
                federation.step_s,
            )
        of_possible = outcome.total.served / possible if possible > 0 else float("nan")
        print(
            f"{outcome.strategy:12} served {outcome.served_ratio:7.2%}  "
            f"of possible {of_possible:7.2%}  "
            f"after first period {outcome.after_first_period.served_ratio:7.2%}  "
            f"forwarded share {outcome.forwarded_share:6.2%}  wall {elapsed:6.2f} s"
        )
        if small:
            for name, totals in sorted(outcome.per_node.items()):
                if totals.offered <= 0:
                    continue
                helped = outcome.first_help_s.get(name)
                print(
                    f"{'':12} {name}: served {totals.served_ratio:7.2%}, "
                    f"peers ran {totals.served_by_peers:.0f} of {totals.offered:.0f} requests"
                    + ("" if helped is None else f", first help at t={helped:g} s")
                )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        document = {
            "nodes": len(federation.nodes),
            "simulated_s": simulated_s,
            "period_s": federation.period_s,
            "step_s": federation.step_s,
            "warmup_periods": federation.warmup_periods,
            "strategies": results,
        }
        (args.out / "simulation.json").write_text(json.dumps(document, indent=2) + "\n")
        print(f"results written to {args.out}/simulation.json")
    return 0


def _as_json(outcome: Outcome, wall_s: float, possible: float) -> dict[str, Any]:
    return {
        "strategy": outcome.strategy,
        "served_ratio": outcome.served_ratio,
        "possible": possible,
        "served_of_possible": outcome.total.served / possible if possible > 0 else None,
        "served_ratio_after_first_period": outcome.after_first_period.served_ratio,
        "forwarded_share": outcome.forwarded_share,
        "wall_s": wall_s,
        "first_help_s": dict(sorted(outcome.first_help_s.items())),
        "per_node": {
            name: {
                "offered": totals.offered,
                "served_here": totals.served_here,
                "served_by_peers": totals.served_by_peers,
                "served_ratio": totals.served_ratio,
            }
            for name, totals in sorted(outcome.per_node.items())
            if totals.offered > 0
        },
    }


if __name__ == "__main__":
    sys.exit(main())
