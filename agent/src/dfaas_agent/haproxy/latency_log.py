"""HAProxy's per-request log line for the request duration histogram, and how it is read.

HAProxy sends one RFC 5424 syslog datagram per request to a UDP port on 127.0.0.1. The
node's usual log (`log stdout format raw`, the `option httplog` line) is unchanged: the
fields the agent needs travel in the message's structured data, which HAProxy writes
only to RFC 5424 targets (`log-format-sd`), so no other log target sees them:

    <134>1 2026-12-07T05:01:02.345+00:00 node-a haproxy 42 -
        [dfaas@32473 r="public run_figlet local 200 0 12 13"] 127.0.0.1:5123 [...

(one line, wrapped here). The `r` parameter holds seven fields separated by single
spaces, each one token: frontend, backend, server, HTTP status, then the Tw (queue),
Tr (server response) and Ta (whole request, from its first byte to the answer's last)
timers in milliseconds. HAProxy writes `-1` for a timer that never ran. Every field is
an HAProxy identifier or an integer, so a datagram is read with a few splits, no regular
expression.

A datagram is either a `RequestTiming` for a function and a server of the current
layout, or `DroppedDatagram` with a reason that the agent counts: nothing else can
create a histogram series, so their number stays bounded by the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from dfaas_agent.haproxy import identifiers
from dfaas_agent.haproxy.layout import ProxyLayout

SD_ID = "dfaas@32473"
"""The structured-data element's ID. 32473 is the private enterprise number reserved for
documentation (RFC 5612): the message never leaves the node."""
LOG_FORMAT_SD = f'[{SD_ID} r="%f %b %s %ST %Tw %Tr %Ta"]'
"""HAProxy's `log-format-sd` for the fields below (rendered in single quotes)."""
_SD_PREFIX = f'[{SD_ID} r="'.encode()
_FIELDS = 7
_NO_STRUCTURED_DATA = b"- "
_HEADER_FIELDS = 6  # <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
MAX_DATAGRAM_BYTES = 2048
"""Bigger than any datagram HAProxy sends here (`len 1024`); the rest of a longer one is
cut off by the socket, and what is left is not a complete message."""
MAX_TIMER_MS = 86_400_000
"""A day: no request of a function lasts longer; a bigger timer is not HAProxy's."""

LOCAL_ROUTE = "local"
"""Ran on this node's runtime (`run_<fn>`, server `local`)."""
MEMBER_ROUTE = "member"
"""Sent one hop to a member (`fn_<fn>`, the server that answered last)."""
CLIENT_ORIGIN = "client"
"""Arrived on the public port: one of this node's own clients."""
MEMBER_ORIGIN = "member"
"""Arrived on the peer port: forwarded by a member."""

# Reasons of `DroppedDatagram`, the label values of the dropped counter.
EVENT = "event"
"""HAProxy's own message, not a request's: a server going UP or DOWN, a backend without
a server, start and stop (RFC 5424 with no structured data)."""
FOREIGN = "foreign"
"""Not one of our log lines: not RFC 5424, other structured data, or from a frontend other
than the public and the peer ports'."""
MALFORMED = "malformed"
"""Our structured data, but a field is missing, extra or not a number."""
NO_SERVER = "no_server"
"""HAProxy answered itself (403, 404, or 503 with no member left): no server ran it."""
OTHER_BACKEND = "other_backend"
"""Not a function's backend: the gateway's (members' health checks of the peer port,
clients' GET /system/functions)."""
UNKNOWN_FUNCTION = "unknown_function"
"""A function's backend (`run_<fn>`, `fn_<fn>`) for a function not in the current layout."""
UNKNOWN_SERVER = "unknown_server"
"""A server that is not `local` or a member in the current layout."""
DROP_REASONS = (
    EVENT,
    FOREIGN,
    MALFORMED,
    NO_SERVER,
    OTHER_BACKEND,
    UNKNOWN_FUNCTION,
    UNKNOWN_SERVER,
)

_ORIGINS = {
    identifiers.PUBLIC_FRONTEND.encode(): CLIENT_ORIGIN,
    identifiers.PEER_FRONTEND.encode(): MEMBER_ORIGIN,
}
_NO_SERVER = b"<NOSRV>"
_FUNCTION_BACKEND_PREFIXES = (
    identifiers.RUN_BACKEND_PREFIX.encode(),
    identifiers.FUNCTION_BACKEND_PREFIX.encode(),
)


class DroppedDatagram(Exception):
    """A datagram that gives no observation; `reason` is one of `DROP_REASONS`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RequestTiming:
    """One request as HAProxy timed it, named by the layout's function and node names."""

    function: str
    route: str
    """`LOCAL_ROUTE` or `MEMBER_ROUTE`."""
    server: str
    """`local`, or the member's node name."""
    origin: str
    """`CLIENT_ORIGIN` or `MEMBER_ORIGIN`."""
    status: int
    """The HTTP status sent to the client (-1: none, the client went away first)."""
    queue_ms: int
    """Tw: waiting for an execution slot (-1: never queued)."""
    response_ms: int
    """Tr: from sending the request to the server to its answer's headers (-1: none)."""
    duration_ms: int
    """Ta: from the request's first byte to the answer's last."""

    @property
    def status_class(self) -> str:
        """`2xx`, `3xx`, `4xx`, `5xx`, or `none` (no answer was sent)."""
        return f"{self.status // 100}xx" if 100 <= self.status <= 599 else "none"


