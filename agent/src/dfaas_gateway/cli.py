"""Command line of the local function runtime (dfaas-gateway)."""

import argparse
import logging
import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

import trio
from prometheus_client import disable_created_metrics

from dfaas_gateway.auth import BasicAuth, CredentialError, read_password_file
from dfaas_gateway.durations import parse_duration
from dfaas_gateway.functions.base import find_program
from dfaas_gateway.functions.catalog import BUILTIN_NAMES
from dfaas_gateway.server import StartupError, serve
from dfaas_gateway.settings import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_INFLIGHT,
    DEFAULT_TIMEOUT_SECONDS,
    GatewaySettings,
)

EXIT_BAD_ARGUMENTS = 2
EXIT_FAILED = 1


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_ARGUMENTS, f"{self.prog}: {message}\n")


def _listen_address(text: str) -> tuple[str, int]:
    host, separator, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not separator or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST:PORT (port 1-65535)")
    return host, int(port)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive integer")
    return int(text)


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _builtin_names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(set(names) - set(BUILTIN_NAMES))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown built-in(s) {', '.join(unknown)} (choose from {', '.join(BUILTIN_NAMES)})"
        )
    return names


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="dfaas-gateway",
        description="OpenFaaS-gateway-compatible local function runtime with built-in functions.",
    )
    parser.add_argument(
        "--listen",
        type=_listen_address,
        default=("127.0.0.1", 8080),
        metavar="HOST:PORT",
        help="address to serve on (default 127.0.0.1:8080)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        required=True,
        metavar="PATH",
        help="JSON file that keeps the deployed functions across restarts",
    )
    parser.add_argument(
        "--node-name",
        default=socket.gethostname(),
        metavar="NAME",
        help="name reported in X-Served-By and by nodeinfo (default: hostname)",
    )
    parser.add_argument(
        "--preload",
        type=_builtin_names,
        default=(),
        metavar="NAMES",
        help=f"comma-separated built-ins to deploy if absent: {','.join(BUILTIN_NAMES)}",
    )
    parser.add_argument(
        "--figlet",
        default=find_program("figlet"),
        metavar="PATH",
        help="figlet binary used by the figlet function",
    )
    parser.add_argument(
        "--tesseract",
        default=find_program("tesseract"),
        metavar="PATH",
        help="tesseract binary used by the ocr function",
    )
    parser.add_argument(
        "--default-max-inflight",
        type=_positive_int,
        default=DEFAULT_MAX_INFLIGHT,
        metavar="N",
        help="concurrent calls per function unless it sets max_inflight",
    )
    parser.add_argument(
        "--default-timeout",
        type=_duration,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="DURATION",
        help="per-call timeout unless the function sets one",
    )
    parser.add_argument(
        "--cpu-workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="worker processes for CPU-bound functions (default: CPU count)",
    )
    parser.add_argument(
        "--slot-wait",
        type=_duration,
        default=0.0,
        metavar="DURATION",
        help="how long a call waits for a busy function's slot before 429 (default 0: at once,"
        " as OpenFaaS's watchdog); covers a proxy whose old and new processes overlap",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=_positive_int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help="largest accepted request body",
    )
    parser.add_argument(
        "--basic-auth-user",
        metavar="NAME",
        help="user that deploy, update and remove requests must authenticate as "
        "(with --basic-auth-password-file; without both, management is unauthenticated)",
    )
    parser.add_argument(
        "--basic-auth-password-file",
        type=Path,
        metavar="PATH",
        help="file holding that user's password (one line)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


def _basic_auth(
    parser: argparse.ArgumentParser, user: str | None, password_file: Path | None
) -> BasicAuth | None:
    if user is None and password_file is None:
        return None
    if user is None or password_file is None:
        parser.error("--basic-auth-user and --basic-auth-password-file go together")
    if not user or ":" in user:
        parser.error("--basic-auth-user must be a non-empty name without ':'")
    try:
        return BasicAuth(user, read_password_file(password_file))
    except CredentialError as error:
        parser.error(f"--basic-auth-password-file: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not arguments.node_name.strip():
        parser.error("--node-name must not be empty")
    host, port = arguments.listen
    basic_auth = _basic_auth(parser, arguments.basic_auth_user, arguments.basic_auth_password_file)
    settings = GatewaySettings(
        listen_host=host,
        listen_port=port,
        state_file=arguments.state_file,
        node_name=arguments.node_name,
        figlet_binary=arguments.figlet,
        tesseract_binary=arguments.tesseract,
        preload=arguments.preload,
        default_max_inflight=arguments.default_max_inflight,
        default_timeout_seconds=arguments.default_timeout,
        cpu_workers=arguments.cpu_workers or os.cpu_count() or 1,
        max_body_bytes=arguments.max_body_bytes,
        slot_wait_seconds=arguments.slot_wait,
        basic_auth=basic_auth,
    )
    # OpenFaaS's gateway exposes no *_created series; keep the exposition alike.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    logging.basicConfig(level=arguments.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        trio.run(serve, settings)
    except StartupError as error:
        print(f"dfaas-gateway: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"dfaas-gateway: cannot serve on {settings.bind}: {error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
