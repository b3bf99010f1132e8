"""Parsing runtime API answers and computing rates from cumulative counters."""

from __future__ import annotations

import pytest

from dfaas_agent.haproxy.runtime_api import RuntimeApiError, batches
from dfaas_agent.haproxy.stats import (
    RequestCounters,
    RuntimeAnswerError,
    parse_show_map,
    parse_show_proc,
    parse_show_table,
    rates_between,
)

SHOW_PROC_AFTER_RELOAD = """\
#<PID>          <type>          <reloads>       <uptime>        <version>
4100            master          2 [failed: 1]   0d00h00m09s     2.6.12-1+deb12u4
# workers
4200            worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
4150            worker          1               0d00h00m09s     2.6.12-1+deb12u4
# programs

"""


def test_show_proc_separates_current_and_old_workers() -> None:
    processes = parse_show_proc(SHOW_PROC_AFTER_RELOAD)
    assert (processes.master_pid, [w.pid for w in processes.workers]) == (4100, [4200])
    assert [w.pid for w in processes.old_workers] == [4150]


def test_show_proc_reads_the_count_of_failed_reloads() -> None:
    assert parse_show_proc(SHOW_PROC_AFTER_RELOAD).failed_reloads == 1


def test_show_map_error_text_is_not_taken_for_entries() -> None:
    with pytest.raises(RuntimeAnswerError, match="unexpected show map line"):
        parse_show_map("Unknown map identifier. Please use #<id> or <file>.\n")


def test_rate_is_counter_delta_over_elapsed_time() -> None:
    earlier = RequestCounters(10.0, {"fn_figlet": 100}, {("fn_figlet", "local"): 40})
    later = RequestCounters(15.0, {"fn_figlet": 150}, {("fn_figlet", "local"): 45})
    rates = rates_between(earlier, later)
    assert (rates.backends["fn_figlet"], rates.servers[("fn_figlet", "local")]) == (10.0, 1.0)


def test_counter_that_went_down_gives_no_rate() -> None:
    earlier = RequestCounters(10.0, {"fn_figlet": 100}, {})
    later = RequestCounters(15.0, {"fn_figlet": 3}, {})
    assert "fn_figlet" not in rates_between(earlier, later).backends


def test_counters_taken_out_of_order_are_refused() -> None:
    counters = RequestCounters(10.0, {}, {})
    with pytest.raises(ValueError, match="in order"):
        rates_between(counters, counters)


SHOW_TABLE = """\
# table: peer_admissions, type: string, size:102400, used:2
0x55d2c0a1e9b0: key=figlet@QmNodeB use=0 exp=3598932 http_req_cnt=7 http_req_rate(1000)=2
0x55d2c0a1ea40: key=shasum@QmNodeC use=1 exp=3599000 http_req_cnt=12 http_req_rate(1000)=0

"""


def test_show_table_gives_each_entrys_integer_data_by_key() -> None:
    assert parse_show_table(SHOW_TABLE) == {
        "figlet@QmNodeB": {"use": 0, "exp": 3598932, "http_req_cnt": 7, "http_req_rate(1000)": 2},
        "shasum@QmNodeC": {"use": 1, "exp": 3599000, "http_req_cnt": 12, "http_req_rate(1000)": 0},
    }


def test_show_table_of_an_unknown_table_is_refused() -> None:
    with pytest.raises(RuntimeAnswerError, match="no table header"):
        parse_show_table("No such table.\n")


def test_table_counts_give_rates_like_the_other_counters() -> None:
    earlier = RequestCounters(0.0, {}, {}, {("client_requests", "figlet"): 10})
    later = RequestCounters(2.0, {}, {}, {("client_requests", "figlet"): 30})
    assert rates_between(earlier, later).tables == {("client_requests", "figlet"): 10.0}


def test_setters_are_batched_in_order_within_the_line_limit() -> None:
    commands = [f"set weight fn_f/member_{index} 10" for index in range(5)]  # 30 bytes each

    grouped = batches(commands, max_bytes=70)

    assert grouped == [commands[0:2], commands[2:4], commands[4:5]]
    assert [c for batch in grouped for c in batch] == commands
    assert all(len(";".join(batch)) <= 70 for batch in grouped)


def test_a_command_longer_than_the_limit_goes_alone_and_a_separator_is_refused() -> None:
    long_command = "set map /m.map " + "k" * 100 + " 1"
    assert batches(["a", long_command, "b"], max_bytes=50) == [["a"], [long_command], ["b"]]
    with pytest.raises(RuntimeApiError, match="separator"):
        batches(["set weight a/b 1;shutdown sessions"])
