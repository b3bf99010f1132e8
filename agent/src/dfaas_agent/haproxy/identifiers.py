"""HAProxy identifiers (proxy, server and ACL names) built from domain names.

HAProxy accepts letters, digits and `.-_:` in identifiers. We keep letters,
digits, `.` and `-` and escape everything else, `_` included, as `_xx` (hex of
each UTF-8 byte). The escape is injective, so `my-fn`, `my_fn` and `my.fn`
never collide with each other or with the prefix separator.
"""

from __future__ import annotations

import string

_KEPT = frozenset(string.ascii_letters + string.digits + ".-")


def escape(name: str) -> str:
    """Escape `name` so that it is a valid, collision-free identifier fragment."""
    if not name:
        raise ValueError("cannot build an identifier from an empty name")
    return "".join(
        char if char in _KEPT else "".join(f"_{byte:02x}" for byte in char.encode())
        for char in name
    )


FUNCTION_BACKEND_PREFIX = "fn_"
RUN_BACKEND_PREFIX = "run_"


def function_backend(function: str) -> str:
    """Backend for a function's client requests that go one hop to a member (weights)."""
    return f"{FUNCTION_BACKEND_PREFIX}{escape(function)}"


def run_backend(function: str) -> str:
    """Backend that executes a function here (own clients and members): the slots."""
    return f"{RUN_BACKEND_PREFIX}{escape(function)}"


def member_server(member_name: str) -> str:
    return f"member_{escape(member_name)}"


def admission_key(function: str, peer_id: str) -> str:
    """Key of the admitted-rates map and the admissions stick table: `<function>@<peer ID>`."""
    return f"{function}@{peer_id}"


def function_acl(function: str) -> str:
    return f"is_fn_{escape(function)}"


LOCAL_SERVER = "local"
PUBLIC_FRONTEND = "public"
"""Where this node's own clients' requests arrive."""
PEER_FRONTEND = "peers"
"""Where members' forwarded requests arrive (mutual TLS)."""
GATEWAY_BACKEND = "gateway"
MEMBERS_BACKEND = "members"
CLIENT_REQUESTS_TABLE = "client_requests"
"""Stick table counting every client request per function (http_req_cnt)."""
EXECUTIONS_TABLE = "executions"
"""Per function, the rate of every request run here (own clients and members:
http_req_rate) and of this node's own clients' among them (gpc_rate 0). One table
for both keeps a sticky counter free on the public port for its client addresses."""
PUBLIC_SOURCES_TABLE = "public_sources"
"""Connections open on the public port per client address (an IPv6 /64), conn_cur."""
MEMBER_INFLIGHT_TABLE = "member_inflight"
"""Members' requests here now (running or queued), per function (conn_cur)."""
PEER_ADMISSIONS_TABLE = "peer_admissions"
"""Per `<function>@<peer ID>`: the member's admitted rate and count."""
