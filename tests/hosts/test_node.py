# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What setup.yml and federate.yml left on each node, checked from inside the node.

pytest-testinfra over the inventory's own connections (OpenSSH or paramiko, a password,
become), for any inventory of SSH-reachable nodes: the SSH testbed, the VM testbed, real
VMs. Run with scripts/verify-hosts.sh INVENTORY. Each check reads what the inventory
asks for (firewall on or off, kernel settings applied or only written, the FaaS
provider) and asserts that the node really is so.
"""

from __future__ import annotations

import json
import shlex
import socket
from pathlib import Path

import httpx
import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
# Every role's defaults, read from the roles themselves (the names are role-prefixed, so
# they never collide); an inventory may override each, and the checks read the override.
ROLE_DEFAULTS = {
    name: value
    for defaults in sorted(ROLES.glob("*/defaults/main.yml"))
    for name, value in (yaml.safe_load(defaults.read_text(encoding="utf-8")) or {}).items()
}
PORT_NAMES = ("dfaas_node_public_port", "dfaas_node_peer_port", "dfaas_node_overlay_port")
FEDERATION_FACT = "/etc/ansible/facts.d/dfaas_federation.fact"
SSH_PORT = 22


_VARIABLES: dict[str, dict] = {}


def _variables(host):
    """The node's inventory variables (one ansible-inventory run per node)."""
    name = host.backend.get_hostname()
    if name not in _VARIABLES:
        _VARIABLES[name] = host.ansible.get_variables()
    return _VARIABLES[name]


def _setting(host, name, default=None):
    """The inventory's value of `name`, else its role's default, else `default`."""
    return _variables(host).get(name, ROLE_DEFAULTS.get(name, default))


def _ports(host):
    return {name: int(_setting(host, name)) for name in PORT_NAMES}


def _units(host):
    units = ["haproxy", "prometheus", "prometheus-node-exporter", "dfaas-agent"]
    if _setting(host, "dfaas_faas_provider", "local") == "local":
        units.append("dfaas-gateway")
    if _setting(host, "dfaas_prereq_firewall_enabled"):
        units.append("nftables")
    return units


def _federation(host):
    """The member list federate.yml left on the node (its local fact)."""
    fact = host.file(FEDERATION_FACT)
    assert fact.exists, f"{FEDERATION_FACT} is missing: has federate.yml run on this node?"
    return json.loads(fact.content_string)


def test_every_service_is_enabled_and_running(host):
    units = _units(host)
    enabled = host.run("systemctl is-enabled " + " ".join(units))
    active = host.run("systemctl is-active " + " ".join(units))
    states = {
        unit: (is_enabled, is_active)
        for unit, is_enabled, is_active in zip(
            units, enabled.stdout.split(), active.stdout.split(), strict=True
        )
    }
    wrong = {unit: state for unit, state in states.items() if state != ("enabled", "active")}
    assert not wrong, f"units not enabled and active: {wrong}"


def _listeners(host):
    """(address, port) of every listening TCP socket and bound UDP socket of the node."""
    listeners = set()
    for spec in host.socket.get_listening_sockets():
        protocol, address_port = spec.split("://", 1)
        if protocol not in ("tcp", "udp"):
            continue
        address, port = address_port.rsplit(":", 1)
        listeners.add((protocol, address.strip("[]"), int(port)))
    return listeners


def _is_loopback(address):
    return address.startswith("127.") or address == "::1"


def _haproxy_log_senders(host):
    """UDP ports of HAProxy's log senders: the kernel binds them to the wildcard address
    and a free port at the first log line (HAProxy cannot choose), and HAProxy never
    reads from them."""
    sockets = host.run("ss --udp --listening --numeric --processes --no-header")
    assert sockets.rc == 0, sockets.stderr
    senders = set()
    for line in sockets.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 6 and '(("haproxy",' in fields[5]:
            senders.add(int(fields[3].rpartition(":")[2]))
    return senders


