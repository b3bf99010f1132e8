# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The clients' HTTP layer (``http_client.py``) against HTTP servers on loopback:
``FakeHTTPTable`` answers from a table, ``FakeSilentServer`` accepts connections and closes
them unanswered."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
from typing import Any, Iterator

import pytest

from ansible_collections.dfaas.edge.plugins.module_utils.errors import DfaasError
from ansible_collections.dfaas.edge.plugins.module_utils.http_client import (
    ConnectionFailed,
    DecodeError,
    HTTPClient,
    HTTPError,
    RequestError,
    RequestTimeout,
    decode_json,
    request,
)
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakeHTTPService,
)


class FakeHTTPTable(FakeHTTPService):
    """Answers each path from ``answers`` (path -> (status, body)); 404 for any other."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, tuple[int, Any]] = {}

    def answer(self, request: dict[str, Any]) -> tuple[int, Any]:
        return self.answers.get(request["path"], (404, b"no such path"))


class FakeSilentServer:
    """A TCP server on loopback that closes every connection without answering."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._close_each, daemon=True)
        self._thread.start()

    def _close_each(self) -> None:
        while not self._stopped.is_set():
            try:
                connection = self._socket.accept()[0]
            except socket.timeout:
                continue
            with connection, contextlib.suppress(OSError):
                connection.settimeout(1.0)
                connection.recv(65536)  # the request, left unanswered

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._socket.close()


class ExampleError(DfaasError):
    """What ``ExampleClient`` raises for a bad endpoint."""


class ExampleClient(HTTPClient):
    service = "example"
    error = ExampleError


@pytest.fixture
def table() -> Iterator[FakeHTTPTable]:
    fake = FakeHTTPTable().start()
    yield fake
    fake.stop()


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_request_returns_the_status_and_the_whole_body(table: FakeHTTPTable) -> None:
    table.answers["/things"] = (202, {"ok": True})

    response = request("GET", f"{table.url}/things", timeout=5)

    assert (response.status, json.loads(response.body)) == (202, {"ok": True})


def test_a_request_sends_its_method_body_and_basic_auth(table: FakeHTTPTable) -> None:
    table.answers["/things"] = (200, b"")

    request("PUT", f"{table.url}/things", 5, data='{"a": 1}', username="admin", password="pw")

    (sent,) = table.requests
    token = base64.b64encode(b"admin:pw").decode()
    assert (sent["method"], sent["body"], sent["authorization"]) == (
        "PUT",
        b'{"a": 1}',
        f"Basic {token}",
    )


def test_no_credentials_send_no_authorization(table: FakeHTTPTable) -> None:
    table.answers["/things"] = (200, b"")

    request("GET", f"{table.url}/things", 5)

    assert table.requests[0]["authorization"] is None


def test_an_error_status_names_method_url_status_and_the_servers_text(
    table: FakeHTTPTable,
) -> None:
    url = f"{table.url}/ghost"

    with pytest.raises(HTTPError) as caught:
        request("DELETE", url, 5)

    assert str(caught.value) == f"DELETE {url} failed: HTTP 404: no such path"
    assert (caught.value.status, caught.value.reason, caught.value.body) == (
        404,
        "Not Found",
        b"no such path",
    )


def test_an_error_status_without_a_body_names_the_status_only(table: FakeHTTPTable) -> None:
    table.answers["/broken"] = (500, b"")

    with pytest.raises(HTTPError) as caught:
        request("GET", f"{table.url}/broken", 5)

    assert str(caught.value) == f"GET {table.url}/broken failed: HTTP 500"


def test_a_slow_server_is_a_timeout_naming_url_and_seconds(table: FakeHTTPTable) -> None:
    table.answers["/slow"] = (200, b"late")
    table.delay = 1.0

    with pytest.raises(RequestTimeout) as caught:
        request("GET", f"{table.url}/slow", timeout=0.2)

    assert str(caught.value) == f"GET {table.url}/slow timed out after 0.2 s"
    assert caught.value.timeout == 0.2


def test_a_closed_port_is_a_connection_failure_naming_the_url() -> None:
    url = _closed_port_url() + "/things"

    with pytest.raises(ConnectionFailed) as caught:
        request("GET", url, timeout=2)

    assert str(caught.value).startswith(f"GET {url} failed: ")
    assert "refused" in str(caught.value.reason)


def test_a_connection_closed_without_an_answer_is_a_request_error() -> None:
    silent = FakeSilentServer()
    try:
        with pytest.raises(RequestError) as caught:
            request("GET", f"{silent.url}/things", timeout=2)
    finally:
        silent.stop()

    assert not isinstance(caught.value, (HTTPError, RequestTimeout, ConnectionFailed))
    assert caught.value.problem.startswith("failed: ")
    assert f"GET {silent.url}/things" in str(caught.value)


def test_json_bodies_are_decoded() -> None:
    assert decode_json("GET", "http://gw:8080/x", b'[{"name": "figlet"}]') == [{"name": "figlet"}]


def test_a_body_that_is_not_json_is_a_decode_error_naming_the_url() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_json("GET", "http://gw:8080/x", b"<html>login</html>")

    assert str(caught.value) == "GET http://gw:8080/x returned a body that is not JSON"
    assert caught.value.problem == "returned a body that is not JSON"


@pytest.mark.parametrize("error", [HTTPError, RequestTimeout, ConnectionFailed, DecodeError])
def test_every_request_error_is_a_dfaas_error(error: type[Exception]) -> None:
    assert issubclass(error, RequestError)
    assert issubclass(error, DfaasError)


def test_a_client_refuses_a_url_without_scheme_with_its_own_error() -> None:
    with pytest.raises(ExampleError, match="example URL 'gw:8080' must look like http://HOST:PORT"):
        ExampleClient("gw:8080")


def test_a_client_refuses_a_timeout_not_above_0() -> None:
    with pytest.raises(ExampleError, match="example timeout must be above 0 seconds"):
        ExampleClient("http://127.0.0.1:8080", timeout=0)


def test_a_client_sends_with_its_credentials_and_timeout(table: FakeHTTPTable) -> None:
    table.answers["/things"] = (200, b"[]")
    client = ExampleClient(table.url + "/", timeout=5, username="admin", password="pw")

    response = client.request("GET", f"{client.url}/things")

    assert (client.url, response.body) == (table.url, b"[]")
    assert table.requests[0]["authorization"] == "Basic " + base64.b64encode(b"admin:pw").decode()
