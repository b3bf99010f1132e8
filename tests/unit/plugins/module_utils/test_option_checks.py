# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.dfaas.edge.plugins.module_utils.option_checks import (
    OptionError,
    check_file,
    check_http_url,
    check_seconds,
    is_http_url,
    redact_url,
)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "https://gw.example/base/", "http://[::1]:31112"]
)
def test_http_and_https_urls_with_a_host_are_accepted(url: str) -> None:
    assert is_http_url(url) is True


@pytest.mark.parametrize(
    "url",
    [
        "",
        "file:///etc/passwd",
        "ftp://gw/",
        "gateway:8080",
        "http://",
        "http:///path",
        "http://h:0x50",
        "http://h:70000",
    ],
)
def test_other_schemes_and_urls_without_host_or_valid_port_are_refused(url: str) -> None:
    assert is_http_url(url) is False


def test_a_refused_url_is_named_with_the_option_and_without_its_password() -> None:
    with pytest.raises(OptionError) as caught:
        check_http_url("prometheus_url", "ftp://ops:hunter2@prom:9090/")

    assert str(caught.value) == (
        "prometheus_url 'ftp://***@prom:9090/' is not an http:// or https:// URL"
        " with a host and a valid port"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://a@b", "http://***@b"),
        ("x://u:p@h/p@q", "x://***@h/p@q"),
        ("gateway:8080", "gateway:8080"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
    ],
)
def test_redact_url_keeps_the_host_and_drops_user_information(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(("value", "shown"), [(0.0, "0"), (-0.5, "-0.5"), (float("nan"), "nan")])
def test_seconds_must_be_above_zero(value: float, shown: str) -> None:
    with pytest.raises(OptionError, match=f"^t must be a number of seconds above 0, got {shown}$"):
        check_seconds("t", value)


def test_seconds_may_be_zero_where_allowed_but_never_infinite() -> None:
    check_seconds("wait_timeout", 0.0, allow_zero=True)
    with pytest.raises(OptionError, match="of 0 or more, got inf"):
        check_seconds("wait_timeout", float("inf"), allow_zero=True)


def test_unset_options_are_not_checked() -> None:
    check_seconds("t", None)
    check_http_url("gateway_url", None)
    check_file("ca_path", None)


def test_a_missing_file_is_named_with_the_option(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=f"^ca_path {tmp_path}/ca.pem: no such file$"):
        check_file("ca_path", str(tmp_path / "ca.pem"))
