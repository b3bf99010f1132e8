"""What every built-in function receives and returns."""

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Invocation:
    """One call of a function: the request as the function sees it."""

    function_name: str
    method: str
    path: str  # the sub-path after /function/<name>, "/" when none
    query: Mapping[str, str]
    body: bytes
    # The request's Content-Type without parameters, lower case; "" when it sent none.
    content_type: str = ""


@dataclass(frozen=True)
class FunctionOutput:
    body: bytes
    content_type: str = TEXT


class FunctionInputError(ValueError):
    """The function cannot work on this request's input (answered with its status_code)."""

    status_code = 400


class UnsupportedMediaTypeError(FunctionInputError):
    """The request declares a content type that the function does not take."""

    status_code = 415


class MethodNotAllowedError(FunctionInputError):
    """The function is called with a method it does not take (it takes POST, say)."""

    status_code = 405


class FunctionUnavailableError(RuntimeError):
    """The node lacks what the function needs right now (a program, its data): 503."""


class BuiltinFunction(Protocol):
    """A function implementation that deployments refer to by image name."""

    @property
    def name(self) -> str: ...

    @property
    def summary(self) -> str: ...

    def unavailable_reason(self) -> str | None:
        """Why this node cannot run the function, or None when it can."""

    async def __call__(self, invocation: Invocation) -> FunctionOutput: ...


def int_parameter(
    invocation: Invocation, name: str, *, default: int, minimum: int, maximum: int
) -> int:
    """An integer taken from the query (?name=N) or else from the body, within bounds."""
    raw = invocation.query.get(name)
    if raw is None:
        raw = invocation.body.decode("utf-8", errors="replace").strip() or None
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FunctionInputError(
            f"{invocation.function_name}: '{name}' must be an integer, got '{raw[:40]}'"
        ) from None
    if not minimum <= value <= maximum:
        raise FunctionInputError(
            f"{invocation.function_name}: '{name}' must be between {minimum} and {maximum},"
            f" got {value}"
        )
    return value


def find_program(name: str) -> str:
    """A built-in's program on PATH, or its Debian path (reported missing later if absent)."""
    return shutil.which(name) or f"/usr/bin/{name}"
