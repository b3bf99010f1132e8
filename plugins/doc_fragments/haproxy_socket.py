# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The HAProxy runtime API socket, as modules address it on the target node.
    DOCUMENTATION = r"""
options:
  socket:
    description:
      - The HAProxy runtime API (stats socket) with C(level admin).
      - A unix socket path (V(/run/haproxy/admin.sock), also written V(unix:///run/haproxy/admin.sock))
        or a TCP address V(HOST:PORT) (also V(tcp://HOST:PORT) or V(ipv4@HOST:PORT)).
      - Taken from the E(DFAAS_HAPROXY_SOCKET) environment variable when not set.
    type: str
    default: /run/haproxy/admin.sock
  socket_timeout:
    description:
      - Seconds to wait for HAProxy to answer each command.
    type: float
    default: 5
"""
