"""Ask the policy endpoint (strategy `external`) how to split this period's requests.

`POST <url>` with the request of `dfaas_agent.policy.schema`; the answer is checked
against that request. Every call is bounded by `timeout_s` as a whole (connect, send,
wait, read), so a slow endpoint costs the period at most that. Anything but a usable
answer raises `PolicyUnavailable` with its reason: the agent then plans this period
with its fallback strategy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import trio

from dfaas_agent.model import FunctionShares
from dfaas_agent.policy.schema import FallbackReason, PolicyUnavailable, parse_answer

MAX_ANSWER_BYTES = 1024 * 1024
"""A larger answer is no answer (a federation of a thousand members is ~100 KiB)."""


class PolicyClient:
    """Async client of one policy endpoint."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def shares(self, request: Mapping[str, Any]) -> dict[str, FunctionShares]:
        """The checked shares for `request`; PolicyUnavailable when there are none."""
        with trio.move_on_after(self.timeout_s) as scope:
            body = await self._post(request)
        if scope.cancelled_caught:
            raise PolicyUnavailable(
                FallbackReason.TIMEOUT, f"{self.url}: no answer within {self.timeout_s:g} s"
            )
        return parse_answer(body, request)

    async def _post(self, request: Mapping[str, Any]) -> Any:
        try:
            response = await self._client.post(self.url, json=request)
        except httpx.TimeoutException:
            raise PolicyUnavailable(
                FallbackReason.TIMEOUT, f"{self.url}: no answer within {self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise PolicyUnavailable(
                FallbackReason.UNREACHABLE, f"{self.url}: {type(error).__name__}: {error}"
            ) from None
        if response.status_code != httpx.codes.OK:
            raise PolicyUnavailable(
                FallbackReason.HTTP_STATUS,
                f"{self.url}: HTTP {response.status_code} {response.reason_phrase}",
            )
        if len(response.content) > MAX_ANSWER_BYTES:
            raise PolicyUnavailable(
                FallbackReason.BAD_SHAPE,
                f"{self.url}: answer of {len(response.content)} bytes exceeds {MAX_ANSWER_BYTES}",
            )
        try:
            return json.loads(response.content)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise PolicyUnavailable(
                FallbackReason.NOT_JSON, f"{self.url}: answer is not JSON: {error}"
            ) from None
