"""The reference forecaster answers the prototype's schema; the agent's client reads it
and names whatever is wrong with an answer."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator

import httpx
import pytest
import trio

from dfaas_agent.model import GroupLoad, ResourceUsage
from dfaas_agent.usage import ForecasterClient, ForecasterUnavailable
from dfaas_agent.usage.forecaster import parse_forecast
from dfaas_forecaster.cli import main
from dfaas_testing import free_port, start_process, stop_process, wait_until

COEFFICIENTS = [
    "--idle-cpu", "5", "--cpu-per-request", "4,2,0.5",
    "--idle-ram", "1000", "--ram-per-request", "100,10,1",
    "--idle-power", "700000", "--power-per-request", "10,5,1",
]  # fmt: skip


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).text == "DFaaS Forecaster ready."
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def forecaster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("forecaster") / "forecaster.log"
    command = [sys.executable, "-m", "dfaas_forecaster.cli", "--listen", f"127.0.0.1:{port}"]
    process = start_process([*command, *COEFFICIENTS], log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(url), "the forecaster to answer")
        yield url
    finally:
        stop_process(process)


def _forecast(url: str, load: GroupLoad) -> ResourceUsage:
    async def ask() -> ResourceUsage:
        client = ForecasterClient(url, node_type=1)
        try:
            return await client.forecast(load)
        finally:
            await client.aclose()

    return trio.run(ask)


@pytest.mark.component
def test_forecast_is_idle_usage_plus_each_groups_cost(forecaster_url: str) -> None:
    usage = _forecast(forecaster_url, GroupLoad(high=2.0, medium=10.0, low=4.0))

    assert usage == ResourceUsage(
        cpu_percent=5 + 2 * 4 + 10 * 2 + 4 * 0.5,
        ram_bytes=1000 + 2 * 100 + 10 * 10 + 4 * 1,
        power_microwatts=700000 + 2 * 10 + 10 * 5 + 4 * 1,
    )


@pytest.mark.component
def test_single_metric_endpoints_and_bad_loads(forecaster_url: str) -> None:
    body = {"rate_group_HIGH_USAGE": 1, "rate_group_MEDIUM_USAGE": 0, "node_type": 0}
    cpu = httpx.request("GET", f"{forecaster_url}/cpu_usage_node", json=body)
    negative = httpx.request(
        "GET", f"{forecaster_url}/node_usage", json={"rate_group_LOW_USAGE": -1}
    )
    bad_type = httpx.request("GET", f"{forecaster_url}/node_usage", json={"node_type": 7})
    garbage = httpx.request("GET", f"{forecaster_url}/node_usage", content=b"{not json")

    assert cpu.json() == [{"cpu_usage_node": 9.0}]
    assert (negative.status_code, negative.text) == (
        422,
        "rate_group_LOW_USAGE must be finite and >= 0, got -1\n",
    )
    assert bad_type.status_code == 422
    assert "node_type must be 0, 1 or 2" in bad_type.text
    assert garbage.status_code == 422


@pytest.mark.component
def test_a_forecaster_that_is_not_there_is_unavailable_naming_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ForecasterUnavailable, match=f"{url}/node_usage"):
        _forecast(url, GroupLoad())


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"cpu_usage_node": 1}, "expected a list of one object"),
        ([], "expected a list of one object"),
        ([{"cpu_usage_node": "high"}], "cpu_usage_node is not a number"),
        ([{"cpu_usage_node": True}], "cpu_usage_node is not a number"),
        ([{"ram_usage_node": -5}], "ram_usage_node must be finite and >= 0"),
        ([{"power_usage_node": math.inf}], "power_usage_node must be finite"),
        ([{"other": 1}], "predicts none of"),
    ],
)
def test_an_answer_that_is_no_forecast_is_refused_naming_the_problem(
    body: object, complaint: str
) -> None:
    with pytest.raises(ForecasterUnavailable, match=complaint):
        parse_forecast(body, "http://forecaster.test/node_usage")


def test_an_answer_with_cpu_only_leaves_the_rest_unknown() -> None:
    usage = parse_forecast([{"cpu_usage_node": 80.5, "ram_usage_node": None}], "x")
    assert usage == ResourceUsage(cpu_percent=80.5)


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--cpu-per-request", "1,2"], "is not HIGH,MEDIUM,LOW"),
        (["--idle-cpu", "-3"], "is not a number >= 0"),
        (["--ram-per-request", "1,x,2"], "is not HIGH,MEDIUM,LOW"),
    ],
)
def test_bad_coefficients_exit_2_naming_the_problem(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err
