"""Command line of the reference policy endpoint (dfaas-policy)."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, cast

import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from hypercorn.typing import Framework

from dfaas_policy.app import build_app

EXIT_BAD_ARGUMENTS = 2


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_ARGUMENTS, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="dfaas-policy",
        description="Reference policy for the agent's strategy external: recalc's decisions "
        "as shares (the excess over capacity to members in proportion to their room).",
    )
    parser.add_argument("--listen", default="127.0.0.1:8090", metavar="HOST:PORT")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = Config()
    config.bind = [args.listen]
    try:
        trio.run(serve, cast(Framework, build_app()), config)
    except OSError as error:
        print(f"dfaas-policy: cannot serve on {args.listen}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
