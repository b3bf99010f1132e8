"""Command line of the local function runtime."""

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="dfaas-gateway",
        description="OpenFaaS-compatible local function runtime (not built yet).",
    )
    parser.parse_args(argv)
    parser.exit(2, "dfaas-gateway: the local function runtime is not built yet\n")
