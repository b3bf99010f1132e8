"""HAProxy runtime API clients over unix sockets, on trio.

One line per connection: HAProxy answers and closes the connection (no `prompt`
mode), so a lost connection can never leave a half-read answer behind for the next
command. Setters that run every period go as few lines as they fit in (commands
joined with `;`, which HAProxy runs in turn): the connections, not the commands, are
what costs as members grow. Every exchange is bounded by a timeout.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path

import trio

from dfaas_agent.haproxy.stats import (
    COUNTED_TABLES,
    ProcessInfo,
    ProcessList,
    RequestCounters,
    StatRow,
    counters_from_stats,
    parse_show_info,
    parse_show_map,
    parse_show_proc,
    parse_show_stat,
    parse_show_table,
)

_MAX_ANSWER_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 8000
"""A batch line stays well under HAProxy's CLI buffer (tune.bufsize, 16 kB by default)."""


class RuntimeApiError(RuntimeError):
    """A command failed: socket unreachable, timed out, or refused by HAProxy."""


class AnswerCutError(RuntimeApiError):
    """The connection broke after the command was sent (e.g. a process exiting)."""


def _checked(command: str) -> str:
    if "\n" in command or ";" in command:
        raise RuntimeApiError(f"refusing a command with a line or command separator: {command!r}")
    return command


async def exchange(socket_path: Path, command: str, timeout_s: float) -> str:
    """Send one command line to a HAProxy CLI socket and return the whole answer."""
    return await _exchange_line(socket_path, _checked(command), timeout_s)


def batches(commands: Sequence[str], max_bytes: int = MAX_LINE_BYTES) -> list[list[str]]:
    """`commands` in order, grouped into lines of at most `max_bytes` (joined with `;`)."""
    grouped: list[list[str]] = []
    length = 0
    for command in map(_checked, commands):
        if grouped and length + 1 + len(command) <= max_bytes:
            grouped[-1].append(command)
            length += 1 + len(command)
        else:
            grouped.append([command])
            length = len(command)
    return grouped


async def _exchange_line(socket_path: Path, command: str, timeout_s: float) -> str:
    chunks: list[bytes] = []
    received = 0
    try:
        with trio.fail_after(timeout_s):
            stream = await trio.open_unix_socket(str(socket_path))
            async with stream:
                await stream.send_all(command.encode() + b"\n")
                # End our side so that the master CLI too answers and closes.
                await stream.send_eof()
                while chunk := await stream.receive_some(65536):
                    received += len(chunk)
                    if received > _MAX_ANSWER_BYTES:
                        raise RuntimeApiError(f"answer to {command!r} exceeds {received} bytes")
                    chunks.append(chunk)
    except trio.TooSlowError as error:
        raise RuntimeApiError(
            f"{socket_path}: no complete answer to {command!r} within {timeout_s} s"
        ) from error
    except trio.BrokenResourceError as error:
        raise AnswerCutError(f"{socket_path}: answer to {command!r} cut: {error}") from error
    except OSError as error:
        raise RuntimeApiError(f"{socket_path}: cannot send {command!r}: {error}") from error
    return b"".join(chunks).decode(errors="replace")


class RuntimeApi:
    """The admin stats socket of the running worker."""

    def __init__(self, socket_path: Path, timeout_s: float = 3.0) -> None:
        self.socket_path = socket_path
        self.timeout_s = timeout_s

    async def command(self, command: str) -> str:
        return await exchange(self.socket_path, command, self.timeout_s)

    async def _silent_command(self, command: str) -> None:
        """A setter: HAProxy answers nothing (a blank line) on success."""
        answer = await self.command(command)
        if answer.strip():
            raise RuntimeApiError(f"{self.socket_path}: {command!r} refused: {answer.strip()}")

    async def set_all(self, commands: Sequence[str]) -> int:
        """Run setters (see the `*_command` builders), as few lines as they fit in; the
        number of connections used. HAProxy answers a blank line per setter that worked:
        a batch answering anything else is run again one setter at a time, so that the
        error names the setter HAProxy refused (setters are idempotent)."""
        lines = batches(commands)
        for batch in lines:
            answer = await _exchange_line(self.socket_path, ";".join(batch), self.timeout_s)
            if answer.strip():
                for command in batch:
                    await self._silent_command(command)
        return len(lines)

    async def show_info(self) -> ProcessInfo:
        return parse_show_info(await self.command("show info"))

    async def show_stat(self) -> list[StatRow]:
        return parse_show_stat(await self.command("show stat"))

    async def request_counters(self) -> RequestCounters:
        """Cumulative request counters (`show stat` and the counting stick tables),
        stamped with a monotonic time."""
        rows = await self.show_stat()
        tables = {table: await self.show_table(table) for table in COUNTED_TABLES}
        return counters_from_stats(rows, time.monotonic(), tables)

    async def set_weight(self, backend: str, server: str, weight: int) -> None:
        await self._silent_command(set_weight_command(backend, server, weight))

    async def set_server_maxconn(self, backend: str, server: str, maxconn: int) -> None:
        await self._silent_command(set_maxconn_command(backend, server, maxconn))

    async def show_table(self, table: str) -> dict[str, dict[str, int]]:
        """The integer data of every entry of a stick table, by key."""
        return parse_show_table(await self.command(f"show table {table}"))

    async def show_map(self, map_file: Path) -> dict[str, str]:
        return parse_show_map(await self.command(f"show map {map_file}"))

    async def set_map(self, map_file: Path, key: str, value: str) -> None:
        await self._silent_command(set_map_command(map_file, key, value))

    async def show_servers_state(self) -> str:
        """The raw `show servers state` dump, the format HAProxy's `server-state-file` reads."""
        return await self.command("show servers state")


def set_weight_command(backend: str, server: str, weight: int) -> str:
    return f"set weight {backend}/{server} {weight}"


def set_maxconn_command(backend: str, server: str, maxconn: int) -> str:
    return f"set maxconn server {backend}/{server} {maxconn}"


def set_map_command(map_file: Path, key: str, value: str) -> str:
    return f"set map {map_file} {key} {value}"


class MasterCli:
    """The master process's CLI socket (`haproxy -S <socket>`)."""

    def __init__(self, socket_path: Path, timeout_s: float = 3.0) -> None:
        self.socket_path = socket_path
        self.timeout_s = timeout_s

    async def show_proc(self) -> ProcessList:
        return parse_show_proc(await exchange(self.socket_path, "show proc", self.timeout_s))

    async def reload(self) -> None:
        """Ask the master to re-read its configuration and start new workers.

        HAProxy 2.6 answers nothing: the master re-executes itself and closes the
        connection; whether new workers came up is seen through `show proc`.
        """
        # The master re-executes itself: a cut connection is expected.
        with contextlib.suppress(AnswerCutError):
            await exchange(self.socket_path, "reload", self.timeout_s)
