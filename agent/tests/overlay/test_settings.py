"""Overlay settings: bad values fail at start with a message naming the setting."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dfaas_agent.overlay import DEFAULT_LISTEN, DEFAULT_TOPIC, OverlaySettings, peer_id_of
from dfaas_agent.overlay.discovery import rendezvous_key
from dfaas_agent.overlay.keys import is_peer_id
from dfaas_agent.overlay.settings import ip_addresses_in

from .live import peer, seed

MEMBER = peer(2)
MEMBER_ADDRESS = f"/ip4/10.0.0.2/tcp/31600/p2p/{MEMBER}"


def settings(**overrides: Any) -> OverlaySettings:
    fields: dict[str, Any] = {"key": seed(1), "members": frozenset({MEMBER})} | overrides
    return OverlaySettings(**fields)


def test_defaults_match_the_upstream_agent() -> None:
    assert settings().listen == (DEFAULT_LISTEN,) == ("/ip4/0.0.0.0/tcp/31600",)
    assert settings().topic == DEFAULT_TOPIC == "/dfaasagent/1.0.0"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"listen": ("not-a-multiaddr",)}, "listen"),
        ({"listen": ()}, "listen"),
        ({"bootstrap": ("/ip4/10.0.0.2/tcp/31600",)}, "/p2p/"),
        ({"bootstrap": (f"/ip4/10.0.0.3/tcp/31600/p2p/{peer(3)}",)}, "bootstrap"),
        ({"members": frozenset({"not-a-peer-id"})}, "members"),
        ({"topic": ""}, "topic"),
        ({"rendezvous": ""}, "rendezvous"),
        ({"max_payload_bytes": 0}, "max_payload_bytes"),
        ({"discovery_interval_s": 0}, "discovery_interval_s"),
        ({"dial_timeout_s": -1}, "dial_timeout_s"),
    ],
)
def test_invalid_setting_is_rejected_naming_it(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        settings(**overrides)


def test_bootstrap_address_of_a_member_is_accepted() -> None:
    assert settings(bootstrap=(MEMBER_ADDRESS,)).bootstrap == (MEMBER_ADDRESS,)


def test_cryptography_key_and_its_raw_seed_give_the_same_peer_id() -> None:
    key = Ed25519PrivateKey.generate()

    assert peer_id_of(key) == peer_id_of(key.private_bytes_raw())
    assert peer_id_of(key).startswith("12D3KooW")


def test_seed_of_the_wrong_length_is_rejected_with_its_length() -> None:
    with pytest.raises(ValueError, match="31 bytes"):
        peer_id_of(b"\x01" * 31)


@pytest.mark.parametrize(("text", "valid"), [(peer(1), True), ("", False), ("Qm", False)])
def test_peer_id_check(text: str, valid: bool) -> None:
    assert is_peer_id(text) is valid


def test_rendezvous_key_is_the_sha256_multihash_go_libp2p_advertises() -> None:
    # sha256("dfaas") in a multihash: code 0x12, length 0x20, digest.
    assert rendezvous_key("dfaas") == (
        "1220" + "89ec2204041600037af99d4612f79c11fddd8067dc97372fdc554def10135b3c"
    )


def test_the_ip_addresses_of_members_multiaddrs_leave_dns_names_out() -> None:
    addresses = [
        MEMBER_ADDRESS,
        f"/ip6/2001:db8::2/tcp/31600/p2p/{MEMBER}",
        f"/dns4/node-3.example/tcp/31600/p2p/{MEMBER}",
    ]
    assert ip_addresses_in(addresses) == {"10.0.0.2", "2001:db8::2"}
