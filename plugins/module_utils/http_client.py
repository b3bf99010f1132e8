# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one HTTP layer of the collection's clients (OpenFaaS gateway, Prometheus, agent API).

``request`` sends one request through ansible's ``open_url`` with a timeout and returns
the status and body; ``decode_json`` reads a body as JSON. Every failure is a
``RequestError`` subclass that keeps what a client needs to word its own message
(``method``, ``url``, ``problem`` and, per kind, the status, reason or timeout) and whose
own message names the method, the URL and the problem. ``HTTPClient`` is the base of the
clients of one service at a base URL.

Runs on target nodes (modules) and on the controller (lookups), so it uses only the
standard library and ansible's own ``open_url``.
"""

from __future__ import annotations

import json
import socket
import urllib.error
from typing import Any

from ansible.module_utils.urls import open_url

from ansible_collections.dfaas.edge.plugins.module_utils.errors import DfaasError
from ansible_collections.dfaas.edge.plugins.module_utils.option_checks import (
    endpoint_problem,
)

_TIMEOUTS = (TimeoutError, socket.timeout)


class RequestError(DfaasError):
    """A request got no usable answer; the message is ``METHOD URL PROBLEM``."""

    def __init__(self, method: str, url: str, problem: str) -> None:
        super().__init__(f"{method} {url} {problem}")
        self.method = method
        self.url = url
        self.problem = problem


class HTTPError(RequestError):
    """The server answered with an error status; ``body`` is what it said (bytes)."""

    def __init__(self, method: str, url: str, status: int, reason: str, body: bytes) -> None:
        detail = body.decode("utf-8", "replace").strip()[:300]
        super().__init__(method, url, f"failed: HTTP {status}{': ' + detail if detail else ''}")
        self.status = status
        self.reason = reason
        self.body = body


class RequestTimeout(RequestError):
    """No answer, or no complete answer, within ``timeout`` seconds."""

    def __init__(self, method: str, url: str, timeout: float) -> None:
        super().__init__(method, url, f"timed out after {timeout} s")
        self.timeout = timeout


class ConnectionFailed(RequestError):
    """The server could not be reached: refused, unknown name, TLS handshake refused..."""

    def __init__(self, method: str, url: str, reason: Any) -> None:
        super().__init__(method, url, f"failed: {reason}")
        self.reason = reason


class DecodeError(RequestError):
    """The body of an answer is not the JSON that the caller expected."""

    def __init__(self, method: str, url: str) -> None:
        super().__init__(method, url, "returned a body that is not JSON")


class Response:
    """A successful answer: its HTTP status and its whole body."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


def request(
    method: str,
    url: str,
    timeout: float,
    data: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    validate_certs: bool = True,
    ca_path: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> Response:
    """Send one request and read the whole answer within ``timeout`` seconds.

    Basic auth is sent when ``username`` is set. Raises ``HTTPError`` for a 4xx or 5xx
    status, ``RequestTimeout``, ``ConnectionFailed`` when the server cannot be reached, and
    ``RequestError`` for any other failure of the socket.
    """
    try:
        answer = open_url(
            url,
            method=method,
            data=data,
            headers=headers,
            timeout=timeout,
            validate_certs=validate_certs,
            ca_path=ca_path,
            url_username=username,
            url_password=password,
            force_basic_auth=username is not None,
        )
        return Response(int(answer.getcode()), answer.read())
    except urllib.error.HTTPError as exc:
        raise HTTPError(method, url, exc.code, str(exc.reason), _error_body(exc)) from exc
    except _TIMEOUTS as exc:
        raise RequestTimeout(method, url, timeout) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, _TIMEOUTS):
            raise RequestTimeout(method, url, timeout) from exc
        raise ConnectionFailed(method, url, exc.reason) from exc
    except OSError as exc:
        raise RequestError(method, url, f"failed: {exc}") from exc


def decode_json(method: str, url: str, body: bytes) -> Any:
    """``body`` (the answer to ``METHOD URL``) as JSON; ``DecodeError`` when it is not."""
    try:
        return json.loads(body)
    except ValueError as exc:
        raise DecodeError(method, url) from exc


def _error_body(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read() or b""
    except (OSError, AttributeError):
        return b""


class HTTPClient:
    """Base of the clients of one service at ``url``, its base URL (``http://HOST:PORT``).

    A subclass names its ``service`` (as messages show it) and the ``error`` class that a
    bad URL or timeout raises, checked here before anything is sent.
    """

    service = "HTTP"
    error: type[DfaasError] = DfaasError

    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        validate_certs: bool = True,
        username: str | None = None,
        password: str | None = None,
        ca_path: str | None = None,
    ) -> None:
        problem = endpoint_problem(self.service, url, timeout)
        if problem is not None:
            raise self.error(problem)
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.username = username
        self.password = password
        self.ca_path = ca_path

    def request(
        self,
        method: str,
        endpoint: str,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """``request`` on ``endpoint`` (a full URL under ``self.url``) with this client's
        timeout, TLS settings and credentials."""
        return request(
            method,
            endpoint,
            self.timeout,
            data=data,
            headers=headers,
            validate_certs=self.validate_certs,
            ca_path=self.ca_path,
            username=self.username,
            password=self.password,
        )
