# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The prereq role's nftables rules are a ruleset that nft accepts.

Molecule cannot load firewall rules inside a container, so the rendered file
is checked here: Ansible renders the role's template into a temporary folder
and `nft --check` parses it against the kernel without committing anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = COLLECTION_ROOT / "roles" / "prereq" / "templates" / "nftables.conf.j2"
TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(
    shutil.which("nft") is None or os.geteuid() != 0, reason="needs nft and root (nftables)"
)


def render_rules(tmp_path, ports):
    rules = tmp_path / "nftables.conf"
    task = {
        "name": "Render the firewall rules",
        "ansible.builtin.template": {"src": str(TEMPLATE), "dest": str(rules), "mode": "0644"},
    }
    play = {"name": "Render", "hosts": "localhost", "connection": "local", "gather_facts": False}
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([dict(play, tasks=[task])]))
    env = dict(
        os.environ,
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    variables = json.dumps({"dfaas_prereq_firewall_allowed_tcp_ports": ports})
    result = subprocess.run(
        [sys.executable, "-m", "ansible.cli.playbook", "-e", variables, str(playbook)],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT_S,
        check=False,
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


def test_rendered_rules_pass_nft_check(tmp_path):
    rules = render_rules(tmp_path, [22, 30080, 30443, 31600, 8080, 9090, 22])
    result = nft_check(rules)
    assert result.returncode == 0, result.stderr + rules.read_text()
    assert "tcp dport { 22, 8080, 9090, 30080, 30443, 31600 } accept" in rules.read_text()


def test_rules_replace_only_their_own_table(tmp_path):
    text = render_rules(tmp_path, [22]).read_text()
    assert "flush ruleset" not in text
    assert "flush table inet dfaas_filter" in text
