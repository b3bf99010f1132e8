# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Client for the HAProxy runtime API (the admin "stats socket").

One connection per command (HAProxy's non-interactive mode: it answers, then closes),
over a unix socket or TCP. Standard library only: it runs on target nodes.
"""

from __future__ import annotations

import csv
import io
import math
import re
import socket
from typing import Any

from ansible_collections.dfaas.edge.plugins.module_utils.errors import DfaasError

SERVER_STATES = ("ready", "drain", "maint")
MAX_WEIGHT = 256
_RECEIVE_LIMIT = 64 * 1024 * 1024  # a huge "show stat" is still far below this
# The characters HAProxy allows in proxy and server names (its invalid_char()).
_NAME = re.compile(r"[A-Za-z0-9._:-]+")


class HAProxyRuntimeError(DfaasError):
    """A runtime API command failed: the message names the socket and the command."""


def name_problem(option: str, name: str) -> str | None:
    """Why ``name`` cannot be an HAProxy backend or server name; None when it can.

    A space, ``/`` or ``;`` would change the command that the name goes into.
    """
    if _NAME.fullmatch(name or ""):
        return None
    return f"{option} {name!r} is not an HAProxy name (letters, digits, '.', '_', ':' and '-')"


def parse_address(address: str) -> tuple[str, Any]:
    """Return ``("unix", path)`` or ``("tcp", (host, port))`` for a socket address.

    Accepted: ``/run/haproxy/admin.sock``, ``unix:///run/haproxy/admin.sock``,
    ``HOST:PORT``, ``tcp://HOST:PORT``, ``ipv4@HOST:PORT`` and ``[IPv6]:PORT``.
    """
    text = (address or "").strip()
    if not text:
        raise HAProxyRuntimeError("HAProxy runtime socket address is empty")
    for prefix in ("unix://", "unix@"):
        if text.startswith(prefix):
            return "unix", text[len(prefix) :]
    if text.startswith("/"):
        return "unix", text
    for prefix in ("tcp://", "ipv4@", "ipv6@"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise HAProxyRuntimeError(
            f"HAProxy runtime socket {address!r} is neither a unix socket path nor HOST:PORT"
        )
    return "tcp", (host.strip("[]"), int(port_text))


def parse_stat_csv(text: str) -> list[dict[str, str]]:
    """Parse ``show stat`` output (CSV with a ``# pxname,svname,...`` header line)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        raise ValueError("show stat output has no '# pxname,...' header line")
    header = lines[0][2:].rstrip(",").split(",")
    rows = []
    for values in csv.reader(io.StringIO("\n".join(lines[1:]))):
        rows.append(dict(zip(header, values)))
    return rows


def state_from_status(status: str) -> str:
    """Map a ``show stat`` status (``UP``, ``DRAIN``, ``MAINT (via b/s)``...) to an admin state."""
    if status.startswith("MAINT"):
        return "maint"
    if status.startswith("DRAIN"):
        return "drain"
    return "ready"


def parse_weight(text: str) -> tuple[int, int]:
    """Parse ``get weight`` output, ``"10 (initial 20)"``, into (current, initial)."""
    words = text.replace("(", " ").replace(")", " ").split()
    try:
        if len(words) == 3 and words[1] == "initial":
            return int(words[0]), int(words[2])
    except ValueError:
        pass
    raise ValueError(f"unexpected 'get weight' answer {text.strip()!r}")


class HAProxyRuntime:
    """Commands on one HAProxy runtime API socket (admin level for the ``set`` commands)."""

    def __init__(self, address: str, timeout: float = 5.0) -> None:
        if not math.isfinite(timeout) or timeout <= 0:
            raise HAProxyRuntimeError(
                f"HAProxy runtime socket {address}: timeout must be above 0 seconds, not {timeout}"
            )
        self.address = address
        self.family, self.target = parse_address(address)
        self.timeout = timeout

    def execute(self, command: str) -> str:
        """Send one command and return HAProxy's whole answer."""
        if "\n" in command or ";" in command:
            raise HAProxyRuntimeError(f"refusing multi-command input {command!r}")
        where = f"HAProxy runtime socket {self.address} (command {command!r})"
        family = socket.AF_UNIX if self.family == "unix" else socket.AF_INET
        try:
            if self.family == "unix":
                conn = socket.socket(family, socket.SOCK_STREAM)
                conn.settimeout(self.timeout)
                conn.connect(self.target)
            else:
                conn = socket.create_connection(self.target, timeout=self.timeout)
            with conn:
                conn.sendall(command.encode() + b"\n")
                chunks = []
                size = 0
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > _RECEIVE_LIMIT:
                        raise HAProxyRuntimeError(
                            f"{where}: answer larger than {_RECEIVE_LIMIT} bytes"
                        )
                    chunks.append(chunk)
        except (TimeoutError, socket.timeout) as exc:
            raise HAProxyRuntimeError(f"{where}: no answer within {self.timeout} s") from exc
        except OSError as exc:
            raise HAProxyRuntimeError(f"{where}: {exc.strerror or exc}") from exc
        return b"".join(chunks).decode("utf-8", "replace")

    def _command_without_answer(self, command: str) -> None:
        # Successful "set" commands answer with an empty line; any text is HAProxy's refusal.
        answer = self.execute(command).strip()
        if answer:
            raise HAProxyRuntimeError(
                f"HAProxy runtime socket {self.address} refused {command!r}: {answer}"
            )

    def show_stat(self, proxy: str | None = None) -> list[dict[str, str]]:
        """Rows of ``show stat`` (all proxies, or one), each a dict keyed by CSV column."""
        command = f"show stat {proxy} -1 -1" if proxy else "show stat"
        answer = self.execute(command)
        try:
            return parse_stat_csv(answer)
        except ValueError as exc:
            raise HAProxyRuntimeError(
                f"HAProxy runtime socket {self.address} answered {command!r} "
                f"with {answer.strip()[:200]!r}"
            ) from exc

    def get_weight(self, backend: str, server: str) -> tuple[int, int]:
        """Current and initial weight of ``backend/server``."""
        command = f"get weight {backend}/{server}"
        answer = self.execute(command)
        try:
            return parse_weight(answer)
        except ValueError as exc:
            raise HAProxyRuntimeError(
                f"HAProxy runtime socket {self.address} refused {command!r}: {answer.strip()}"
            ) from exc

    def set_weight(self, backend: str, server: str, weight: int) -> None:
        if not 0 <= weight <= MAX_WEIGHT:
            raise HAProxyRuntimeError(f"weight {weight} is outside 0..{MAX_WEIGHT}")
        self._command_without_answer(f"set weight {backend}/{server} {weight}")

    def set_state(self, backend: str, server: str, state: str) -> None:
        if state not in SERVER_STATES:
            raise HAProxyRuntimeError(f"server state {state!r} is not one of {SERVER_STATES}")
        self._command_without_answer(f"set server {backend}/{server} state {state}")

    def server(self, backend: str, server: str) -> dict[str, Any]:
        """``{weight, initial_weight, state, status}`` of one server, read from the socket."""
        rows = self.show_stat(backend)
        row = next((r for r in rows if r.get("svname") == server), None)
        if row is None or row.get("pxname") != backend:
            raise HAProxyRuntimeError(
                f"HAProxy runtime socket {self.address}: "
                f"no server {server!r} in backend {backend!r}"
            )
        weight, initial = self.get_weight(backend, server)
        status = row.get("status", "")
        return {
            "weight": weight,
            "initial_weight": initial,
            "state": state_from_status(status),
            "status": status,
        }
