"""The collection's openfaas_function module and this runtime refuse the same deployments.

The module checks names, labels and limits before it deploys, so that check mode predicts
the real run (plugins/module_utils/function_rules.py). The agent cannot import the
collection, so the runtime keeps its own copy of the rules (dfaas_gateway.deployment);
this table keeps the two in step.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dfaas_gateway import deployment
from dfaas_gateway.deployment import DeploymentError, function_limits, parse_deployment

_COLLECTION_RULES = Path(__file__).parents[3] / "plugins" / "module_utils" / "function_rules.py"
DEFAULTS = {"default_max_inflight": 64, "default_timeout_seconds": 30.0}


def _collection_rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location("collection_function_rules", _COLLECTION_RULES)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _body(
    service: str = "figlet",
    image: str = "figlet",
    labels: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {"service": service, "image": image, "labels": labels or {}, "envVars": env or {}}


def _runtime_accepts(body: dict[str, Any]) -> bool:
    try:
        function_limits(parse_deployment(body), **DEFAULTS)
    except DeploymentError:
        return False
    return True


NAMES = [
    ("figlet", True),
    ("a", True),
    ("0", True),
    ("fn-1", True),
    ("a--b", True),
    ("a" * 63, True),
    ("a" * 64, False),
    ("my_fn", False),
    ("my.fn", False),
    ("My_Fn", False),
    ("Figlet", False),
    ("-fn", False),
    ("fn-", False),
    ("", False),
    ("fig let", False),
    ("figlet\n", False),
    ("fïglet", False),
]
LABELS = [
    ({"dfaas.maxrate": "0"}, True),
    ({"dfaas.maxrate": "12.5"}, True),
    ({"dfaas.maxrate": "1e3"}, True),
    ({"dfaas.maxrate": " 5 "}, True),
    ({"dfaas.maxrate": "-5"}, False),
    ({"dfaas.maxrate": "-0.1"}, False),
    ({"dfaas.maxrate": "fast"}, False),
    ({"dfaas.maxrate": "nan"}, False),
    ({"dfaas.maxrate": "inf"}, False),
    ({"dfaas.maxrate": ""}, False),
    ({"dfaas.timeout_ms": "6000"}, True),
    ({"dfaas.timeout_ms": "0"}, False),
    ({"dfaas.timeout_ms": "-1"}, False),
    ({"dfaas.timeout_ms": "1.5"}, False),
    ({"dfaas.timeout_ms": " 5"}, False),
    ({"dfaas.timeout_ms": "²"}, False),
    ({"dfaas.max_inflight": "1"}, True),
    ({"dfaas.max_inflight": "10000"}, True),
    ({"dfaas.max_inflight": "10001"}, False),
    ({"dfaas.max_inflight": "0"}, False),
    ({"dfaas.max_inflight": "many"}, False),
    ({"team": "anything at all"}, True),
]
ENV = [
    ({"max_inflight": "8"}, {}, True),
    ({"max_inflight": " 8 "}, {}, True),
    ({"max_inflight": "10000"}, {}, True),
    ({"max_inflight": "0"}, {}, False),
    ({"max_inflight": "10001"}, {}, False),
    ({"max_inflight": "-1"}, {}, False),
    ({"max_inflight": "many"}, {}, False),
    ({"max_inflight": "٣"}, {}, False),
    ({"max_inflight": "8"}, {"dfaas.max_inflight": "20000"}, True),
    ({"max_inflight": "8"}, {"dfaas.max_inflight": "0"}, False),
    ({"exec_timeout": "4s"}, {}, True),
    ({"exec_timeout": "1m30s"}, {}, True),
    ({"exec_timeout": "500ms"}, {}, True),
    ({"exec_timeout": "2.5"}, {}, True),
    ({"exec_timeout": "0s"}, {}, False),
    ({"exec_timeout": "soon"}, {}, False),
    ({"exec_timeout": "4 s"}, {}, False),
    ({"exec_timeout": "4d"}, {}, False),
    ({"exec_timeout": "4s"}, {"dfaas.timeout_ms": "0"}, False),
]
IMAGES = [("figlet", True), ("x" * 512, True), ("x" * 513, False), ("", False)]


@pytest.mark.parametrize(("name", "accepted"), NAMES)
def test_function_names_are_judged_alike(name: str, accepted: bool) -> None:
    body = _body(service=name)

    assert _runtime_accepts(body) is accepted
    assert (_collection_rules().deployment_problem(body) is None) is accepted


@pytest.mark.parametrize(("labels", "accepted"), LABELS)
def test_labels_are_judged_alike(labels: dict[str, str], accepted: bool) -> None:
    body = _body(labels=labels)

    assert _runtime_accepts(body) is accepted
    assert (_collection_rules().deployment_problem(body) is None) is accepted


@pytest.mark.parametrize(("env", "labels", "accepted"), ENV)
def test_limits_from_the_environment_are_judged_alike(
    env: dict[str, str], labels: dict[str, str], accepted: bool
) -> None:
    body = _body(labels=labels, env=env)

    assert _runtime_accepts(body) is accepted
    assert (_collection_rules().deployment_problem(body) is None) is accepted


@pytest.mark.parametrize(("image", "accepted"), IMAGES)
def test_images_are_judged_alike(image: str, accepted: bool) -> None:
    body = _body(image=image)

    assert _runtime_accepts(body) is accepted
    assert (_collection_rules().deployment_problem(body) is None) is accepted


def test_both_copies_name_the_same_limits() -> None:
    rules = _collection_rules()

    assert rules.MAX_INFLIGHT_LIMIT == deployment.MAX_INFLIGHT_LIMIT
    assert f"^{rules.DNS_LABEL_PATTERN}$" == deployment.FUNCTION_NAME_PATTERN
    assert rules.MAXRATE_LABEL == deployment.MAXRATE_LABEL
