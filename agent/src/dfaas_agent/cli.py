"""Command line of the agent: `dfaas-agent`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from dfaas_agent import __version__
from dfaas_agent.config import AgentConfig, ConfigError, load_config
from dfaas_agent.identity import IdentityError, load_or_create_identity

EXIT_BAD_CONFIG = 2
EXIT_BAD_IDENTITY = 1


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
    commands.add_parser(
        "check-config", help="validate the configuration and print the effective values"
    )
    commands.add_parser(
        "identity", help="create the node key if it is missing and print the peer ID"
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
        print(json.dumps(config.model_dump(mode="json"), indent=2, sort_keys=True))
        return 0
    try:
        identity = load_or_create_identity(config.private_key_file)
    except IdentityError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_IDENTITY
    print(identity.peer_id)
    return 0
