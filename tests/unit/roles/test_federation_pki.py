# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The federation PKI role, run for real on localhost into a temporary folder.

Checks what HAProxy's mutual TLS relies on (CN and DNS SAN = peer ID, server and
client authentication, signed by the federation CA) and that a second run changes
nothing, as federate.yml promises.
"""

from __future__ import annotations

import re
import sys

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import localhost_play, run_playbook

PLAY_TIMEOUT_S = 180
MEMBERS = [
    {"name": "node-a", "peer_id": "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"},
    {"name": "node-b", "peer_id": "12D3KooWRV3FkgzWaJpPMh66PBiw9RPNfzkLqUwmCB9zUwNtGHrg"},
]


def run_pki(collections_path, work_dir, pki_dir, members):
    """Apply dfaas.edge.federation_pki on localhost; returns the completed process."""
    play = localhost_play(
        "Federation PKI",
        vars={"ansible_python_interpreter": sys.executable},
        roles=[{"role": "dfaas.edge.federation_pki"}],
    )
    variables = {"dfaas_federation_pki_dir": str(pki_dir), "dfaas_federation_pki_members": members}
    return run_playbook(
        collections_path, work_dir, [play], extra_vars=variables, timeout_s=PLAY_TIMEOUT_S
    )


def changed_count(result):
    match = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", result.stdout)
    assert match, "no play recap:\n%s\n%s" % (result.stdout, result.stderr)
    return int(match.group(1))


@pytest.fixture(scope="module")
def pki(collections_path, tmp_path_factory):
    """The PKI built twice into the same folder: (folder, first run, second run)."""
    work_dir = tmp_path_factory.mktemp("pki-run")
    pki_dir = work_dir / "pki"
    first = run_pki(collections_path, work_dir, pki_dir, MEMBERS)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_pki(collections_path, work_dir, pki_dir, MEMBERS)
    assert second.returncode == 0, second.stdout + second.stderr
    return pki_dir, first, second


def load_certificate(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_member_certificate_names_the_peer_id_in_cn_and_san(pki):
    pki_dir = pki[0]
    for member in MEMBERS:
        certificate = load_certificate(pki_dir / "members" / ("%s.crt" % member["name"]))
        common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert [name.value for name in common_names] == [member["peer_id"]]
        assert san.get_values_for_type(x509.DNSName) == [member["peer_id"]]


def test_member_certificate_allows_server_and_client_authentication(pki):
    pki_dir = pki[0]
    certificate = load_certificate(pki_dir / "members" / "node-a.crt")
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usages) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}


def test_member_certificate_is_signed_by_the_federation_ca(pki):
    pki_dir = pki[0]
    ca = load_certificate(pki_dir / "ca.crt")
    certificate = load_certificate(pki_dir / "members" / "node-b.crt")
    certificate.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_private_keys_are_readable_by_their_owner_only(pki):
    pki_dir = pki[0]
    keys = [pki_dir / "ca.key"] + sorted((pki_dir / "members").glob("*.key"))
    assert len(keys) == 1 + len(MEMBERS)
    assert {oct(key.stat().st_mode & 0o777) for key in keys} == {"0o600"}
    assert oct(pki_dir.stat().st_mode & 0o777) == "0o700"


def test_second_run_changes_nothing(pki):
    first, second = pki[1], pki[2]
    assert changed_count(first) > 0
    assert changed_count(second) == 0


def test_duplicate_peer_id_stops_the_role_naming_the_variable(collections_path, tmp_path):
    twins = [dict(MEMBERS[0]), dict(MEMBERS[0], name="node-twin")]
    result = run_pki(collections_path, tmp_path, tmp_path / "pki", twins)
    assert result.returncode != 0
    assert "dfaas_federation_pki_members: duplicate" in result.stdout + result.stderr
    assert not (tmp_path / "pki").exists()
