# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The base of the errors that the collection's clients raise.

A module or lookup catches ``DfaasError`` at its boundary and reports the message, which
names what failed and where (URL, socket path). Standard library only.
"""

from __future__ import annotations


class DfaasError(Exception):
    """A call on a DFaaS node's service failed; the message names the endpoint and the problem."""
