"""With a credential, deploy/update/remove need it; reads and function calls do not."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from dfaas_gateway.auth import BasicAuth, CredentialError, read_password_file

if TYPE_CHECKING:
    from conftest import GatewayProcess, GatewayStarter

PASSWORD = "s3cret-from-the-node"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def guarded_gateway(gateway_starter: GatewayStarter, tmp_path: Path) -> GatewayProcess:
    password_file = tmp_path / "basic-auth-password"
    password_file.write_text(PASSWORD + "\n")
    return gateway_starter(
        "--preload",
        "shasum",
        "--basic-auth-user",
        "admin",
        "--basic-auth-password-file",
        str(password_file),
    )


def _deployed(gateway: GatewayProcess) -> set[str]:
    with gateway.client() as client:
        return {entry["name"] for entry in client.get("/system/functions").json()}


@pytest.mark.component
@pytest.mark.parametrize(
    "authorization",
    [None, _basic("admin", "wrong"), _basic("root", PASSWORD), "Bearer " + PASSWORD, "Basic ???"],
    ids=["none", "wrong-password", "wrong-user", "other-scheme", "not-base64"],
)
def test_deploy_without_the_credential_is_refused_and_changes_nothing(
    guarded_gateway: GatewayProcess, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    payload = {"service": "intruder", "image": "nodeinfo"}
    with guarded_gateway.client() as client:
        created = client.post("/system/functions", json=payload, headers=headers)
        replaced = client.put(
            "/system/functions", json={"service": "shasum", "image": "nodeinfo"}, headers=headers
        )
        removed = client.request(
            "DELETE", "/system/functions", json={"functionName": "shasum"}, headers=headers
        )
        still_shasum = client.post("/function/shasum", content=b"")
    for refused in (created, replaced, removed):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Basic realm="dfaas-gateway"'
    assert _deployed(guarded_gateway) == {"shasum"}
    assert still_shasum.text.startswith("cf83e1357eefb8bdf1542850d66d8007")
    guarded_gateway.wait_for_metric("dfaas_gateway_management_refused_total", 3.0)


@pytest.mark.component
def test_the_credential_deploys_and_removes_while_reads_and_calls_stay_open(
    guarded_gateway: GatewayProcess,
) -> None:
    auth = httpx.BasicAuth("admin", PASSWORD)
    with guarded_gateway.client() as client:
        deployed = client.post(
            "/system/functions", json={"service": "hello", "image": "figlet"}, auth=auth
        )
        described = client.get("/system/function/hello")
        called = client.post("/function/hello", content=b"hi")
        removed = client.request(
            "DELETE", "/system/functions", json={"functionName": "hello"}, auth=auth
        )
    assert deployed.status_code == 202
    assert described.status_code == 200
    assert called.status_code == 200
    assert removed.status_code == 202
    assert _deployed(guarded_gateway) == {"shasum"}


def test_basic_auth_admits_only_its_user_and_password() -> None:
    auth = BasicAuth("admin", PASSWORD)
    assert auth.admits(_basic("admin", PASSWORD))
    assert auth.admits("basic " + _basic("admin", PASSWORD).split()[1])
    assert not auth.admits(None)
    assert not auth.admits(_basic("admin", PASSWORD + "x"))
    assert not auth.admits("Basic " + base64.b64encode(b"admin").decode())
    assert not auth.admits("Basic")
    assert PASSWORD not in repr(auth)


def test_password_file_problems_name_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    huge = tmp_path / "huge"
    huge.write_bytes(b"x" * 5000)
    for path, complaint in [
        (tmp_path / "missing", "cannot read password file"),
        (empty, "is empty"),
        (huge, "larger than"),
    ]:
        with pytest.raises(CredentialError, match=complaint) as raised:
            read_password_file(path)
        assert str(path) in str(raised.value)
    kept = tmp_path / "kept"
    kept.write_text("  pw \n")
    assert read_password_file(kept) == "pw"
