# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.dfaas.edge.plugins.module_utils.agent_api import (
    AgentApiClient,
    AgentApiError,
    check_wanted_members,
    member_table,
    missing_members,
    wait_for_members,
)
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_agent_api import (
    NODE_A,
    NODE_B,
    NODE_C,
    FakeAgentApi,
    agent_status,
    fake_agent,
)

__all__ = ["fake_agent"]


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class FakeClock:
    """Monotonic time that only ``sleep`` advances; ``on_sleep`` lets a test change the agent."""

    def __init__(self, on_sleep: Any = None) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))


def test_health_is_true_without_reasons_when_healthz_says_ok(fake_agent: FakeAgentApi) -> None:
    assert AgentApiClient(fake_agent.url).health() == (True, [])


def test_health_lists_each_reason_of_a_503(fake_agent: FakeAgentApi) -> None:
    fake_agent.health = (503, b"gateway: connection refused\ncontrol loop: starting\n")

    assert AgentApiClient(fake_agent.url).health() == (
        False,
        ["gateway: connection refused", "control loop: starting"],
    )


def test_health_error_other_than_503_names_the_endpoint(fake_agent: FakeAgentApi) -> None:
    fake_agent.health = (500, b"boom")

    with pytest.raises(AgentApiError, match=rf"{fake_agent.url}/healthz answered HTTP 500"):
        AgentApiClient(fake_agent.url).health()


def test_status_returns_the_snapshot(fake_agent: FakeAgentApi) -> None:
    status = AgentApiClient(fake_agent.url + "/").status()

    assert (status["peer_id"], status["functions"]["shasum"]["local_limit"]) == (NODE_A, 2)


def test_status_that_is_not_json_is_a_clear_error(fake_agent: FakeAgentApi) -> None:
    fake_agent.status = (200, b"<html>")

    with pytest.raises(
        AgentApiError, match=rf"{fake_agent.url}/status returned a body that is not"
    ):
        AgentApiClient(fake_agent.url).status()


def test_status_of_something_else_than_an_agent_is_refused(fake_agent: FakeAgentApi) -> None:
    fake_agent.status = (200, {"status": "success"})

    with pytest.raises(AgentApiError, match="without a peer_id: is this a DFaaS agent"):
        AgentApiClient(fake_agent.url).status()


def test_unreachable_agent_names_the_endpoint() -> None:
    url = _closed_port_url()

    with pytest.raises(AgentApiError, match=rf"agent API {url}/status is unreachable"):
        AgentApiClient(url).status()


def test_slow_agent_times_out_naming_the_timeout(fake_agent: FakeAgentApi) -> None:
    fake_agent.delay = 1.0

    with pytest.raises(AgentApiError, match=r"/status: no answer within 0.2 s"):
        AgentApiClient(fake_agent.url, timeout=0.2).status()


@pytest.mark.parametrize("url", ["", "127.0.0.1:8080"])
def test_url_without_scheme_is_refused(url: str) -> None:
    with pytest.raises(AgentApiError, match="must look like http://HOST:PORT"):
        AgentApiClient(url)


def test_member_table_gives_each_member_state_as_booleans() -> None:
    status = agent_status(connected=[NODE_B], fresh=[NODE_B, NODE_C], in_layout=[NODE_B])

    table = {m["name"]: m for m in member_table(status)}

    assert table["node-a"]["self"] is True
    assert [table["node-b"][s] for s in ("connected", "fresh", "in_layout")] == [True] * 3
    assert [table["node-c"][s] for s in ("connected", "fresh", "in_layout")] == [
        False,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [(2, 2), ("3", 3), ([NODE_B], [NODE_B]), (f"{NODE_B}, {NODE_C}", [NODE_B, NODE_C])],
)
def test_wanted_members_are_a_count_or_peer_ids(given: Any, expected: Any) -> None:
    assert check_wanted_members(given) == expected


@pytest.mark.parametrize("given", [True, -1, [NODE_B, 3], [""], {"a": 1}])
def test_wanted_members_of_another_kind_are_refused(given: Any) -> None:
    with pytest.raises(ValueError, match="wait_for_members"):
        check_wanted_members(given)


def test_a_count_does_not_include_the_agent_itself() -> None:
    status = agent_status(connected=[NODE_A, NODE_B])

    assert missing_members(status, 2, "connected") == (
        f"1 of 2 members connected; not connected: {NODE_C} (node-c)"
    )


def test_missing_peer_ids_are_named_with_their_member_name() -> None:
    status = agent_status(connected=[NODE_B])

    assert missing_members(status, [NODE_B, NODE_C, "12D3KooWStranger"], "connected") == (
        f"not connected: {NODE_C} (node-c), 12D3KooWStranger (not a configured member)"
    )


