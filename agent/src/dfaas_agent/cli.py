"""Command line of the agent: `dfaas-agent`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from dfaas_agent import __version__
from dfaas_agent.config import AgentConfig, ConfigError, load_config
from dfaas_agent.identity import (
    Identity,
    IdentityError,
    KeyFileMissingError,
    load_identity,
    load_or_create_identity,
)

EXIT_BAD_CONFIG = 2
EXIT_BAD_IDENTITY = 1
EXIT_CANNOT_START = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dfaas-agent",
        description="DFaaS edge agent: federation overlay, load sharing and HAProxy control.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="YAML configuration file; AGENT_* environment variables override it",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser(
        "check-config",
        help="validate the configuration and the node key (never creates it), print the values",
    )
    check.add_argument(
        "--allow-missing-key",
        action="store_true",
        help="a missing or empty private_key_file is no error (identity or run creates it);"
        " a key that is there is still checked",
    )
    commands.add_parser(
        "identity",
        help="create the node key (and missing folders, said on stderr) if it is missing"
        " and print the peer ID",
    )
    commands.add_parser(
        "run",
        help="run the agent until SIGINT or SIGTERM; SIGHUP reads the configuration again"
        " and applies it if it changed",
    )
    return parser


def _load(path: Path | None, environ: Mapping[str, str]) -> AgentConfig | None:
    try:
        return load_config(path, environ)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return None


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_CONFIG
    config = _load(arguments.config, os.environ if environ is None else environ)
    if config is None:
        return EXIT_BAD_CONFIG
    if arguments.command == "check-config":
        return _check_config(config, allow_missing_key=arguments.allow_missing_key)
    try:
        identity = load_or_create_identity(config.private_key_file, _say_new_folder)
    except IdentityError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_IDENTITY
    if arguments.command == "run":
        return _run(config, identity, arguments.config, environ)
    print(identity.peer_id)
    return 0


def _check_config(config: AgentConfig, *, allow_missing_key: bool) -> int:
    problem = _key_problem(config.private_key_file, allow_missing_key)
    if problem is not None:
        print(f"config: private_key_file: {config.private_key_file}: {problem}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    print(json.dumps(config.model_dump(mode="json"), indent=2, sort_keys=True))
    return 0


def _key_problem(path: Path, allow_missing: bool) -> str | None:
    """What is wrong with the node key at `path`, read as `run` reads it; None when usable."""
    try:
        load_identity(path)
    except KeyFileMissingError as error:
        return None if allow_missing else error.problem
    except IdentityError as error:
        return error.problem
    return None


def _say_new_folder(folder: Path) -> None:
    print(f"identity: created folder {folder} (mode 0700) for private_key_file", file=sys.stderr)


def _run(
    config: AgentConfig, identity: Identity, path: Path | None, environ: Mapping[str, str] | None
) -> int:
    # Until the agent listens for it, a SIGHUP (the role reloading the file) must not end
    # the process: this start reads the file anyway.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # Imported here: the other commands need neither trio nor libp2p.
    import trio  # noqa: PLC0415

    from dfaas_agent import service  # noqa: PLC0415
    from dfaas_agent.service import RunInputs, file_sha256  # noqa: PLC0415

    def load_again() -> RunInputs:
        """What SIGHUP starts from: the same sources as this start, read again."""
        digest = file_sha256(path)
        again = load_config(path, os.environ if environ is None else environ)
        key = load_identity(again.private_key_file)
        return RunInputs(again, key, service.prepare(again, key), digest)

    try:
        first = RunInputs(config, identity, service.prepare(config, identity), file_sha256(path))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_CONFIG
    service.configure_logging(config.log_level)
    try:
        trio.run(service.run_until_signal, first, load_again)
    except Exception as error:
        cause = _startup_error(error)
        if cause is None:
            raise
        print(f"dfaas-agent: cannot start: {cause}", file=sys.stderr)
        return EXIT_CANNOT_START
    return 0


def _startup_error(error: BaseException) -> OSError | None:
    """A taken port or an unreadable file, possibly inside trio's exception groups."""
    if isinstance(error, OSError):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (cause := _startup_error(inner)) is not None:
                return cause
    return None
