"""Benchmark (not a test): how fast N loopback overlays form a mesh and gossip.

    ../.venv/bin/python tests/overlay/bench_overlay.py --members 5 --messages 20

Prints the time until every member sees all others (one bootstrap peer plus
Kademlia discovery) and publish-to-delivery latencies. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import trio

from dfaas_agent.overlay import BackoffPolicy, Gossip, Libp2pOverlay, OverlaySettings, peer_id_of

DEADLINE_S = 60.0


def build(count: int) -> list[Libp2pOverlay]:
    seeds = [bytes([n + 1]) * 32 for n in range(count)]
    members = frozenset(peer_id_of(s) for s in seeds)
    return [
        Libp2pOverlay(
            OverlaySettings(
                key=s,
                members=members,
                listen=("/ip4/127.0.0.1/tcp/0",),
                rendezvous="dfaas-bench",
                discovery_interval_s=0.5,
                backoff=BackoffPolicy(initial_s=0.2, cap_s=1.0),
            )
        )
        for s in seeds
    ]


async def bench(count: int, messages: int) -> None:
    overlays = build(count)
    latencies: list[float] = []
    sent_at: dict[bytes, float] = {}

    async def measure(overlay: Libp2pOverlay) -> None:
        gossip: Gossip
        async for gossip in overlay.subscribe():
            if gossip.payload in sent_at:
                latencies.append(time.perf_counter() - sent_at[gossip.payload])

    with trio.fail_after(DEADLINE_S):
        async with trio.open_nursery() as nursery:
            started = time.perf_counter()
            first = overlays[0]
            await nursery.start(run_member, first)
            for overlay in overlays[1:]:
                await nursery.start(run_member, overlay)
                await overlay.dial(first.listen_addresses()[0])
            for overlay in overlays:
                nursery.start_soon(measure, overlay)
            while any(len(o.members()) < count - 1 for o in overlays):  # noqa: ASYNC110
                await trio.sleep(0.05)
            print(f"members={count} full mesh after {time.perf_counter() - started:.2f}s")
            await trio.sleep(2.0)  # the GossipSub mesh grafts on its 1 s heartbeat
            for number in range(messages):
                payload = f"bench {number}".encode()
                sent_at[payload] = time.perf_counter()
                await overlays[number % count].publish(payload)
                await trio.sleep(0.1)
            await trio.sleep(1.0)
            nursery.cancel_scope.cancel()
    expected = messages * (count - 1)
    print(f"delivered {len(latencies)}/{expected} messages")
    if latencies:
        ms = sorted(1000 * x for x in latencies)
        print(
            f"latency ms: median {statistics.median(ms):.1f}, "
            f"p95 {ms[int(0.95 * (len(ms) - 1))]:.1f}, max {ms[-1]:.1f}"
        )


async def run_member(
    overlay: Libp2pOverlay, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    async with overlay.join():
        task_status.started()
        await trio.sleep_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=3, choices=range(2, 11))
    parser.add_argument("--messages", type=int, default=20, choices=range(1, 201))
    args = parser.parse_args()
    trio.run(bench, args.members, args.messages)
