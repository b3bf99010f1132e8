"""Check a candidate configuration with `haproxy -c` before it can be used."""

from __future__ import annotations

from pathlib import Path

import trio


class ConfigRejectedError(RuntimeError):
    """`haproxy -c` refused the candidate configuration; carries HAProxy's words."""

    def __init__(self, config_file: Path, haproxy_output: str) -> None:
        self.config_file = config_file
        self.haproxy_output = haproxy_output
        super().__init__(f"haproxy -c rejected {config_file}:\n{haproxy_output.strip()}")


async def check_config(
    config_file: Path, haproxy_binary: str = "haproxy", timeout_s: float = 30.0
) -> None:
    """Raise ConfigRejectedError unless `haproxy -c -f config_file` accepts it."""
    with trio.fail_after(timeout_s):
        result = await trio.run_process(
            [haproxy_binary, "-c", "-f", str(config_file)],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace")
        raise ConfigRejectedError(config_file, output)
