# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The OpenFaaS gateway endpoint (or the local function runtime, same API).
    DOCUMENTATION = r"""
options:
  gateway_url:
    description:
      - Base URL of the OpenFaaS gateway, for example V(http://127.0.0.1:8080).
      - The project's local function runtime serves the same API and works here too.
      - Taken from the E(DFAAS_GATEWAY_URL) environment variable when not set.
    type: str
  gateway_username:
    description:
      - User name for the gateway's basic authentication (OpenFaaS uses V(admin)).
      - Taken from the E(DFAAS_GATEWAY_USERNAME) environment variable when not set.
    type: str
  gateway_password:
    description:
      - Password for the gateway's basic authentication.
      - Taken from the E(DFAAS_GATEWAY_PASSWORD) environment variable when not set.
    type: str
  gateway_timeout:
    description:
      - Seconds to wait for each gateway call.
    type: float
    default: 10
  validate_certs:
    description:
      - Verify TLS certificates of HTTPS endpoints.
    type: bool
    default: true
"""
