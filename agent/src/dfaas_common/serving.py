"""The command line of a small reference HTTP service (dfaas-forecaster, dfaas-policy):
one-line argument errors, and serving an ASGI app until interrupted."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn, cast

import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from hypercorn.typing import Framework

EXIT_BAD_ARGUMENTS = 2


class OneLineParser(argparse.ArgumentParser):
    """An argument error is one line and exit code 2, without the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_ARGUMENTS, f"{self.prog}: {message}\n")


def serve_until_interrupted(app: Any, listen: str, prog: str) -> int:
    """Serve `app` on `listen` (HOST:PORT) until Ctrl-C: 0; 1 with one line on stderr when
    the address cannot be served."""
    config = Config()
    config.bind = [listen]
    try:
        trio.run(serve, cast(Framework, app), config)
    except OSError as error:
        print(f"{prog}: cannot serve on {listen}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
