# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Client for the OpenFaaS gateway REST API (``/system/functions``).

Works with an OpenFaaS CE gateway and with the project's local function runtime,
which serves the same API. Built on the collection's HTTP layer (``http_client.py``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from ansible_collections.dfaas.edge.plugins.module_utils.errors import DfaasError
from ansible_collections.dfaas.edge.plugins.module_utils.http_client import (
    DecodeError,
    HTTPClient,
    HTTPError,
    RequestError,
    decode_json,
)


class GatewayError(DfaasError):
    """A gateway call failed: the message names the method, the URL and what went wrong."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GatewayClient(HTTPClient):
    """Calls on one gateway (``url`` is its base URL, e.g. ``http://127.0.0.1:8080``)."""

    service = "gateway"
    error = GatewayError

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        validate_certs: bool = True,
    ) -> None:
        super().__init__(
            url,
            timeout=timeout,
            validate_certs=validate_certs,
            username=username,
            password=password,
        )

    def _call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        namespace: str | None = None,
    ) -> Any:
        endpoint = self.url + path
        if namespace:
            endpoint += "?" + urlencode({"namespace": namespace})
        headers = {"Accept": "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        try:
            body = self.request(method, endpoint, data=data, headers=headers).body
        except HTTPError as exc:
            raise GatewayError(str(exc), status=exc.status) from exc
        except RequestError as exc:
            raise GatewayError(str(exc)) from exc
        if not body or not body.strip():
            return None
        try:
            return decode_json(method, endpoint, body)
        except DecodeError as exc:
            # Writes answer with plain text on some gateways; only reads need JSON.
            if method == "GET":
                raise GatewayError(str(exc)) from None
            return None

    def list_functions(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """``GET /system/functions``: the deployed functions with their labels."""
        functions = self._call("GET", "/system/functions", namespace=namespace)
        if not isinstance(functions, list):
            raise GatewayError(f"GET {self.url}/system/functions did not return a list")
        return functions

    def get_function(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """``GET /system/function/NAME``; ``None`` when the function does not exist."""
        try:
            found = self._call(
                "GET", "/system/function/" + quote(name, safe=""), namespace=namespace
            )
        except GatewayError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(found, dict):
            raise GatewayError(f"GET {self.url}/system/function/{name} did not return an object")
        return found

    def deploy(self, deployment: dict[str, Any]) -> None:
        """``POST /system/functions``: create a function."""
        self._call("POST", "/system/functions", deployment)

    def update(self, deployment: dict[str, Any]) -> None:
        """``PUT /system/functions``: replace a function's deployment."""
        self._call("PUT", "/system/functions", deployment)

    def delete(self, name: str, namespace: str | None = None) -> None:
        """``DELETE /system/functions``: remove a function."""
        self._call("DELETE", "/system/functions", {"functionName": name}, namespace=namespace)
