"""`dfaas-agent run`: build the real adapters from the configuration and run until a signal."""

from __future__ import annotations

import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio

from dfaas_agent.agent import Agent
from dfaas_agent.config import AgentConfig, ConfigError
from dfaas_agent.function_runtime import GatewayClient
from dfaas_agent.haproxy import HAProxyController
from dfaas_agent.identity import Identity
from dfaas_agent.loop.configuration import ConfigurationRecord
from dfaas_agent.loop.conversions import peer_tls, proxy_files
from dfaas_agent.metrics import AgentMetrics
from dfaas_agent.overlay import BackoffPolicy, Overlay, OverlaySettings, libp2p_overlay
from dfaas_agent.policy.client import PolicyClient
from dfaas_agent.service.kept_overlay import KeptOverlay
from dfaas_agent.service.reload import Loader, RunInputs, note_reload, reloaded
from dfaas_agent.strategies import spec_of
from dfaas_agent.usage import CgroupUsage, ForecasterClient, PrometheusClient

log = logging.getLogger(__name__)


def overlay_settings(config: AgentConfig, identity: Identity) -> OverlaySettings:
    """The overlay's settings; a bootstrap peer that is not a member is a config error."""
    try:
        return OverlaySettings(
            key=identity.private_key,
            members=config.member_ids,
            listen=config.listen,
            bootstrap=config.bootstrap_peers if config.bootstrap_enabled else (),
            topic=config.pubsub_topic,
            rendezvous=config.rendezvous if config.kademlia_enabled else None,
            discovery_interval_s=config.kademlia_idle_time,
            backoff=BackoffPolicy(
                initial_s=config.bootstrap_backoff, cap_s=config.bootstrap_backoff_max
            ),
        )
    except ValueError as error:
        raise ConfigError(f"config: {' '.join(str(error).split())}") from None


def check_forwarding(config: AgentConfig) -> None:
    """Members without the federation TLS files could never be forwarded to: refuse early."""
    if not config.members or not spec_of(config.strategy).forwards:
        return
    if peer_tls(config) is not None:
        return
    missing = "peer_ca_file" if config.haproxy.peer_ca_file is None else "peer_certificate_file"
    raise ConfigError(
        f"config: haproxy.{missing}: required with members (forwarding uses mutual TLS)"
    )


def prepare(config: AgentConfig, identity: Identity) -> OverlaySettings:
    """Every check that needs no I/O, before anything starts; `ConfigError` names the key."""
    check_forwarding(config)
    config.gateway_auth()  # an unreadable password file stops the start, naming the key
    return overlay_settings(config, identity)


@asynccontextmanager
async def real_agent(
    inputs: RunInputs,
    metrics: AgentMetrics,
    configuration: ConfigurationRecord | None = None,
    overlay: Overlay | None = None,
) -> AsyncIterator[Agent]:
    """The agent with its real adapters; HTTP clients are closed on exit.

    `metrics` and `overlay` (joined already, or None: the agent joins its own) outlive
    the agent: a reload starts a new agent, and counters and connections must not reset.
    """
    config = inputs.config
    gateway = GatewayClient(config.gateway_url, auth=config.gateway_auth())
    usage = (
        CgroupUsage(config.cgroup_root)
        if config.node_usage == "cgroup"
        else PrometheusClient(config.prometheus_url)
    )
    forecaster = (
        None
        if config.forecaster_url is None
        else ForecasterClient(config.forecaster_url, node_type=config.node_margin.node_type)
    )
    policy = (
        PolicyClient(config.external.url, timeout_s=config.external.timeout)
        if config.strategy == "external" and config.external.url is not None
        else None
    )
    files = proxy_files(config)
    try:
        yield Agent(
            config,
            peer_id=inputs.identity.peer_id,
            overlay=libp2p_overlay(inputs.settings) if overlay is None else overlay,
            haproxy=HAProxyController(files, haproxy_binary=str(config.haproxy.binary)),
            gateway=gateway,
            usage=usage,
            metrics=metrics,
            last_plan_file=files.last_plan_file,
            forecaster=forecaster,
            configuration=configuration,
            policy=policy,
        )
    finally:
        with trio.CancelScope(shield=True):
            await gateway.aclose()
            await usage.aclose()
            if forecaster is not None:
                await forecaster.aclose()
            if policy is not None:
                await policy.aclose()


class StartFailed(Exception):
    """The agent stopped before it was serving (a taken port, an unreadable file)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True)
class _Service:
    """What outlives each agent of one `run`: its overlay, counters, reload record."""

    overlay: KeptOverlay
    metrics: AgentMetrics
    configuration: ConfigurationRecord
    signals: AsyncIterator[int]
    reload: Loader | None


async def run_until_signal(first: RunInputs, reload: Loader | None = None) -> None:
    """Run the agent until SIGINT or SIGTERM; on SIGHUP apply a changed configuration.

    A reloaded configuration whose agent cannot start (its new port is taken) gives way
    to the previous one, so that a reload never leaves the node without an agent. The
    overlay is kept across reloads that change only the member list (`KeptOverlay`).
    """
    watched = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if reload else ())
    with trio.open_signal_receiver(*watched) as signals:
        async with KeptOverlay(libp2p_overlay) as overlay:
            service = _Service(
                overlay, AgentMetrics(), ConfigurationRecord(first.file_sha256), signals, reload
            )
            await _serve_until_stopped(first, service)


async def _serve_until_stopped(first: RunInputs, service: _Service) -> None:
    inputs: RunInputs | None = first
    previous: RunInputs | None = None
    while inputs is not None:
        try:
            following = await _serve(inputs, service)
        except StartFailed as failed:
            if previous is None:
                raise failed.cause from None
            failure = failed
        else:
            inputs, previous = following, inputs
            continue
        _note_fallback(failure, previous, service)
        inputs, previous = previous, None


def _note_fallback(failure: StartFailed, previous: RunInputs, service: _Service) -> None:
    log.error("the reloaded configuration cannot start (%s): back to the previous one", failure)
    problem = f"cannot start with the new configuration: {failure}"
    note_reload(service.configuration, service.metrics, "failed", previous.file_sha256, problem)


async def _serve(inputs: RunInputs, service: _Service) -> RunInputs | None:
    """Run one agent until a signal; the inputs to start next (SIGHUP), or None to stop."""
    serving = False
    try:
        joined = await service.overlay.joined(inputs.settings)
        async with (
            real_agent(inputs, service.metrics, service.configuration, joined) as agent,
            trio.open_nursery() as nursery,
        ):
            await nursery.start(agent.run)
            serving = True
            async for received in service.signals:
                if received == signal.SIGHUP and service.reload is not None:
                    following = await reloaded(
                        inputs, service.reload, service.configuration, service.metrics
                    )
                    if following is None:
                        continue
                    nursery.cancel_scope.cancel()
                    return following
                log.info("%s received: stopping", signal.Signals(received).name)
                nursery.cancel_scope.cancel()
                break
    except Exception as error:
        if serving:
            raise
        raise StartFailed(_innermost(error)) from error
    return None


def _innermost(error: BaseException) -> BaseException:
    """The first non-group exception inside trio's exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level != "debug":
        # py-libp2p logs routine failures (refused dials, closed streams) at ERROR.
        logging.getLogger("libp2p").setLevel(logging.CRITICAL)
        # One line per HTTP request to the gateway and Prometheus would drown the iterations.
        logging.getLogger("httpx").setLevel(logging.WARNING)
