"""Gossip messages: the prototype's JSON shapes, round trips and refusals."""

from __future__ import annotations

import json

import pytest

from dfaas_agent.messages import (
    MAX_MESSAGE_BYTES,
    Load,
    MalformedMessage,
    MaxValues,
    NodeInfoNMS,
    NodeInfoRecalc,
    NodeInfoStatic,
    NodeMarginInfoNMS,
    TextMessage,
    decode,
    encode,
)

PEER = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"

EVERY_KIND = [
    TextMessage(text="hello"),
    NodeInfoRecalc(
        host="10.0.0.1", port=30080, func_limits={PEER: {"figlet": 12.5}}, functions=["figlet"]
    ),
    NodeInfoNMS(
        host="node-1.example",
        port=30080,
        node_type=2,
        max_values=MaxValues(cpu_usage_node=104.0, ram_usage_node=4.1e9, power_usage_node=7e5),
        functions=["figlet", "shasum"],
    ),
    NodeMarginInfoNMS(
        margin=12.5,
        load=Load(rate_high_usage=1.0, rate_low_usage=2.0, rate_medium_usage=3.0),
        spare_rate=4.0,
    ),
    NodeInfoStatic(host="2001:db8::1", port=30080, functions=["figlet"]),
]


@pytest.mark.parametrize("message", EVERY_KIND, ids=lambda m: m.msg_type)
def test_every_message_kind_survives_a_round_trip(message: object) -> None:
    assert decode(encode(message)) == message  # type: ignore[arg-type]


def test_encoding_uses_the_go_field_names() -> None:
    document = json.loads(encode(EVERY_KIND[3]))

    assert document == {
        "MsgType": "nodemargininfoNMS",
        "Margin": 12.5,
        "Load": {"RateHighUsage": 1.0, "RateLowUsage": 2.0, "RateMediumUsage": 3.0},
        "SpareRate": 4.0,
    }


def test_go_recalc_message_with_integer_limits_is_accepted() -> None:
    payload = (
        b'{"MsgType":"nodeinfoRecalc","HAProxyHost":"192.168.1.12","HAProxyPort":30080,'
        b'"FuncLimits":{"' + PEER.encode() + b'":{"figlet":10,"shasum":0}}}'
    )

    message = decode(payload)

    assert isinstance(message, NodeInfoRecalc)
    assert message.func_limits == {PEER: {"figlet": 10.0, "shasum": 0.0}}
    assert message.functions is None


def test_go_nil_slices_and_maps_decode_as_empty() -> None:
    static = decode(
        b'{"MsgType":"nodeinfoStatic","HAProxyHost":"10.0.0.2","HAProxyPort":30080,'
        b'"Functions":null}'
    )
    recalc = decode(
        b'{"MsgType":"nodeinfoRecalc","HAProxyHost":"10.0.0.2","HAProxyPort":30080,'
        b'"FuncLimits":null}'
    )

    assert isinstance(static, NodeInfoStatic)
    assert static.functions == []
    assert isinstance(recalc, NodeInfoRecalc)
    assert recalc.func_limits == {}


def test_go_nms_messages_are_accepted() -> None:
    info = decode(
        b'{"MsgType":"nodeinfoNMS","HAProxyHost":"10.0.0.3","HAProxyPort":30080,"NodeType":1,'
        b'"MaxValues":{"cpu_usage_node":120,"ram_usage_node":5500000000,'
        b'"power_usage_node":2100000},"Functions":["figlet","curl"]}'
    )
    margin = decode(
        b'{"MsgType":"nodemargininfoNMS","Margin":33.3,'
        b'"Load":{"RateHighUsage":0,"RateLowUsage":5.5,"RateMediumUsage":1}}'
    )

    assert isinstance(info, NodeInfoNMS)
    assert info.max_values.ram_usage_node == 5.5e9
    assert isinstance(margin, NodeMarginInfoNMS)
    assert (margin.load.rate_low_usage, margin.load.rate_medium_usage) == (5.5, 1.0)
    assert margin.spare_rate is None


def test_unknown_fields_from_newer_agents_are_ignored() -> None:
    message = decode(b'{"MsgType":"text","Text":"hi","Signature":"abc"}')

    assert message == TextMessage(text="hi")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"Text": "x"}', "missing MsgType"),
        (b'{"MsgType": "nodeinfoRL"}', "unknown MsgType"),
        (b'{"MsgType": "text", "Text": 5}', "Text"),
        (
            b'{"MsgType":"nodeinfoStatic","HAProxyHost":"10.0.0.1","HAProxyPort":"30080",'
            b'"Functions":[]}',
            "HAProxyPort",
        ),
        (
            b'{"MsgType":"nodeinfoStatic","HAProxyHost":"10.0.0.1","HAProxyPort":0,"Functions":[]}',
            "HAProxyPort",
        ),
        (
            b'{"MsgType":"nodeinfoStatic","HAProxyHost":"evil\\n  bind :1","HAProxyPort":1,'
            b'"Functions":[]}',
            "not an IP address or host name",
        ),
        (
            b'{"MsgType":"nodeinfoRecalc","HAProxyHost":"10.0.0.1","HAProxyPort":1,'
            b'"FuncLimits":{"p":{"f":-1}}}',
            "greater than or equal to 0",
        ),
        (
            b'{"MsgType":"nodemargininfoNMS","Margin":NaN,'
            b'"Load":{"RateHighUsage":0,"RateLowUsage":0,"RateMediumUsage":0}}',
            "NaN",
        ),
        (
            b'{"MsgType":"nodemargininfoNMS","Margin":1e999,'
            b'"Load":{"RateHighUsage":0,"RateLowUsage":0,"RateMediumUsage":0}}',
            "finite",
        ),
        (
            b'{"MsgType":"nodemargininfoNMS","Margin":1,'
            b'"Load":{"RateHighUsage":-2,"RateLowUsage":0,"RateMediumUsage":0}}',
            "RateHighUsage",
        ),
        (b'{"MsgType":"nodemargininfoNMS","Margin":1}', "Load"),
    ],
)
def test_malformed_payload_is_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessage, match=reason):
        decode(payload)


def test_oversize_payload_is_refused_before_parsing() -> None:
    payload = b'{"MsgType":"text","Text":"' + b"x" * MAX_MESSAGE_BYTES + b'"}'

    with pytest.raises(MalformedMessage, match="exceeds"):
        decode(payload)


def test_deeply_nested_payload_is_refused() -> None:
    with pytest.raises(MalformedMessage, match="not JSON"):
        decode(b"[" * 100_000 + b"]" * 100_000)
