"""Command line of the reference policy endpoint (dfaas-policy)."""

from __future__ import annotations

import argparse
import sys

from dfaas_common.serving import OneLineParser, serve_until_interrupted
from dfaas_policy.app import build_app


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="dfaas-policy",
        description="Reference policy for the agent's strategy external: recalc's decisions "
        "as shares (the excess over capacity to members in proportion to their room).",
    )
    parser.add_argument("--listen", default="127.0.0.1:8090", metavar="HOST:PORT")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return serve_until_interrupted(build_app(), args.listen, "dfaas-policy")


if __name__ == "__main__":
    sys.exit(main())
