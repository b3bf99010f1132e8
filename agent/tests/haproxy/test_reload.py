"""Layout changes reload hitlessly; a refused configuration never replaces a good one."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from dfaas_agent.haproxy.controller import Applied, ReloadError
from dfaas_agent.haproxy.layout import FunctionSpec, PeerTls, ProxyLayout, ProxyTuning
from dfaas_agent.haproxy.render import TEMPLATE_NAME
from dfaas_agent.haproxy.validation import ConfigRejectedError

from .conftest import LOOPBACK, FakeGateway, HAProxyNode, free_port, run

pytestmark = pytest.mark.component

TEMPLATES = Path(__file__).parents[2] / "src" / "dfaas_agent" / "haproxy" / "templates"
MAX_REQUESTS = 3000
MAX_LOAD_SECONDS = 8.0


@pytest.fixture
def node(haproxy_factory: Callable[..., HAProxyNode], fake_gateway: FakeGateway) -> HAProxyNode:
    layout = ProxyLayout(
        node_id="QmNodeA",
        node_name="node-a",
        gateway_host=LOOPBACK,
        gateway_port=fake_gateway.port,
        functions=(FunctionSpec("figlet"),),
        bind_address=LOOPBACK,
        public_port=free_port(),
        peer_port=free_port(),
        exporter_port=free_port(),
    )
    return haproxy_factory(layout)


def with_function(layout: ProxyLayout, name: str) -> ProxyLayout:
    return replace(layout, functions=(*layout.functions, FunctionSpec(name)))


def test_layout_change_starts_a_new_worker_serving_it(
    node: HAProxyNode, http: httpx.Client
) -> None:
    old_pid = run(node.controller.runtime.show_info).pid
    result = run(node.controller.apply, with_function(node.layout, "shasum"), ProxyTuning())
    assert result.applied is Applied.RELOADED
    assert run(node.controller.runtime.show_info).pid != old_pid
    assert http.post(node.url("/function/shasum"), content=b"hi").status_code == 200


class BoundedLoad:
    """Sends requests on fresh connections from a thread until told to stop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answered = 0
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + MAX_LOAD_SECONDS
        no_keep_alive = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(timeout=5.0, limits=no_keep_alive) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                if self.answered + len(self.failed) >= MAX_REQUESTS:
                    break
                try:
                    status = client.post(self.url, content=b"hi").status_code
                except httpx.TransportError as error:
                    self.failed.append(repr(error))
                    continue
                if status == 200:
                    self.answered += 1
                else:
                    self.failed.append(f"HTTP {status}")

    def __enter__(self) -> BoundedLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=MAX_LOAD_SECONDS + 5)


def test_requests_sent_during_a_reload_are_all_answered(node: HAProxyNode) -> None:
    with BoundedLoad(node.url("/function/figlet")) as load:
        time.sleep(0.3)
        answered_before_reload = load.answered
        run(node.controller.apply, with_function(node.layout, "shasum"), ProxyTuning())
        answered_during_reload = load.answered - answered_before_reload
        time.sleep(0.3)
    print(
        f"\nhitless reload: {load.answered} answered in all, {answered_during_reload} while"
        f" reloading, {len(load.failed)} failed {load.failed[:3]}"
    )
    assert load.answered > 0
    assert load.failed == []


def test_config_refused_for_bad_data_leaves_the_old_one_serving(
    node: HAProxyNode, http: httpx.Client, tmp_path: Path
) -> None:
    live_config = node.files.config_file.read_text()
    old_pid = run(node.controller.runtime.show_info).pid
    missing = tmp_path / "missing.pem"
    bad_layout = replace(node.layout, tls=PeerTls(ca_file=missing, certificate_file=missing))
    with pytest.raises(ConfigRejectedError, match=r"missing\.pem"):
        run(node.controller.apply, bad_layout, ProxyTuning())
    assert node.files.config_file.read_text() == live_config
    assert run(node.controller.runtime.show_info).pid == old_pid
    assert http.post(node.url("/function/figlet"), content=b"hi").status_code == 200


def test_config_refused_for_a_bad_template_leaves_the_old_one_serving(
    node: HAProxyNode, http: httpx.Client, tmp_path: Path
) -> None:
    bad_templates = tmp_path / "templates"
    bad_templates.mkdir()
    template = (TEMPLATES / TEMPLATE_NAME).read_text()
    (bad_templates / TEMPLATE_NAME).write_text(
        template.replace(
            "    option forwardfor\n", "    option forwardfor\n    bogus-directive on\n"
        )
    )
    live_config = node.files.config_file.read_text()
    node.controller.template_dir = bad_templates
    with pytest.raises(ConfigRejectedError, match="bogus-directive"):
        run(node.controller.apply, with_function(node.layout, "shasum"), ProxyTuning())
    assert node.files.config_file.read_text() == live_config
    assert http.post(node.url("/function/figlet"), content=b"hi").status_code == 200


def test_reload_that_cannot_bind_raises_and_the_old_worker_keeps_serving(
    node: HAProxyNode, http: httpx.Client
) -> None:
    old_pid = run(node.controller.runtime.show_info).pid
    figlet_url = node.url("/function/figlet")
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken_port = squatter.getsockname()[1]
        moved = replace(node.layout, exporter_port=taken_port)
        with pytest.raises(ReloadError, match="could not start a worker"):
            run(node.controller.apply, moved, ProxyTuning())
    assert run(node.controller.runtime.show_info).pid == old_pid
    assert http.post(figlet_url, content=b"hi").status_code == 200
    assert node.controller.applied_layout is None
