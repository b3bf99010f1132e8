# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The prereq role's nftables rules are a ruleset that nft accepts.

Molecule cannot load firewall rules inside a container, so the rendered file
is checked here: Ansible renders the role's template into a temporary folder
and `nft --check` parses it against the kernel without committing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    COLLECTION_ROOT,
    localhost_play,
    run_playbook,
)

TEMPLATE = COLLECTION_ROOT / "roles" / "prereq" / "templates" / "nftables.conf.j2"
TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(
    shutil.which("nft") is None or os.geteuid() != 0, reason="needs nft and root (nftables)"
)


def render_rules(
    collections_path, tmp_path, ports, member_ports=(30443, 31600), member_addresses=()
):
    rules = tmp_path / "nftables.conf"
    task = {
        "name": "Render the firewall rules",
        "ansible.builtin.template": {"src": str(TEMPLATE), "dest": str(rules), "mode": "0644"},
    }
    variables = {
        "dfaas_prereq_firewall_allowed_tcp_ports": ports,
        "dfaas_prereq_firewall_member_tcp_ports": list(member_ports),
        "dfaas_prereq_firewall_member_addresses": list(member_addresses),
    }
    result = run_playbook(
        collections_path,
        tmp_path,
        [localhost_play("Render", tasks=[task])],
        extra_vars=variables,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return rules


def nft_check(rules):
    return subprocess.run(
        ["nft", "--check", "--file", str(rules)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def test_rendered_rules_pass_nft_check(collections_path, tmp_path):
    rules = render_rules(collections_path, tmp_path, [22, 30080, 30443, 31600, 8080, 9090, 22])
    result = nft_check(rules)
    assert result.returncode == 0, result.stderr + rules.read_text()
    assert "tcp dport { 22, 8080, 9090, 30080, 30443, 31600 } accept" in rules.read_text()


def test_member_ports_admit_only_the_members_addresses(collections_path, tmp_path):
    members = ["10.89.0.7", "10.89.0.5/32", "fd00::5"]
    rules = render_rules(collections_path, tmp_path, [22, 30080], member_addresses=members)
    result = nft_check(rules)
    text = rules.read_text()
    assert result.returncode == 0, result.stderr + text
    assert "ip saddr { 10.89.0.5/32, 10.89.0.7 } tcp dport { 30443, 31600 } accept" in text
    assert "ip6 saddr { fd00::5 } tcp dport { 30443, 31600 } accept" in text
    assert "tcp dport { 22, 30080 } accept" in text
    lines = [line.strip() for line in text.splitlines()]
    assert "tcp dport { 30443, 31600 } accept" not in lines


def test_rules_replace_only_their_own_table(collections_path, tmp_path):
    text = render_rules(collections_path, tmp_path, [22]).read_text()
    assert "flush ruleset" not in text
    assert "flush table inet dfaas_filter" in text


# --- the rules loaded for real, in network namespaces of the test's own -------------

NODE_ADDRESS = "192.0.2.1"
MEMBER_ADDRESS = "192.0.2.10"
OUTSIDER_ADDRESS = "192.0.2.20"
CONNECT_TIMEOUT_S = 3.0

LISTENER = """
import socket, sys, threading
def serve(port):
    server = socket.create_server(("0.0.0.0", port))
    while True:
        connection, _ = server.accept()
        connection.close()
for port in map(int, sys.argv[1:]):
    threading.Thread(target=serve, args=(port,), daemon=True).start()
print("listening", flush=True)
threading.Event().wait(60)
"""

CONNECTOR = """
import socket, sys
source, target, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
try:
    socket.create_connection((target, port), timeout, source_address=(source, 0)).close()
    print("connected")
except OSError as error:
    print(type(error).__name__)
"""


def _ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=TIMEOUT_S)


@pytest.fixture
def namespaces():
    """A node and a peer namespace joined by a veth; the peer holds two addresses."""
    tag = str(os.getpid() % 100000)
    node, peer = "dfaasfw-n" + tag, "dfaasfw-p" + tag
    try:
        _ip("netns", "add", node)
        _ip("netns", "add", peer)
        _ip("link", "add", "dfwn" + tag, "type", "veth", "peer", "name", "dfwp" + tag)
    except subprocess.CalledProcessError as error:
        subprocess.run(["ip", "netns", "del", node], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", peer], capture_output=True, check=False)
        pytest.skip("cannot create network namespaces here: %s" % error.stderr)
    try:
        _ip("link", "set", "dfwn" + tag, "netns", node)
        _ip("link", "set", "dfwp" + tag, "netns", peer)
        _ip("-n", node, "addr", "add", NODE_ADDRESS + "/24", "dev", "dfwn" + tag)
        for address in (MEMBER_ADDRESS, OUTSIDER_ADDRESS):
            _ip("-n", peer, "addr", "add", address + "/24", "dev", "dfwp" + tag)
        for namespace, link in ((node, "dfwn" + tag), (peer, "dfwp" + tag)):
            _ip("-n", namespace, "link", "set", link, "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
        yield node, peer
    finally:
        subprocess.run(["ip", "netns", "del", node], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", peer], capture_output=True, check=False)


def _connect(peer, source, port):
    result = subprocess.run(
        ["ip", "netns", "exec", peer, sys.executable, "-c", CONNECTOR]
        + [source, NODE_ADDRESS, str(port), str(CONNECT_TIMEOUT_S)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    return result.stdout.strip()


def test_loaded_rules_let_members_only_reach_the_member_ports(
    collections_path, tmp_path, namespaces
):
    node, peer = namespaces
    rules = render_rules(collections_path, tmp_path, [22, 30080], member_addresses=[MEMBER_ADDRESS])
    subprocess.run(
        ["ip", "netns", "exec", node, "nft", "--file", str(rules)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT_S,
    )
    ports = [30080, 30443, 31600, 8080]
    listener = subprocess.Popen(
        ["ip", "netns", "exec", node, sys.executable, "-c", LISTENER] + [str(p) for p in ports],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stdout.readline().strip() == "listening"
        reached = {
            (who, port): _connect(peer, source, port)
            for who, source in (("member", MEMBER_ADDRESS), ("outsider", OUTSIDER_ADDRESS))
            for port in ports
        }
    finally:
        listener.kill()
        listener.wait(timeout=TIMEOUT_S)
    # A dropped SYN is never answered: the client times out rather than being refused.
    assert reached == {
        ("member", 30080): "connected",
        ("member", 30443): "connected",
        ("member", 31600): "connected",
        ("member", 8080): "TimeoutError",
        ("outsider", 30080): "connected",
        ("outsider", 30443): "TimeoutError",
        ("outsider", 31600): "TimeoutError",
        ("outsider", 8080): "TimeoutError",
    }
