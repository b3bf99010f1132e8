# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Client for the DFaaS agent's HTTP API (``/healthz`` and ``/status``), and the wait
for federation members that the ``federation_info`` module offers.

Runs on target nodes (modules) and on the controller (lookups); built on the
collection's HTTP layer (``http_client.py``).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible.module_utils.basic import env_fallback

from ansible_collections.dfaas.edge.plugins.module_utils.errors import DfaasError
from ansible_collections.dfaas.edge.plugins.module_utils.http_client import (
    ConnectionFailed,
    DecodeError,
    HTTPClient,
    HTTPError,
    RequestError,
    RequestTimeout,
    decode_json,
)

DEFAULT_AGENT_URL = "http://127.0.0.1:8080"
MEMBER_STATES = ("connected", "fresh", "alive", "in_layout")
# A member is alive for this agent when it is connected on the overlay or its
# announcement is recent (heard through another member): what forwarding needs.
ALIVE_FROM = ("connected", "fresh")

# Module options of the ``dfaas.edge.agent_api`` doc fragment.
AGENT_API_ARGS: dict[str, Any] = {
    "agent_url": {
        "type": "str",
        "default": DEFAULT_AGENT_URL,
        "fallback": (env_fallback, ["DFAAS_AGENT_URL"]),
    },
    "agent_timeout": {"type": "float", "default": 10.0},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
}


class AgentApiError(DfaasError):
    """A call to the agent API failed: the message names the endpoint and what failed."""


def agent_client_args(params: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``AgentApiClient`` from a module's parameters."""
    return {
        "url": params["agent_url"],
        "timeout": params["agent_timeout"],
        "validate_certs": params["validate_certs"],
        "ca_path": params["ca_path"],
    }


class AgentApiClient(HTTPClient):
    """Read-only calls on one agent's HTTP API (``url`` is its base URL)."""

    service = "agent API"
    error = AgentApiError

    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        validate_certs: bool = True,
        ca_path: str | None = None,
    ) -> None:
        super().__init__(url, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path)

    def _get(self, path: str, accepted: tuple[int, ...] = ()) -> tuple[int, bytes]:
        endpoint = f"{self.url}{path}"
        try:
            response = self.request("GET", endpoint)
        except HTTPError as exc:
            if exc.status in accepted:
                return exc.status, exc.body
            raise AgentApiError(
                f"agent API {endpoint} answered HTTP {exc.status} {exc.reason}"
            ) from exc
        except RequestTimeout as exc:
            raise AgentApiError(f"agent API {endpoint}: no answer within {self.timeout} s") from exc
        except ConnectionFailed as exc:
            raise AgentApiError(f"agent API {endpoint} is unreachable: {exc.reason}") from exc
        except RequestError as exc:
            raise AgentApiError(f"agent API {endpoint} {exc.problem}") from exc
        return response.status, response.body

    def health(self) -> tuple[bool, list[str]]:
        """``(True, [])`` when ``/healthz`` says ok, ``(False, reasons)`` when it answers 503."""
        code, body = self._get("/healthz", accepted=(503,))
        lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines()]
        reasons = [line for line in lines if line]
        if code == 503:
            return False, reasons or ["the agent answered 503 without a reason"]
        return True, []

    def status(self) -> dict[str, Any]:
        """The agent's ``/status`` snapshot, checked to be a JSON object with ``peer_id``."""
        endpoint = f"{self.url}/status"
        body = self._get("/status")[1]
        try:
            document = decode_json("GET", endpoint, body)
        except DecodeError as exc:
            raise AgentApiError(f"agent API {endpoint} {exc.problem}") from exc
        if not isinstance(document, dict) or "peer_id" not in document:
            raise AgentApiError(
                f"agent API {endpoint} returned JSON without a peer_id: is this a DFaaS agent?"
            )
        members = document.get("members")
        if not isinstance(members, dict) or not isinstance(members.get("configured"), dict):
            raise AgentApiError(f"agent API {endpoint} returned no members.configured mapping")
        return document


def member_table(status: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per configured member: its name and whether it is connected, fresh, alive
    and in the HAProxy layout, as the agent of ``status`` sees it (the agent itself
    included)."""
    in_state = {state: members_in_state(status, state) for state in MEMBER_STATES}
    return [
        {
            "peer_id": peer_id,
            "name": name,
            "self": peer_id == status["peer_id"],
            **{state: peer_id in in_state[state] for state in MEMBER_STATES},
        }
        for peer_id, name in sorted(status["members"]["configured"].items())
    ]


def members_in_state(status: dict[str, Any], state: str) -> set[str]:
    """Peer IDs that ``status`` shows in ``state`` (alive: connected or fresh)."""
    members = status["members"]
    if state == "alive":
        return set().union(*(members.get(part) or () for part in ALIVE_FROM))
    return set(members.get(state) or ())


def check_wanted_members(wanted: Any) -> list[str] | int:
    """``wait_for_members`` as a list of peer IDs or a count; anything else is a clear error."""
    if isinstance(wanted, bool):
        raise ValueError("wait_for_members must be a list of peer IDs or a count, not a boolean")
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.strip().isdigit()):
        count = int(wanted)
        if count < 0:
            raise ValueError(f"wait_for_members count must be 0 or more, not {count}")
        return count
    if isinstance(wanted, str):
        wanted = [item.strip() for item in wanted.split(",")]
    if isinstance(wanted, (list, tuple)) and all(isinstance(i, str) and i for i in wanted):
        return list(wanted)
    raise ValueError(f"wait_for_members must be a list of peer IDs or a count, not {wanted!r}")


def missing_members(status: dict[str, Any], wanted: list[str] | int, state: str) -> str | None:
    """Why ``status`` does not yet show the ``wanted`` members in ``state``; None once it does.

    A count means that many members other than the agent itself.
    """
    present = members_in_state(status, state) - {status["peer_id"]}
    names = status["members"]["configured"]
    if isinstance(wanted, int):
        if len(present) >= wanted:
            return None
        absent = sorted(set(names) - present - {status["peer_id"]})
        listed = ", ".join(f"{peer} ({names[peer]})" for peer in absent) or "none configured"
        return f"{len(present)} of {wanted} members {state}; not {state}: {listed}"
    absent = [peer for peer in wanted if peer not in present]
    if not absent:
        return None
    listed = ", ".join(
        f"{peer} ({names[peer]})" if peer in names else f"{peer} (not a configured member)"
        for peer in absent
    )
    return f"not {state}: {listed}"


def wait_for_members(
    client: AgentApiClient,
    wanted: list[str] | int,
    state: str,
    timeout: float,
    interval: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll ``/status`` until the wanted members are in ``state``; return that snapshot.

    An agent that does not answer yet (still starting) is asked again until ``timeout``;
    then the error names who is missing, or why the agent could not be read.
    """
    if state not in MEMBER_STATES:
        raise ValueError(f"member state {state!r} is not one of {', '.join(MEMBER_STATES)}")
    deadline = clock() + timeout
    while True:
        try:
            status = client.status()
            problem = missing_members(status, wanted, state)
            if problem is None:
                return status
        except AgentApiError as exc:
            problem = str(exc)
        remaining = deadline - clock()
        if remaining <= 0:
            raise AgentApiError(
                f"agent API {client.url}/status: after waiting {timeout:g} s, {problem}"
            )
        sleep(min(interval, remaining))
