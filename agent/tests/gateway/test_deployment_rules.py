"""Which built-in a deployment names, and the limits it sets (pure rules, no process)."""

import re

import anyio
import pytest

from dfaas_gateway.deployment import DeploymentError, function_limits, parse_deployment
from dfaas_gateway.durations import parse_duration
from dfaas_gateway.functions.catalog import BuiltinCatalog, builtin_catalog

DEFAULTS = {"default_max_inflight": 64, "default_timeout_seconds": 30.0}


def _catalog() -> BuiltinCatalog:
    return builtin_catalog(
        node_name="n",
        figlet_binary="/usr/bin/figlet",
        tesseract_binary="/usr/bin/tesseract",
        cpu_workers=anyio.CapacityLimiter(1),
    )


@pytest.mark.parametrize(
    ("image", "env_process", "builtin"),
    [
        ("ghcr.io/openfaas/figlet:latest", None, "figlet"),
        ("figlet", None, "figlet"),
        ("registry.local:5000/team/nodeinfo@sha256:abc", None, "nodeinfo"),
        ("functions/alpine:latest", "sha512sum", "shasum"),
        ("cpuburn:1.0", "", "cpuburn"),
    ],
)
def test_image_reference_resolves_to_its_builtin(
    image: str, env_process: str | None, builtin: str
) -> None:
    catalog = _catalog()
    resolved = catalog.resolve(image, env_process)
    assert resolved is not None
    assert resolved.name == builtin


def test_image_that_names_no_builtin_resolves_to_nothing() -> None:
    catalog = _catalog()
    assert catalog.resolve("functions/alpine:latest", "cat") is None


def test_exec_timeout_env_wins_over_timeout_label() -> None:
    deployment = parse_deployment(
        {
            "service": "f",
            "image": "figlet",
            "envVars": {"exec_timeout": "1m30s"},
            "labels": {"dfaas.timeout_ms": "500"},
        }
    )
    assert function_limits(deployment, **DEFAULTS).timeout_seconds == 90.0


def test_timeout_label_applies_without_exec_timeout() -> None:
    deployment = parse_deployment(
        {"service": "f", "image": "figlet", "labels": {"dfaas.timeout_ms": "1500"}}
    )
    assert function_limits(deployment, **DEFAULTS).timeout_seconds == 1.5


def test_defaults_apply_when_the_deployment_sets_no_limits() -> None:
    deployment = parse_deployment({"service": "f", "image": "figlet", "labels": None})
    limits = function_limits(deployment, **DEFAULTS)
    assert (limits.max_inflight, limits.timeout_seconds) == (64, 30.0)


def test_max_inflight_env_wins_over_label() -> None:
    deployment = parse_deployment(
        {
            "service": "f",
            "image": "figlet",
            "envVars": {"max_inflight": "4"},
            "labels": {"dfaas.max_inflight": "9"},
        }
    )
    assert function_limits(deployment, **DEFAULTS).max_inflight == 4


@pytest.mark.parametrize("value", ["0", "-1", "many", "100000"])
def test_invalid_max_inflight_is_refused_naming_the_function(value: str) -> None:
    deployment = parse_deployment(
        {"service": "f", "image": "figlet", "envVars": {"max_inflight": value}}
    )
    with pytest.raises(DeploymentError, match="max_inflight of f"):
        function_limits(deployment, **DEFAULTS)


def test_invalid_exec_timeout_is_refused_naming_the_function() -> None:
    deployment = parse_deployment(
        {"service": "f", "image": "figlet", "envVars": {"exec_timeout": "soon"}}
    )
    with pytest.raises(DeploymentError, match="exec_timeout of f"):
        function_limits(deployment, **DEFAULTS)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("4s", 4.0), ("500ms", 0.5), ("1m30s", 90.0), ("2.5", 2.5), ("1h", 3600.0)],
)
def test_go_style_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "4 s", "s", "0", "-1s", "4d"])
def test_malformed_or_zero_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", ["fast", "-1", "nan", "inf"])
def test_maxrate_label_that_is_no_rate_is_refused(value: str) -> None:
    with pytest.raises(DeploymentError, match=r"dfaas\.maxrate of f"):
        parse_deployment({"service": "f", "image": "figlet", "labels": {"dfaas.maxrate": value}})


@pytest.mark.parametrize("value", ["0", "100", "12.5"])
def test_maxrate_label_accepts_any_rate_the_agent_reads(value: str) -> None:
    deployment = parse_deployment(
        {"service": "f", "image": "figlet", "labels": {"dfaas.maxrate": value}}
    )
    assert deployment.labels["dfaas.maxrate"] == value


@pytest.mark.parametrize("label", ["dfaas.timeout_ms", "dfaas.max_inflight"])
def test_integer_limit_labels_must_be_positive_integers(label: str) -> None:
    with pytest.raises(
        DeploymentError, match=re.escape(f"{label} of f must be a positive integer")
    ):
        parse_deployment({"service": "f", "image": "figlet", "labels": {label: "0"}})
