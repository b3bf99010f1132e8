"""Gossip messages of the federation topic, wire-compatible with the Go prototype.

Every message is one JSON object whose field names are the prototype's Go field
names (`MsgType`, `HAProxyHost`, ...), so Python and Go agents can share a topic.
Our agents may add optional fields (`Functions` on `nodeinfoRecalc`,
`SpareRate` on `nodemargininfoNMS`); Go agents ignore them and we accept
messages without them. Unknown fields are ignored for the same reason.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

MAX_MESSAGE_BYTES = 1024 * 1024
"""Larger payloads are refused before parsing (a Go agent's are a few KiB)."""

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class MalformedMessage(ValueError):
    """A payload that is not a valid federation message; the text says why."""


def _none_as_empty_dict(value: Any) -> Any:
    # Go encodes a nil map as null.
    return {} if value is None else value


def _none_as_empty_list(value: Any) -> Any:
    # Go encodes a nil slice as null.
    return [] if value is None else value


Rate = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""Requests per second: finite and never negative."""
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
FunctionName = Annotated[str, Field(min_length=1, max_length=253)]
PeerIdText = Annotated[str, Field(min_length=1, max_length=128)]
Port = Annotated[int, Field(ge=1, le=65535)]
FunctionList = Annotated[list[FunctionName], BeforeValidator(_none_as_empty_list)]
FunctionRates = Annotated[dict[FunctionName, Rate], BeforeValidator(_none_as_empty_dict)]


def _validate_host(value: str) -> str:
    # The host ends up in HAProxy's configuration: accept only an IP or a DNS name.
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not _HOSTNAME.match(value):
        raise ValueError(f"not an IP address or host name: {value[:80]!r}")
    return value


def _go(name: str, **kwargs: Any) -> Any:
    """A field that is called `name` on the wire (the Go field name)."""
    return Field(validation_alias=name, serialization_alias=name, **kwargs)


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, strict=True)


class _HostPort(_Message):
    host: str = _go("HAProxyHost")
    port: Port = _go("HAProxyPort")

    @field_validator("host")
    @classmethod
    def _host_is_address(cls, value: str) -> str:
        return _validate_host(value)


class TextMessage(_Message):
    """Free text, for debugging only."""

    msg_type: Literal["text"] = _go("MsgType", default="text")
    text: str = _go("Text")


class NodeInfoRecalc(_HostPort):
    """Recalc: what the sender accepts from each recipient, per function (req/s)."""

    msg_type: Literal["nodeinfoRecalc"] = _go("MsgType", default="nodeinfoRecalc")
    func_limits: Annotated[
        dict[PeerIdText, FunctionRates], BeforeValidator(_none_as_empty_dict)
    ] = _go("FuncLimits")
    functions: FunctionList | None = _go("Functions", default=None)
    """Our extension: every function the sender hosts."""


class MaxValues(_Message):
    """Node margin thresholds: CPU percent (100 = one core), RAM bytes, power µW."""

    cpu_usage_node: Amount
    ram_usage_node: Amount
    power_usage_node: Amount


class NodeInfoNMS(_HostPort):
    """Node margin: the sender's address, type, thresholds and functions."""

    msg_type: Literal["nodeinfoNMS"] = _go("MsgType", default="nodeinfoNMS")
    node_type: Annotated[int, Field(ge=0)] = _go("NodeType")
    max_values: MaxValues = _go("MaxValues")
    functions: FunctionList = _go("Functions")


class Load(_Message):
    """Client request rates of the sender summed per usage group (req/s)."""

    rate_high_usage: Rate = _go("RateHighUsage")
    rate_low_usage: Rate = _go("RateLowUsage")
    rate_medium_usage: Rate = _go("RateMediumUsage")


class NodeMarginInfoNMS(_Message):
    """Node margin: the utilisation margin the sender offers each neighbour."""

    msg_type: Literal["nodemargininfoNMS"] = _go("MsgType", default="nodemargininfoNMS")
    margin: Amount = _go("Margin")
    load: Load = _go("Load")
    spare_rate: Rate | None = _go("SpareRate", default=None)
    """Our extension: req/s the sender offers each neighbour in need (0: none to offer)."""


class NodeInfoStatic(_HostPort):
    """Static: the sender's address and functions."""

    msg_type: Literal["nodeinfoStatic"] = _go("MsgType", default="nodeinfoStatic")
    functions: FunctionList = _go("Functions")


Message = Annotated[
    TextMessage | NodeInfoRecalc | NodeInfoNMS | NodeMarginInfoNMS | NodeInfoStatic,
    Field(discriminator="msg_type"),
]

_MESSAGE: TypeAdapter[Message] = TypeAdapter(Message)
MESSAGE_TYPES = ("text", "nodeinfoRecalc", "nodeinfoNMS", "nodemargininfoNMS", "nodeinfoStatic")


def _refuse_constant(name: str) -> float:
    raise MalformedMessage(f"JSON constant {name} is not allowed")


def _reason(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "union_tag_invalid":
        message = f"unknown MsgType; expected one of {', '.join(MESSAGE_TYPES)}"
    elif first["type"] == "union_tag_not_found":
        return "missing MsgType"
    return f"{where}: {message}" if where else message


def decode(data: bytes) -> Message:
    """Parse one gossip payload; `MalformedMessage` says what is wrong with it."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise MalformedMessage(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES} bytes")
    try:
        document = json.loads(data, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedMessage(f"not JSON: {error}") from None
    except RecursionError:
        raise MalformedMessage("not JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise MalformedMessage(f"expected a JSON object, got {type(document).__name__}")
    try:
        return _MESSAGE.validate_python(document)
    except ValidationError as error:
        raise MalformedMessage(_reason(error)) from None


def encode(message: Message) -> bytes:
    """Serialise a message with the prototype's field names."""
    return message.model_dump_json(by_alias=True, exclude_none=True).encode()
