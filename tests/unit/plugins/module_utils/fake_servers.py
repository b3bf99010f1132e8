# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fakes at the network edge for unit tests: a Prometheus HTTP API, an OpenFaaS gateway
and an HAProxy runtime socket, each answering from memory on loopback or a unix socket.

The real services are exercised by tests/integration; these let unit tests reach error
paths (timeouts, HTTP errors, odd shapes) that the real ones will not produce on demand.
"""

from __future__ import annotations

import base64
import json
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest


class _Handler(BaseHTTPRequestHandler):
    server: _FakeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = {
            "method": self.command,
            "path": split.path,
            "query": {k: v[0] for k, v in parse_qs(split.query).items()},
            "body": body,
            "authorization": self.headers.get("Authorization"),
        }
        self.server.requests.append(request)
        status, payload = self.server.fake.answer(request)
        if self.server.fake.delay:
            time.sleep(self.server.fake.delay)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class _FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeHTTPService
    requests: list[dict[str, Any]]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests) closes the connection under the answer.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


_Service = TypeVar("_Service", bound="FakeHTTPService")


class FakeHTTPService:
    """Base of the HTTP fakes: runs on 127.0.0.1:<free port> until ``stop``."""

    delay = 0.0

    def __init__(self) -> None:
        self._server = _FakeHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._server.requests = []
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._server.requests

    def start(self: _Service) -> _Service:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, request: dict[str, Any]) -> tuple[int, Any]:
        raise NotImplementedError


def vector(*series: tuple[dict[str, str], str]) -> dict[str, Any]:
    """A successful vector response, as Prometheus writes it."""
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": m, "value": [1700000000.5, v]} for m, v in series],
        },
    }


class FakePrometheus(FakeHTTPService):
    """Answers ``/api/v1/query`` from ``answers`` (PromQL -> (status, document)).

    A query without an answer gets an empty vector, like a series nobody scrapes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, tuple[int, Any]] = {}

    def answer(self, request: dict[str, Any]) -> tuple[int, Any]:
        if request["path"] != "/api/v1/query":
            return 404, b"404 page not found"
        form = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
        request["form"] = form
        return self.answers.get(form.get("query", ""), (200, vector()))

    def queries(self) -> list[str]:
        return [r["form"]["query"] for r in self.requests if "form" in r]


class FakeOpenFaaSGateway(FakeHTTPService):
    """The ``/system/functions`` API of an OpenFaaS gateway, over an in-memory function table.

    Like the real gateway it adds its own labels (``faas_function``, ``uid``) and
    annotations, answers 404 for an unknown function and checks basic auth when given.
    """

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.functions: dict[str, dict[str, Any]] = {}
        self._auth = None
        if username is not None:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self._auth = f"Basic {token}"

    def add(self, deployment: dict[str, Any]) -> None:
        name = deployment["service"]
        self.functions[name] = {
            "name": name,
            "image": deployment.get("image"),
            "namespace": deployment.get("namespace") or "openfaas-fn",
            "envProcess": deployment.get("envProcess", ""),
            "envVars": dict(deployment.get("envVars") or {}),
            "labels": {**(deployment.get("labels") or {}), "faas_function": name, "uid": "42"},
            "annotations": {
                **(deployment.get("annotations") or {}),
                "prometheus.io.scrape": "false",
            },
            "replicas": 1,
        }

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] != "GET"]

    def answer(self, request: dict[str, Any]) -> tuple[int, Any]:
        if self._auth is not None and request["authorization"] != self._auth:
            return 401, b"Unauthorized"
        method, path = request["method"], request["path"]
        if path == "/system/functions" and method == "GET":
            return 200, list(self.functions.values())
        if path.startswith("/system/function/") and method == "GET":
            found = self.functions.get(path.rsplit("/", 1)[1])
            return (200, found) if found else (404, b"function not found")
        if path != "/system/functions":
            return 404, b"not found"
        body = json.loads(request["body"] or b"{}")
        if method == "DELETE":
            if self.functions.pop(body.get("functionName", ""), None) is None:
                return 404, b"function not found"
            return 202, b""
        if not body.get("service") or not body.get("image"):
            return 400, b"service and image are required"
        exists = body["service"] in self.functions
        if method == "POST" and exists:
            return 400, b"function already exists"
        if method == "PUT" and not exists:
            return 404, b"function not found"
        self.add(body)
        return 202, b""


class FakeHAProxyRuntimeSocket:
    """An HAProxy runtime API on a unix socket, over an in-memory table of servers.

    Understands the commands the client sends (``show stat``, ``get weight``, ``set
    weight``, ``set server ... state``) and answers like HAProxy 2.6 does, refusals included.
    """

    def __init__(self, path: Path, servers: dict[str, dict[str, Any]]) -> None:
        self.path = str(path)
        # "backend/server" -> {"weight": int, "initial": int, "state": ready|drain|maint}
        self.servers = servers
        self.commands: list[str] = []
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                command = self.rfile.readline().decode().strip()
                fake.commands.append(command)
                self.wfile.write((fake.reply(command) + "\n").encode())

        self._server = socketserver.ThreadingUnixStreamServer(self.path, Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> FakeHAProxyRuntimeSocket:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def writes(self) -> list[str]:
        return [c for c in self.commands if c.startswith("set ")]

    def reply(self, command: str) -> str:
        words = command.split()
        if words[:2] == ["show", "stat"]:
            return self._show_stat(words[2] if len(words) > 2 else None)
        if words[:2] == ["get", "weight"] and len(words) == 3:
            server = self.servers.get(words[2])
            return (
                f"{server['weight']} (initial {server['initial']})\n"
                if server
                else "No such server.\n"
            )
        if words[:2] == ["set", "weight"] and len(words) == 4:
            server = self.servers.get(words[2])
            if server is None:
                return "No such server.\n"
            weight = int(words[3])
            if not 0 <= weight <= 256:
                return "Absolute weight can only be between 0 and 256 inclusive.\n"
            server["weight"] = weight
            return ""
        if words[:2] == ["set", "server"] and len(words) == 5 and words[3] == "state":
            server = self.servers.get(words[2])
            if server is None:
                return "No such server.\n"
            server["state"] = words[4]
            return ""
        return "Unknown command.\n"

    def _show_stat(self, proxy: str | None) -> str:
        status = {"ready": "UP", "drain": "DRAIN", "maint": "MAINT"}
        lines = ["# pxname,svname,status,weight,"]
        for key, server in self.servers.items():
            backend, name = key.split("/")
            if proxy in (None, backend):
                lines.append(f"{backend},{name},{status[server['state']]},{server['weight']},")
        if proxy is not None and len(lines) == 1:
            return "No such proxy.\n"
        return "\n".join(lines) + "\n\n"


# Fixtures, imported by the conftest of each unit-test folder.


@pytest.fixture
def fake_prometheus() -> Iterator[FakePrometheus]:
    fake = FakePrometheus().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_gateway() -> Iterator[FakeOpenFaaSGateway]:
    fake = FakeOpenFaaSGateway().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_haproxy(tmp_path: Path) -> Iterator[FakeHAProxyRuntimeSocket]:
    servers = {
        "be_figlet/local": {"weight": 100, "initial": 100, "state": "ready"},
        "be_figlet/node_b": {"weight": 0, "initial": 0, "state": "ready"},
    }
    fake = FakeHAProxyRuntimeSocket(tmp_path / "admin.sock", servers).start()
    yield fake
    fake.stop()
