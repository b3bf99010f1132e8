"""Basic authentication of the management API, as OpenFaaS's gateway has it.

Deploying, updating and removing functions changes what a node runs: with a
credential configured, those requests need it. Reads (the function list, one
function, /system/info) carry no secrets and stay open, as on the public port;
function calls, /healthz and /metrics never need it.
"""

import base64
import binascii
import secrets
from dataclasses import dataclass
from pathlib import Path

REALM = "dfaas-gateway"
# A password file is one short line; anything larger is not one.
MAX_PASSWORD_FILE_BYTES = 4096


class CredentialError(Exception):
    """The password file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, repr=False)
class BasicAuth:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"BasicAuth(username={self.username!r})"

    def admits(self, authorization: str | None) -> bool:
        """True when the Authorization header carries this user and password."""
        if authorization is None:
            return False
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        username, separator, password = decoded.partition(b":")
        # Both compared in constant time, and both always compared.
        user_ok = secrets.compare_digest(username, self.username.encode())
        password_ok = secrets.compare_digest(password, self.password.encode())
        return bool(separator) and user_ok and password_ok


def read_password_file(path: Path) -> str:
    """The password kept in `path` (surrounding whitespace dropped)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PASSWORD_FILE_BYTES + 1)
    except OSError as error:
        raise CredentialError(f"cannot read password file {path}: {error.strerror}") from None
    if len(raw) > MAX_PASSWORD_FILE_BYTES:
        raise CredentialError(
            f"password file {path} is larger than {MAX_PASSWORD_FILE_BYTES} bytes"
        )
    try:
        password = raw.decode().strip()
    except UnicodeDecodeError:
        raise CredentialError(f"password file {path} is not UTF-8 text") from None
    if not password:
        raise CredentialError(f"password file {path} is empty")
    return password
