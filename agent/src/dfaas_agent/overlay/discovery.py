"""Kademlia rendezvous: advertise ourselves and find the other members."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import NoReturn

import trio
from libp2p.kad_dht.kad_dht import KadDHT

from .redial import Sleep

log = logging.getLogger(__name__)

_SHA2_256_MULTIHASH_PREFIX = bytes([0x12, 0x20])


def rendezvous_key(rendezvous: str) -> str:
    """The DHT key go-libp2p's routing discovery advertises a namespace under
    (sha2-256 multihash of the string), hex-encoded as libp2p's KadDHT takes it."""
    digest = hashlib.sha256(rendezvous.encode()).digest()
    return (_SHA2_256_MULTIHASH_PREFIX + digest).hex()


async def discover_forever(
    dht: KadDHT,
    rendezvous: str,
    interval_s: float,
    on_found: Callable[[str, tuple[str, ...]], None],
    *,
    sleep: Sleep = trio.sleep,
) -> NoReturn:
    """Every ``interval_s``: (re)advertise, then report each provider found as
    (peer ID, addresses). A failed round is logged and retried next round."""
    key = rendezvous_key(rendezvous)
    while True:
        try:
            await dht.provide(key)
            for provider in await dht.find_providers(key):
                addresses = tuple(str(address) for address in provider.addrs)
                on_found(provider.peer_id.to_base58(), addresses)
        except Exception as error:  # the DHT is best effort; bootstrap peers still work
            log.warning("rendezvous round for %r failed: %s", rendezvous, error)
        await sleep(interval_s)
