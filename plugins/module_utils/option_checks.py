# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of module options that an argument spec cannot express: ranges, URL schemes, files.

A module runs them before it builds a client or sends anything, so a bad value fails the
same way in check mode and in a real run. Each check raises ``OptionError``, whose message
names the option and the value. Standard library only.
"""

from __future__ import annotations

import math
import os
from urllib.parse import urlsplit

URL_SCHEMES = ("http", "https")


class OptionError(ValueError):
    """An option value that the module refuses; the message names the option and the value."""


def check_seconds(option: str, value: float | None, allow_zero: bool = False) -> None:
    """A number of seconds above 0 (or 0 or more with ``allow_zero``); None is not set."""
    if value is None:
        return
    if allow_zero:
        if not math.isfinite(value) or value < 0:
            raise OptionError(f"{option} must be a number of seconds of 0 or more, got {value:g}")
    elif not math.isfinite(value) or value <= 0:
        raise OptionError(f"{option} must be a number of seconds above 0, got {value:g}")


def is_http_url(url: str | None) -> bool:
    """Whether ``url`` is ``http://`` or ``https://`` with a host and, if any, a valid port."""
    if not url:
        return False
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError:
        return False
    return parts.scheme in URL_SCHEMES and bool(parts.hostname)


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``, safe to show in a message."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"


def check_http_url(option: str, url: str | None) -> None:
    """An ``http://`` or ``https://`` URL with a host; None is not set."""
    if url is None or is_http_url(url):
        return
    raise OptionError(
        f"{option} {redact_url(url)!r} is not an http:// or https:// URL with a host"
        " and a valid port"
    )


def check_file(option: str, path: str | None) -> None:
    """A path to an existing file; None is not set."""
    if path is not None and not os.path.isfile(path):
        raise OptionError(f"{option} {path}: no such file")


def endpoint_problem(what: str, url: str | None, timeout: float) -> str | None:
    """Why a client of ``what`` (``gateway``, ``Prometheus``...) cannot use ``url`` and
    ``timeout``, or None: the one rule every HTTP client of the collection checks."""
    if not is_http_url(url):
        return (
            f"{what} URL {redact_url(url or '')!r} must look like http://HOST:PORT (http or https)"
        )
    if not math.isfinite(timeout) or timeout <= 0:
        return f"{what} timeout must be above 0 seconds, not {timeout}"
    return None