def test_nothing_is_missing_once_the_members_are_in_the_state() -> None:
    status = agent_status(in_layout=[NODE_B, NODE_C])

    assert missing_members(status, [NODE_C, NODE_B], "in_layout") is None


def test_wait_returns_as_soon_as_the_members_connect(fake_agent: FakeAgentApi) -> None:
    def connect_after_two_sleeps(sleeps: int) -> None:
        if sleeps == 2:
            fake_agent.status = (200, agent_status(connected=[NODE_B, NODE_C]))

    clock = FakeClock(connect_after_two_sleeps)

    status = wait_for_members(
        AgentApiClient(fake_agent.url), 2, "connected", 10, 1.0, clock, clock.sleep
    )

    assert status["members"]["connected"] == [NODE_B, NODE_C]
    assert clock.sleeps == [1.0, 1.0]


def test_wait_fails_after_the_timeout_naming_who_is_missing(fake_agent: FakeAgentApi) -> None:
    fake_agent.status = (200, agent_status(connected=[NODE_B]))
    clock = FakeClock()

    with pytest.raises(AgentApiError) as raised:
        wait_for_members(
            AgentApiClient(fake_agent.url),
            [NODE_B, NODE_C],
            "connected",
            2.5,
            1.0,
            clock,
            clock.sleep,
        )

    assert str(raised.value) == (
        f"agent API {fake_agent.url}/status: after waiting 2.5 s, not connected: {NODE_C} (node-c)"
    )
    assert clock.sleeps == [1.0, 1.0, 0.5]


def test_wait_asks_again_an_agent_that_is_not_answering_yet(fake_agent: FakeAgentApi) -> None:
    fake_agent.status = (503, b"starting")

    def answer_after_one_sleep(sleeps: int) -> None:
        fake_agent.status = (200, agent_status(fresh=[NODE_B]))

    clock = FakeClock(answer_after_one_sleep)

    status = wait_for_members(
        AgentApiClient(fake_agent.url), [NODE_B], "fresh", 10, 1.0, clock, clock.sleep
    )

    assert status["members"]["fresh"] == [NODE_B]


def test_wait_timeout_reports_the_last_api_error(fake_agent: FakeAgentApi) -> None:
    fake_agent.status = (503, b"starting")
    clock = FakeClock()

    with pytest.raises(AgentApiError, match=r"after waiting 1 s, agent API .* answered HTTP 503"):
        wait_for_members(AgentApiClient(fake_agent.url), 1, "connected", 1, 1.0, clock, clock.sleep)


def test_wait_refuses_an_unknown_member_state(fake_agent: FakeAgentApi) -> None:
    with pytest.raises(ValueError, match="member state 'joined' is not one of"):
        wait_for_members(AgentApiClient(fake_agent.url), 1, "joined", 1)


@pytest.fixture
def https_agent(tmp_path: Path) -> Iterator[tuple[FakeAgentApi, Path]]:
    """The fake agent API behind TLS with a self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake agent API")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "agent.pem", tmp_path / "agent.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    fake = FakeAgentApi()
    fake.wrap_socket(context)
    fake.start()
    yield fake, cert_file
    fake.stop()


def _https(fake: FakeAgentApi) -> str:
    return fake.url.replace("http://", "https://")


def test_https_agent_with_an_unknown_certificate_is_refused_naming_the_endpoint(
    https_agent: tuple[FakeAgentApi, Path],
) -> None:
    fake = https_agent[0]

    with pytest.raises(AgentApiError, match=rf"agent API {_https(fake)}/status .*certificate"):
        AgentApiClient(_https(fake)).status()


def test_https_agent_is_read_when_its_ca_is_given(https_agent: tuple[FakeAgentApi, Path]) -> None:
    fake, cert_file = https_agent

    status = AgentApiClient(_https(fake), ca_path=str(cert_file)).status()

    assert status["peer_id"] == NODE_A


def test_https_agent_is_read_without_certificate_validation(
    https_agent: tuple[FakeAgentApi, Path],
) -> None:
    fake = https_agent[0]

    assert AgentApiClient(_https(fake), validate_certs=False).health() == (True, [])


def test_a_member_is_alive_when_connected_or_fresh():
    status = agent_status(connected=[NODE_B], fresh=[NODE_C], in_layout=[NODE_B, NODE_C])

    assert missing_members(status, [NODE_B, NODE_C], "alive") is None
    assert missing_members(agent_status(connected=[NODE_B]), [NODE_B, NODE_C], "alive") == (
        f"not alive: {NODE_C} (node-c)"
    )
    table = {entry["name"]: entry for entry in member_table(status)}
    assert (table["node-b"]["alive"], table["node-c"]["alive"]) == (True, True)