@dataclass(frozen=True)
class RouteCatalogue:
    """Which backends and servers of a layout become which labels; nothing else does."""

    local_backends: dict[bytes, str]
    """`run_<fn>` -> function."""
    member_backends: dict[bytes, str]
    """`fn_<fn>` -> function."""
    member_servers: dict[bytes, str]
    """`member_<name>` -> the member's node name."""

    @classmethod
    def of(cls, layout: ProxyLayout | None) -> RouteCatalogue:
        """The catalogue of `layout`; None (nothing applied yet): an empty one."""
        if layout is None:
            return cls({}, {}, {})
        functions = [function.name for function in layout.functions]
        return cls(
            local_backends={identifiers.run_backend(f).encode(): f for f in functions},
            member_backends={identifiers.function_backend(f).encode(): f for f in functions},
            member_servers={
                identifiers.member_server(m.name).encode(): m.name for m in layout.members
            },
        )

    @property
    def functions(self) -> frozenset[str]:
        return frozenset(self.local_backends.values())

    @property
    def servers(self) -> frozenset[str]:
        """Every server label: `local` and the members' names."""
        return frozenset(self.member_servers.values()) | {identifiers.LOCAL_SERVER}

    def read(self, datagram: bytes) -> RequestTiming:
        """The request that `datagram` logs; `DroppedDatagram` says why there is none."""
        fields = _fields(datagram)
        frontend, backend, server = fields[0], fields[1], fields[2]
        status, queue_ms, response_ms, duration_ms = (_timer(value) for value in fields[3:])
        if duration_ms < 0:
            raise DroppedDatagram(MALFORMED, f"no request duration: {duration_ms}")
        origin = _ORIGINS.get(frontend)
        if origin is None:
            raise DroppedDatagram(FOREIGN, f"frontend {_text(frontend)}")
        if server == _NO_SERVER:
            raise DroppedDatagram(NO_SERVER, f"{_text(backend)} answered by HAProxy")
        if (function := self.local_backends.get(backend)) is not None:
            if server != identifiers.LOCAL_SERVER.encode():
                raise DroppedDatagram(UNKNOWN_SERVER, f"{_text(backend)}/{_text(server)}")
            route, server_name = LOCAL_ROUTE, identifiers.LOCAL_SERVER
        elif (function := self.member_backends.get(backend)) is not None:
            member = self.member_servers.get(server)
            if member is None:
                raise DroppedDatagram(UNKNOWN_SERVER, f"{_text(backend)}/{_text(server)}")
            route, server_name = MEMBER_ROUTE, member
        elif backend.startswith(_FUNCTION_BACKEND_PREFIXES):
            raise DroppedDatagram(UNKNOWN_FUNCTION, f"backend {_text(backend)}")
        else:
            raise DroppedDatagram(OTHER_BACKEND, f"backend {_text(backend)}")
        return RequestTiming(
            function, route, server_name, origin, status, queue_ms, response_ms, duration_ms
        )


def _fields(datagram: bytes) -> list[bytes]:
    """The seven fields of our structured data; `DroppedDatagram` for anything else."""
    parts = datagram.split(b" ", _HEADER_FIELDS)
    if len(parts) <= _HEADER_FIELDS or not _is_rfc5424_start(parts[0]):
        raise DroppedDatagram(FOREIGN, "not an RFC 5424 syslog message")
    structured = parts[_HEADER_FIELDS]
    if structured.startswith(_NO_STRUCTURED_DATA):
        raise DroppedDatagram(EVENT, "an HAProxy message with no structured data")
    if not structured.startswith(_SD_PREFIX):
        raise DroppedDatagram(FOREIGN, f"no [{SD_ID} ...] structured data")
    end = structured.find(b'"]', len(_SD_PREFIX))
    if end < 0:
        raise DroppedDatagram(MALFORMED, "unterminated structured data")
    fields = structured[len(_SD_PREFIX) : end].split(b" ")
    if len(fields) != _FIELDS or not all(fields):
        raise DroppedDatagram(MALFORMED, f"expected {_FIELDS} fields, got {len(fields)}")
    return fields


def _is_rfc5424_start(first: bytes) -> bool:
    """`<PRI>1`: a priority of 0..191 in angle brackets, then version 1."""
    if not (first.startswith(b"<") and first.endswith(b">1")):
        return False
    priority = first[1:-2]
    return 1 <= len(priority) <= 3 and priority.isdigit() and int(priority) <= 191


def _timer(value: bytes) -> int:
    """A status or timer: a decimal integer, -1 or more, at most `MAX_TIMER_MS`."""
    digits = value[1:] if value.startswith(b"-") else value
    if not digits.isdigit() or len(digits) > 9:
        raise DroppedDatagram(MALFORMED, f"not a number: {_text(value)}")
    number = int(value)
    if not -1 <= number <= MAX_TIMER_MS:
        raise DroppedDatagram(MALFORMED, f"out of range: {number}")
    return number


def _text(value: bytes) -> str:
    """A field for a log message, shortened, whatever its bytes."""
    return value[:80].decode("ascii", "backslashreplace")
