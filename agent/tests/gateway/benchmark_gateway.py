"""Throughput and latency of one function of a running gateway (prints figures, asserts nothing).

    python tests/gateway/benchmark_gateway.py http://127.0.0.1:8080 figlet --requests 500

Bounded: a fixed number of requests, a fixed concurrency, a per-request timeout.
"""

import argparse
import statistics
import time

import httpx
import trio


async def _worker(
    client: httpx.AsyncClient, path: str, body: bytes, remaining: list[int], results: list[float]
) -> None:
    while remaining[0] > 0:
        remaining[0] -= 1
        started = time.perf_counter()
        response = await client.post(path, content=body)
        results.append(time.perf_counter() - started if response.status_code == 200 else -1.0)


async def _run(url: str, function: str, requests: int, concurrency: int, body: bytes) -> None:
    results: list[float] = []
    remaining = [requests]
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        started = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for _ in range(concurrency):
                nursery.start_soon(
                    _worker, client, f"/function/{function}", body, remaining, results
                )
        elapsed = time.perf_counter() - started
    ok = sorted(value for value in results if value >= 0)
    print(f"{function}: {len(results)} requests, {len(ok)} ok, concurrency {concurrency}")
    print(f"  throughput {len(results) / elapsed:.0f} req/s over {elapsed:.2f} s")
    if ok:
        p99 = ok[min(len(ok) - 1, int(len(ok) * 0.99))]
        print(f"  latency p50 {statistics.median(ok) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("function")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--body", default="Hello DFaaS")
    arguments = parser.parse_args()
    trio.run(
        _run,
        arguments.url,
        arguments.function,
        min(arguments.requests, 100_000),
        arguments.concurrency,
        arguments.body.encode(),
    )


if __name__ == "__main__":
    main()