def test_only_ssh_public_calls_and_member_ports_listen_beyond_loopback(host):
    ports = _ports(host)
    allowed = {SSH_PORT, *ports.values()}
    listeners = _listeners(host)
    log_senders = _haproxy_log_senders(host) - allowed
    public = {
        (protocol, address, port)
        for protocol, address, port in listeners
        if not _is_loopback(address) and not (protocol == "udp" and port in log_senders)
    }
    unexpected = {
        listener for listener in public if listener[0] != "tcp" or listener[2] not in allowed
    }
    assert not unexpected, (
        f"listening beyond loopback on {sorted(unexpected)}: only SSH ({SSH_PORT}), public calls "
        f"and the member ports {sorted(ports.values())} may (management stays on loopback)"
    )
    public_tcp_ports = {listener[2] for listener in public if listener[0] == "tcp"}
    missing = allowed - public_tcp_ports
    assert not missing, f"nothing listens beyond loopback on {sorted(missing)}"


def test_management_listens_on_loopback(host):
    """The agent's API, Prometheus, node-exporter and the local runtime: loopback only."""
    management = [
        "dfaas_node_agent_http_port",
        "dfaas_prometheus_port",
        "dfaas_prometheus_node_exporter_port",
    ]
    if _setting(host, "dfaas_faas_provider", "local") == "local":
        management.append("dfaas_gateway_port")
    listeners = _listeners(host)
    for name in management:
        port = int(_setting(host, name))
        addresses = {
            address for protocol, address, bound in listeners if protocol == "tcp" and bound == port
        }
        assert addresses, f"nothing listens on {port} ({name})"
        assert all(_is_loopback(address) for address in addresses), (
            f"{name} {port} listens on {sorted(addresses)}, not on loopback only"
        )


def _words(text):
    """A setting's value with its whitespace normalised (sysctl prints ranges with tabs)."""
    return " ".join(str(text).split())


