"""One overlay member as its own process, driven by the overlay tests.

Prints JSON lines on stdout ({"event": "ready" | "members" | "gossip", ...})
and publishes each line it reads on stdin. Exits when stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys

import trio

from dfaas_agent.overlay import BackoffPolicy, Libp2pOverlay, OverlaySettings

MEMBER_POLL_S = 0.2


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def report_members(overlay: Libp2pOverlay) -> None:
    last: frozenset[str] | None = None
    while True:
        members = overlay.members()
        if members != last:
            emit("members", members=sorted(members))
            last = members
        await trio.sleep(MEMBER_POLL_S)


async def report_gossip(overlay: Libp2pOverlay) -> None:
    async for gossip in overlay.subscribe():
        emit("gossip", sender=gossip.sender, payload=gossip.payload.decode(errors="replace"))


async def publish_stdin(overlay: Libp2pOverlay) -> None:
    stdin = trio.wrap_file(sys.stdin)
    async for line in stdin:
        await overlay.publish(line.rstrip("\n").encode())
        emit("published", stats=overlay.stats.as_dict())


async def main(args: argparse.Namespace) -> None:
    settings = OverlaySettings(
        key=bytes.fromhex(args.seed),
        members=frozenset(args.members.split(",")),
        listen=(f"/ip4/127.0.0.1/tcp/{args.port}",),
        bootstrap=tuple(args.bootstrap),
        rendezvous=args.rendezvous,
        discovery_interval_s=0.5,
        backoff=BackoffPolicy(initial_s=0.2, cap_s=1.0),
    )
    overlay = Libp2pOverlay(settings)
    async with overlay.join(), trio.open_nursery() as nursery:
        nursery.start_soon(report_members, overlay)
        nursery.start_soon(report_gossip, overlay)
        emit("ready", peer_id=overlay.peer_id, addresses=overlay.listen_addresses())
        await publish_stdin(overlay)
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", required=True, help="32-byte Ed25519 seed, hex")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--members", required=True, help="comma-separated peer IDs")
    parser.add_argument("--bootstrap", action="append", default=[])
    parser.add_argument("--rendezvous")
    trio.run(main, parser.parse_args())
