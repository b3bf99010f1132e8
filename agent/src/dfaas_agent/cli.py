"""Command line of the agent: `dfaas-agent`."""

from __future__ import annotations

import argparse

from dfaas_agent import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dfaas-agent",
        description="DFaaS edge agent: federation overlay, load sharing and HAProxy control.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    build_parser().parse_args(argv)
    return 0