def test_kernel_settings_are_kept_and_applied(host):
    wanted = {key: _words(value) for key, value in _setting(host, "dfaas_prereq_sysctl").items()}
    kept = host.file(_setting(host, "dfaas_prereq_sysctl_file"))
    assert kept.exists
    kept_lines = {
        line.partition("=")[0].strip(): _words(line.partition("=")[2])
        for line in kept.content_string.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert kept_lines == wanted
    if not _setting(host, "dfaas_prereq_sysctl_apply"):
        pytest.skip("dfaas_prereq_sysctl_apply is false here: the settings are only kept")
    running = host.run("sysctl --values " + " ".join(shlex.quote(key) for key in wanted))
    assert running.rc == 0, running.stderr
    values = [_words(line) for line in running.stdout.splitlines()]
    assert dict(zip(wanted, values, strict=True)) == wanted


def test_open_files_limit_of_login_sessions(host):
    nofile = int(_setting(host, "dfaas_prereq_nofile"))
    limits = host.file(_setting(host, "dfaas_prereq_limits_file"))
    entries = {
        tuple(line.split()[:3]): line.split()[3]
        for line in limits.content_string.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    assert entries.get(("*", "soft", "nofile")) == str(nofile)
    assert entries.get(("*", "hard", "nofile")) == str(nofile)


def _firewall_rules(host):
    listed = host.run("nft --json list table inet dfaas_filter")
    assert listed.rc == 0, f"the dfaas_filter table is not loaded: {listed.stderr}"
    return list(json.loads(listed.stdout)["nftables"])


def _set_values(value):
    if isinstance(value, dict) and "set" in value:
        return {_set_value(item) for item in value["set"]}
    return {_set_value(value)}


def _set_value(item):
    if isinstance(item, dict) and "prefix" in item:
        return f"{item['prefix']['addr']}/{item['prefix']['len']}"
    return item


def _accepted(rules):
    """Per accepting rule: (source addresses or None for anyone, TCP ports)."""
    accepted = []
    for rule in rules:
        expressions = rule.get("rule", {}).get("expr", [])
        if not any("accept" in expression for expression in expressions):
            continue
        sources, ports = None, set()
        for expression in expressions:
            match = expression.get("match")
            if not match:
                continue
            field = match["left"].get("payload", {}).get("field")
            if field == "saddr":
                sources = _set_values(match["right"])
            elif field == "dport":
                ports = _set_values(match["right"])
        if ports:
            accepted.append((sources, ports))
    return accepted


def test_the_firewall_lets_in_what_it_should_and_no_more(host):
    if not _setting(host, "dfaas_prereq_firewall_enabled"):
        pytest.skip("dfaas_prereq_firewall_enabled is false here")
    rules = _firewall_rules(host)
    chains = [item["chain"] for item in rules if "chain" in item]
    assert [(chain["name"], chain["hook"], chain["policy"]) for chain in chains] == [
        ("input", "input", "drop")
    ]
    ports = _ports(host)
    accepted = _accepted(rules)
    from_anyone = set().union(*[ports_ for sources, ports_ in accepted if sources is None])
    assert from_anyone == {SSH_PORT, ports["dfaas_node_public_port"]}
    members = {member["address"] for member in _federation(host)["members"]}
    member_ports = {ports["dfaas_node_peer_port"], ports["dfaas_node_overlay_port"]}
    from_members = [(sources, ports_) for sources, ports_ in accepted if sources is not None]
    assert from_members == [(members, member_ports)], (
        f"member ports {sorted(member_ports)} must be open to the members {sorted(members)} only"
    )


def test_every_member_reaches_the_others_member_ports(host):
    """Through both firewalls, over the network between the nodes."""
    own = _variables(host).get("dfaas_node_address")
    ports = _ports(host)
    others = [
        member["address"] for member in _federation(host)["members"] if member["address"] != own
    ]
    assert others, "no other member in the federation fact"
    for address in others:
        for port in (ports["dfaas_node_peer_port"], ports["dfaas_node_overlay_port"]):
            probe = host.run(f"timeout 5 bash -c '</dev/tcp/{shlex.quote(address)}/{port}'")
            assert probe.rc == 0, f"cannot reach member {address}:{port}: {probe.stderr}"


def _source_address_towards(address):
    """The controller's own address on the way to the node (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((address, 9))
        return probe.getsockname()[0]


def _connects(address, port):
    try:
        with socket.create_connection((address, port), timeout=3):
            return True
    except OSError:
        return False


def test_a_machine_outside_the_federation_reaches_only_ssh_and_public_calls(host):
    """From this controller, which is not a member: member ports closed, the rest open."""
    if not _setting(host, "dfaas_prereq_firewall_enabled"):
        pytest.skip("dfaas_prereq_firewall_enabled is false here")
    address = _variables(host)["dfaas_node_address"]
    members = {member["address"] for member in _federation(host)["members"]}
    if _source_address_towards(address) in members:
        pytest.skip("this controller is a member: it may reach the member ports")
    ports = _ports(host)
    assert _connects(address, SSH_PORT)
    assert _connects(address, ports["dfaas_node_public_port"])
    for name in ("dfaas_node_peer_port", "dfaas_node_overlay_port"):
        assert not _connects(address, ports[name]), (
            f"{address}:{ports[name]} ({name}) accepts a connection from outside the federation"
        )


def test_a_function_answers_on_the_public_port(host):
    """A real call from this controller, through the node's HAProxy, to figlet."""
    names = [function["name"] for function in _setting(host, "dfaas_functions_list")]
    if "figlet" not in names:
        pytest.skip("figlet is not among this inventory's functions")
    address = _variables(host)["dfaas_node_address"]
    port = _ports(host)["dfaas_node_public_port"]
    response = httpx.post(f"http://{address}:{port}/function/figlet", content=b"dfaas", timeout=10)
    assert response.status_code == 200, response.text
    assert "|" in response.text or "_" in response.text, f"not figlet's art: {response.text!r}"
