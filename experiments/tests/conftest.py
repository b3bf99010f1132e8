"""A real HTTP server on loopback that stands in for a node's public port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class NodeBehaviour:
    """How the loopback node answers: its name, a delay, and a status."""

    name: str = "node1"
    delay_s: float = 0.0
    status: int = 200
    served_by: str = ""
    """When set, answer as if this other node ran the request (forwarded)."""
    trickle_s: float = 0.0
    """When set, send the body one byte every 0.2 s for this long (each read is quick,
    the whole answer is not)."""


class _Handler(BaseHTTPRequestHandler):
    server: _NodeServer

    def do_POST(self) -> None:
        behaviour = self.server.behaviour
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.server.count_request()
        if behaviour.delay_s:
            time.sleep(behaviour.delay_s)
        body = b"ok\n"
        if behaviour.trickle_s:
            body = b"x" * int(behaviour.trickle_s / 0.2)
        self.send_response(behaviour.status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Server", behaviour.served_by or behaviour.name)
        self.send_header("DFaaS-Node-ID", f"id-{behaviour.served_by or behaviour.name}")
        self.end_headers()
        if not behaviour.trickle_s:
            self.wfile.write(body)
            return
        for byte in body:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client gave up: that is what the test wants
                return
            time.sleep(0.2)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read the CSV, not the access log."""


class _NodeServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, behaviour: NodeBehaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self._lock = threading.Lock()
        self.requests = 0

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1


@dataclass
class LoopbackNode:
    server: _NodeServer

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def behaviour(self) -> NodeBehaviour:
        return self.server.behaviour

    @property
    def requests(self) -> int:
        return self.server.requests


@pytest.fixture
def loopback_node() -> Iterator[LoopbackNode]:
    server = _NodeServer(NodeBehaviour())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield LoopbackNode(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
