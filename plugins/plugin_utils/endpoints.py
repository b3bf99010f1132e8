# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoint lists for the controller-side lookups."""

from __future__ import annotations

from typing import Any


def endpoints_from_terms(terms: list[Any]) -> list[str]:
    """The URLs of a lookup's terms, one per term or a list of them in one term.

    A list as one term is accepted because a hostvars map gives one.
    """
    endpoints: list[str] = []
    for term in terms:
        if isinstance(term, (list, tuple)):
            endpoints.extend(str(item) for item in term)
        else:
            endpoints.append(str(term))
    return endpoints
