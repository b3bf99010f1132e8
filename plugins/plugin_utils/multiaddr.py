# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libp2p TCP multiaddr of a host, on the controller.

``/ip4/<address>`` for an IPv4 address, ``/ip6/<address>`` for an IPv6 address
(brackets taken off, written in its compressed form), ``/dns/<name>`` for a DNS
name (the agent's libp2p resolves it when it dials), then ``/tcp/<port>`` and,
with a peer ID, ``/p2p/<peer ID>``.

An IPv6 address with a zone (``fe80::1%eth0``) is refused: a link-local address
reaches one link only, and the agent's TCP transport dials no ``/ip6zone/``.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.dfaas.edge.plugins.plugin_utils.peer_id import is_peer_id

_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class MultiaddrError(ValueError):
    """The address, port or peer ID cannot make a libp2p TCP multiaddr."""


def host_part(address: str) -> str:
    """``/ip4/...``, ``/ip6/...`` or ``/dns/...`` for an IP address or a DNS name."""
    text = address.strip()
    if not text:
        raise MultiaddrError("the address is empty")
    bracketed = text.startswith("[") and text.endswith("]")
    if bracketed:
        text = text[1:-1]
    if "%" in text:
        raise MultiaddrError(
            "%r is an IPv6 address with a zone: a link-local address reaches one link only;"
            " give a global or unique-local address" % address
        )
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        ip = None
    if isinstance(ip, ipaddress.IPv4Address) and not bracketed:
        return "/ip4/%s" % ip
    if isinstance(ip, ipaddress.IPv6Address):
        return "/ip6/%s" % ip.compressed
    if bracketed or ":" in text:
        raise MultiaddrError("%r is not an IPv6 address" % address)
    return "/dns/%s" % _dns_name(text, address)


def _dns_name(text: str, address: str) -> str:
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise MultiaddrError("%r is neither an IP address nor a DNS name" % address)
    if labels[-1].isdigit():
        # A name's last label is never all digits: this was meant as an IPv4 address.
        raise MultiaddrError("%r is not an IPv4 address" % address)
    return name


def tcp_port(port: object) -> int:
    """The port as an int from 1 to 65535 (an int or a string of digits)."""
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise MultiaddrError("the port must be a number, got %r" % (port,))
    text = str(port).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise MultiaddrError("the port must be from 1 to 65535, got %r" % (port,))
    return int(text)


def tcp_multiaddr(address: str, port: object, peer_id: str | None = None) -> str:
    """``<host part>/tcp/<port>[/p2p/<peer ID>]``."""
    multiaddr = "%s/tcp/%d" % (host_part(address), tcp_port(port))
    if peer_id is None:
        return multiaddr
    if not isinstance(peer_id, str) or not is_peer_id(peer_id):
        raise MultiaddrError("%r is not a libp2p peer ID" % (peer_id,))
    return "%s/p2p/%s" % (multiaddr, peer_id)
