"""Carry the health of checked servers from the old HAProxy worker to the new one.

A new worker starts every checked server UP but one failed check away from DOWN
("UP 1/2"). A dead member would get requests until its checks fail again, and
a live member that misses one check (it is reloading at the same moment) would
go DOWN. Before each reload the controller therefore dumps `show servers state`
and writes the lines worth keeping to the file named by `server-state-file`.
The new worker loads it in the `gateway` and `members` backends (the only
checked ones; the function backends `track` them, so they follow).

HAProxy applies a state line to the server of the same backend and name, and
it takes the line's port and TLS switch as well. A line is therefore kept only
when the new layout has that server at the same host, port and TLS switch:
a member that moved starts fresh instead of being sent to its old address.
The function backends load no state: their weights come from the rendered
configuration (the current tuning), never from the old worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from dfaas_agent.haproxy import identifiers
from dfaas_agent.haproxy.layout import ProxyLayout

STATE_FORMAT_VERSION = "1"
# What the file holds when nothing is carried: a valid, empty state (a missing
# file makes HAProxy warn at every start).
EMPTY_STATE = f"{STATE_FORMAT_VERSION}\n"
CHECKED_BACKENDS = (identifiers.GATEWAY_BACKEND, identifiers.MEMBERS_BACKEND)
_NO_VALUE = "-"


@dataclass(frozen=True)
class CheckedServer:
    """Where the layout puts one health-checked server."""

    host: str
    port: int
    ssl: bool


def checked_servers(layout: ProxyLayout) -> dict[tuple[str, str], CheckedServer]:
    """The layout's checked servers by (backend, server)."""
    servers = {
        (identifiers.GATEWAY_BACKEND, identifiers.LOCAL_SERVER): CheckedServer(
            layout.gateway_host, layout.gateway_port, ssl=False
        )
    }
    for member in layout.members:
        key = (identifiers.MEMBERS_BACKEND, identifiers.member_server(member.name))
        servers[key] = CheckedServer(member.host, member.peer_port, ssl=layout.tls is not None)
    return servers


def carried_state(dump: str, layout: ProxyLayout) -> str:
    """The part of a `show servers state` answer that applies to `layout`.

    Anything unexpected (another format version, no header) carries nothing:
    the new worker then starts as it would without a state file.
    """
    lines = dump.splitlines()
    if len(lines) < 2 or lines[0].strip() != STATE_FORMAT_VERSION:
        return EMPTY_STATE
    header = lines[1]
    if not header.startswith("#"):
        return EMPTY_STATE
    columns = header.lstrip("#").split()
    needed = {"be_name", "srv_name", "srv_addr", "srv_port", "srv_fqdn", "srv_use_ssl"}
    if not needed <= set(columns):
        return EMPTY_STATE
    expected = checked_servers(layout)
    kept = [
        line
        for line in lines[2:]
        if (fields := line.split())
        and len(fields) == len(columns)
        and _same_server(dict(zip(columns, fields, strict=True)), expected)
    ]
    return "".join(f"{line}\n" for line in (lines[0].strip(), header, *kept))


def _same_server(state: dict[str, str], expected: dict[tuple[str, str], CheckedServer]) -> bool:
    server = expected.get((state["be_name"], state["srv_name"]))
    if server is None:
        return False
    names = {state["srv_addr"], state["srv_fqdn"]} - {_NO_VALUE}
    return (
        server.host in names
        and state["srv_port"] == str(server.port)
        and state["srv_use_ssl"] == str(int(server.ssl))
    )
