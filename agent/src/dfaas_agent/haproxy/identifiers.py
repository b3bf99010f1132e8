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


def function_backend(function: str) -> str:
    """Backend for clients' requests of a function (local or one hop to a member)."""
    return f"fn_{escape(function)}"


def peer_backend(function: str) -> str:
    """Backend for a function's requests forwarded by members: always local."""
    return f"from_peers_{escape(function)}"


def member_server(member_name: str) -> str:
    return f"member_{escape(member_name)}"


def function_acl(function: str) -> str:
    return f"is_fn_{escape(function)}"


LOCAL_SERVER = "local"
GATEWAY_BACKEND = "gateway"
MEMBERS_BACKEND = "members"
LOCAL_EXECUTIONS_TABLE = "local_executions"
PEER_ADMISSIONS_TABLE = "peer_admissions"
