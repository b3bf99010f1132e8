# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The DFaaS agent's HTTP API, for modules (run on the target node).
    DOCUMENTATION = r"""
options:
  agent_url:
    description:
      - Base URL of the DFaaS agent's HTTP API (its C(http_listen)), for example
        V(http://127.0.0.1:8080).
      - Taken from the E(DFAAS_AGENT_URL) environment variable when not set.
    type: str
    default: http://127.0.0.1:8080
  agent_timeout:
    description:
      - Seconds to wait for each call to the agent API.
    type: float
    default: 10
  validate_certs:
    description:
      - Verify the TLS certificate when O(agent_url) is HTTPS.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authority that signed the agent API's certificate,
        when it is not in the system trust store.
    type: path
"""

    # The same group for lookups (run on the controller), with env/ini/vars sources.
    LOOKUP = r"""
options:
  url:
    description:
      - Base URL of the DFaaS agent's HTTP API, used when no term is given.
    type: str
    default: http://127.0.0.1:8080
    env:
      - name: DFAAS_AGENT_URL
    ini:
      - section: dfaas
        key: agent_url
    vars:
      - name: dfaas_agent_url
  timeout:
    description:
      - Seconds to wait for each call to the agent API.
    type: float
    default: 10
    env:
      - name: DFAAS_AGENT_TIMEOUT
    ini:
      - section: dfaas
        key: agent_timeout
  validate_certs:
    description:
      - Verify the TLS certificate of an HTTPS agent API.
    type: bool
    default: true
    env:
      - name: DFAAS_VALIDATE_CERTS
    ini:
      - section: dfaas
        key: validate_certs
  ca_path:
    description:
      - PEM file of the certificate authority that signed the agent API's certificate.
    type: path
    env:
      - name: DFAAS_AGENT_CA_PATH
    ini:
      - section: dfaas
        key: agent_ca_path
"""
