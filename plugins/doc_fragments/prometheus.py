# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection to a Prometheus server, for modules (run on the target node).
    DOCUMENTATION = r"""
options:
  prometheus_url:
    description:
      - Base URL of the Prometheus server, for example V(http://127.0.0.1:9090).
      - Taken from the E(DFAAS_PROMETHEUS_URL) environment variable when not set.
    type: str
    default: http://127.0.0.1:9090
  prometheus_timeout:
    description:
      - Seconds to wait for each Prometheus query.
    type: float
    default: 10
  prometheus_username:
    description:
      - User name for HTTP basic authentication in front of Prometheus.
    type: str
  prometheus_password:
    description:
      - Password for HTTP basic authentication in front of Prometheus.
    type: str
  validate_certs:
    description:
      - Verify TLS certificates of HTTPS endpoints.
    type: bool
    default: true
"""

    # The same group for lookups (run on the controller), with env/ini/vars sources.
    LOOKUP = r"""
options:
  url:
    description:
      - Base URL of the Prometheus server, for example V(http://127.0.0.1:9090).
    type: str
    default: http://127.0.0.1:9090
    env:
      - name: DFAAS_PROMETHEUS_URL
    ini:
      - section: dfaas
        key: prometheus_url
    vars:
      - name: dfaas_prometheus_url
  timeout:
    description:
      - Seconds to wait for each Prometheus query.
    type: float
    default: 10
    env:
      - name: DFAAS_PROMETHEUS_TIMEOUT
    ini:
      - section: dfaas
        key: prometheus_timeout
  username:
    description:
      - User name for HTTP basic authentication in front of Prometheus.
    type: str
    env:
      - name: DFAAS_PROMETHEUS_USERNAME
    ini:
      - section: dfaas
        key: prometheus_username
  password:
    description:
      - Password for HTTP basic authentication in front of Prometheus.
    type: str
    env:
      - name: DFAAS_PROMETHEUS_PASSWORD
    ini:
      - section: dfaas
        key: prometheus_password
  validate_certs:
    description:
      - Verify TLS certificates of HTTPS endpoints.
    type: bool
    default: true
    env:
      - name: DFAAS_VALIDATE_CERTS
    ini:
      - section: dfaas
        key: validate_certs
"""
