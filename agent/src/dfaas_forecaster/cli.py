"""Command line of the reference forecaster (dfaas-forecaster)."""

from __future__ import annotations

import argparse
import sys

from dfaas_common.serving import OneLineParser, serve_until_interrupted
from dfaas_forecaster.app import build_app
from dfaas_forecaster.model import Coefficients, LinearModel


def _three(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or any(not 0 <= value < float("inf") for value in values):
        raise argparse.ArgumentTypeError(f"'{text}' is not HIGH,MEDIUM,LOW (three numbers >= 0)")
    return values[0], values[1], values[2]


def _amount(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number >= 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="dfaas-forecaster",
        description="Reference forecaster with the prototype's API: idle usage plus a linear "
        "cost per req/s of each usage group.",
    )
    parser.add_argument("--listen", default="127.0.0.1:8000", metavar="HOST:PORT")
    parser.add_argument("--idle-cpu", type=_amount, default=5.0, help="percent of one core")
    parser.add_argument(
        "--cpu-per-request",
        type=_three,
        default=(4.0, 2.0, 0.5),
        metavar="H,M,L",
        help="percent of one core per req/s of each group (default 4,2,0.5)",
    )
    parser.add_argument("--idle-ram", type=_amount, default=1.5e9, help="bytes")
    parser.add_argument(
        "--ram-per-request",
        type=_three,
        default=(2e7, 1e7, 2e6),
        metavar="H,M,L",
        help="bytes per req/s of each group",
    )
    parser.add_argument("--idle-power", type=_amount, help="microwatts (no power forecast without)")
    parser.add_argument(
        "--power-per-request", type=_three, default=(0.0, 0.0, 0.0), metavar="H,M,L"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    model = LinearModel(
        cpu_percent=Coefficients(args.idle_cpu, args.cpu_per_request),
        ram_bytes=Coefficients(args.idle_ram, args.ram_per_request),
        power_microwatts=(
            None
            if args.idle_power is None
            else Coefficients(args.idle_power, args.power_per_request)
        ),
    )
    return serve_until_interrupted(build_app(model), args.listen, "dfaas-forecaster")


if __name__ == "__main__":
    sys.exit(main())
