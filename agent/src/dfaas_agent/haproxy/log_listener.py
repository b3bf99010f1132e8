"""Receive HAProxy's per-request log datagrams on a UDP port of 127.0.0.1, on trio.

One job: bind, then hand every datagram to a callback, one at a time, until cancelled.
Nothing is queued here: a datagram waits in the kernel's socket buffer (bounded) until
it is read, and one that arrives while that buffer is full is lost, never the agent's
memory. Each receive is a trio checkpoint, so a stream of datagrams never starves the
control loop; the callback must be quick and never raise for bad input (it counts it).
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from typing import Any

import trio

from dfaas_agent.haproxy.latency_log import MAX_DATAGRAM_BYTES

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
"""The only address: HAProxy runs on the same node, and nobody else may write here."""


async def serve_log_datagrams(
    port: int,
    handle: Callable[[bytes], None],
    *,
    # trio.TaskStatus[tuple[str, int]]; Any for the reason `api.server.serve` gives.
    task_status: Any = trio.TASK_STATUS_IGNORED,
) -> None:
    """Read datagrams sent to 127.0.0.1:`port`/udp and call `handle` on each.

    `task_status.started()` receives the bound (address, port). A port that cannot be
    bound raises `OSError` naming it.
    """
    with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        try:
            await receiver.bind((LOOPBACK, port))
        except OSError as error:
            raise OSError(
                error.errno,
                f"HAProxy latency log on {LOOPBACK}:{port}/udp: {error.strerror}",
            ) from None
        address = receiver.getsockname()
        log.info("reading HAProxy's request log on %s:%d/udp", *address)
        task_status.started(address)
        while True:
            try:
                datagram = await receiver.recv(MAX_DATAGRAM_BYTES)
            except OSError as error:
                # ICMP errors reported on an unconnected UDP socket say nothing about us.
                if error.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
                    continue
                raise
            handle(datagram)
