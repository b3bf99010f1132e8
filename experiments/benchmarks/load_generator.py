"""How much load the generator can offer on this machine: prints send lag per rate.

    cd experiments && ../.venv/bin/python benchmarks/load_generator.py [RATE ...]

A small HTTP server answers on loopback in a separate process (so that it does
not share the generator's interpreter); for each rate the generator runs 5 s
open-loop and the script prints what was sent, served, dropped, and how late
requests left against their schedule. When the p99 send lag grows towards the
request spacing, the offered load is lower than planned.
"""

from __future__ import annotations

import multiprocessing
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dfaas_experiments.analysis import summarise
from dfaas_experiments.load import Limits, Stream, run_load
from dfaas_experiments.schedule import Constant

DURATION_S = 5.0


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.send_header("X-Server", "bench")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def _serve(port_out: Connection) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    port_out.send(server.server_address[1])
    server.serve_forever()


def main(rates: list[float]) -> None:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_serve, args=(sender,), daemon=True)
    server.start()
    try:
        if not receiver.poll(10):
            raise SystemExit("the loopback server did not start within 10 s")
        url = f"http://127.0.0.1:{receiver.recv()}"
        columns = ("rate", "sent", "served", "dropped", "lag p50 ms", "lag p99 ms")
        widths = (6, 6, 6, 7, 10, 10)
        print(" ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
        for rate in rates:
            stream = Stream("bench", url, "figlet", [Constant(rate=rate, duration_s=DURATION_S)])
            records = trio.run(run_load, [stream], Limits(max_in_flight=500, timeout_s=5))
            summary = summarise("bench", records)
            lag = summary.send_lag
            print(
                f"{rate:6g} {summary.overall.sent:6d} {summary.overall.served:6d} "
                f"{summary.overall.dropped:7d} {lag.p50 or 0:10.1f} {lag.p99 or 0:10.1f}"
            )
    finally:
        server.terminate()
        server.join(timeout=10)


if __name__ == "__main__":
    main([float(arg) for arg in sys.argv[1:]] or [100, 300, 600, 1000])
