"""Open-loop load generator: requests leave on schedule whether or not earlier ones finished.

Like k6's arrival-rate executors, the send times come from the schedule alone
(`schedule.send_times`). A bounded number of requests may be in flight; a
request due while that bound is reached is not sent and is recorded as
"dropped" by the generator, so a slow system under test never slows the
offered load down silently. Requests go only to the targets given.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import httpx
import trio

from dfaas_experiments.records import Outcome, RequestRecord, served_by
from dfaas_experiments.schedule import Segment, duration_of, request_count, send_times


@dataclass(frozen=True, slots=True)
class Stream:
    """One schedule of requests for one function, sent to one node."""

    node: str
    base_url: str
    function: str
    segments: Sequence[Segment]
    body: bytes = b"Hello DFaaS"

    @property
    def url(self) -> str:
        return f"{self.base_url.rstrip('/')}/function/{self.function}"


@dataclass(frozen=True, slots=True)
class Limits:
    max_in_flight: int = 1000
    timeout_s: float = 8.0
    """Per request, as k6's 8 s in the prototype's tests."""
    max_requests: int = 1_000_000
    max_duration_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")


@dataclass(slots=True)
class Progress:
    elapsed_s: float = 0.0
    due: int = 0
    """Requests whose send time has come (sent or dropped)."""
    total: int = 0
    in_flight: int = 0
    ok: int = 0
    failed: int = 0
    dropped: int = 0

    def line(self) -> str:
        return (
            f"t={self.elapsed_s:7.1f}s due={self.due}/{self.total} in_flight={self.in_flight} "
            f"ok={self.ok} failed={self.failed} dropped={self.dropped}"
        )


ProgressCallback = Callable[[Progress], None]


def check_bounds(streams: Sequence[Stream], limits: Limits) -> int:
    """Number of requests the run will offer; ValueError when it exceeds the limits."""
    if not streams:
        raise ValueError("no stream to send: give at least one target and schedule")
    total = sum(request_count(stream.segments) for stream in streams)
    if total > limits.max_requests:
        raise ValueError(
            f"the schedule has {total} requests, over max_requests={limits.max_requests}"
        )
    longest = max(duration_of(stream.segments) for stream in streams)
    if longest > limits.max_duration_s:
        raise ValueError(
            f"the schedule lasts {longest:g} s, over max_duration_s={limits.max_duration_s:g}"
        )
    for stream in streams:
        url = httpx.URL(stream.base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"target {stream.node!r}: {stream.base_url!r} is not an http(s) URL")
    return total


def _merged(streams: Sequence[Stream]) -> Iterator[tuple[float, int]]:
    """(send time, stream index) of every request of every stream, in time order."""
    # zip binds each stream's index now; a generator expression closing over `index`
    # would read it only when consumed, after the loop moved on to the last stream.
    per_stream = [
        zip(send_times(stream.segments), itertools.repeat(index))
        for index, stream in enumerate(streams)
    ]
    return heapq.merge(*per_stream)


KEEPALIVE_EXPIRY_S = 2.0
"""An idle connection is closed by us before a server closes it: a server closing one at
the instant we send on it fails that request (RemoteProtocolError; a POST is not retried).
HAProxy's nodes keep idle connections 5 s, the same as httpx's default."""

SLACK_S = 30.0
"""How late the last request may finish past its schedule and timeout."""


@dataclass(slots=True)
class _Run:
    """State shared by the sender loop and the requests in flight."""

    client: httpx.AsyncClient
    start: float
    progress: Progress
    records: list[RequestRecord] = field(default_factory=list)

    def drop(self, stream: Stream, scheduled_s: float) -> None:
        self.progress.dropped += 1
        self.records.append(
            RequestRecord(
                scheduled_s=scheduled_s,
                sent_s=None,
                node=stream.node,
                function=stream.function,
                outcome=Outcome.DROPPED,
            )
        )

    async def send(self, stream: Stream, scheduled_s: float, timeout_s: float) -> None:
        sent = trio.current_time()
        try:
            # httpx's timeout bounds each read, not the whole exchange: bound it here.
            with trio.fail_after(timeout_s):
                response = await self.client.post(stream.url, content=stream.body)
        except (httpx.HTTPError, trio.TooSlowError) as error:
            self.progress.failed += 1
            self.records.append(
                RequestRecord(
                    scheduled_s=scheduled_s,
                    sent_s=sent - self.start,
                    node=stream.node,
                    function=stream.function,
                    outcome=Outcome.ERROR,
                    latency_ms=(trio.current_time() - sent) * 1000,
                    error="Timeout"
                    if isinstance(error, trio.TooSlowError)
                    else type(error).__name__,
                )
            )
            return
        finally:
            self.progress.in_flight -= 1
        latency_ms = (trio.current_time() - sent) * 1000
        headers = {name.lower(): value for name, value in response.headers.items()}
        ok = 200 <= response.status_code < 300
        if ok:
            self.progress.ok += 1
        else:
            self.progress.failed += 1
        self.records.append(
            RequestRecord(
                scheduled_s=scheduled_s,
                sent_s=sent - self.start,
                node=stream.node,
                function=stream.function,
                outcome=Outcome.OK if ok else Outcome.HTTP_ERROR,
                status=response.status_code,
                latency_ms=latency_ms,
                served_by=served_by(headers),
                x_server=headers.get("x-server", ""),
                dfaas_node_id=headers.get("dfaas-node-id", ""),
                x_served_by=headers.get("x-served-by", ""),
                forwarded_to=headers.get("dfaas-forwarded-to", ""),
                refused=headers.get("dfaas-refused", ""),
            )
        )

    async def report_every_second(self, callback: ProgressCallback) -> None:
        while True:
            await trio.sleep(1.0)
            self.progress.elapsed_s = trio.current_time() - self.start
            callback(self.progress)


StopCheck = Callable[[], bool]
"""Asked before each request is sent: True ends the schedule there (the test that drives
a load decides when its event is over, instead of guessing a duration)."""


async def _send_on_schedule(
    run: _Run, streams: Sequence[Stream], limits: Limits, stop: StopCheck | None
) -> None:
    async with trio.open_nursery() as in_flight:
        for scheduled_s, index in _merged(streams):
            await trio.sleep_until(run.start + scheduled_s)
            if stop is not None and stop():
                break  # the requests in flight still finish and are recorded
            run.progress.due += 1
            if run.progress.in_flight >= limits.max_in_flight:
                run.drop(streams[index], scheduled_s)
                continue
            run.progress.in_flight += 1
            in_flight.start_soon(run.send, streams[index], scheduled_s, limits.timeout_s)


async def run_load(
    streams: Sequence[Stream],
    limits: Limits,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[], object] | None = None,
    stop: StopCheck | None = None,
) -> list[RequestRecord]:
    """Send every stream's requests on schedule; one record per scheduled request.

    `on_start` is called at the instant that the records' times count from. When `stop`
    returns True the schedule ends early: one record per request scheduled until then."""
    progress = Progress(total=check_bounds(streams, limits))
    pool = httpx.Limits(
        max_connections=limits.max_in_flight,
        max_keepalive_connections=limits.max_in_flight,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
    )
    # The overall bound: every request has finished or timed out by then (each is bounded
    # by its timeout), with room for a generator that a busy machine made send late.
    deadline = max(duration_of(s.segments) for s in streams) + limits.timeout_s + SLACK_S
    async with httpx.AsyncClient(
        timeout=limits.timeout_s, limits=pool, headers={"User-Agent": "dfaas-experiments"}
    ) as client:
        run = _Run(client=client, start=trio.current_time(), progress=progress)
        if on_start is not None:
            on_start()
        try:
            with trio.fail_after(deadline):
                async with trio.open_nursery() as tasks:
                    if on_progress is not None:
                        tasks.start_soon(run.report_every_second, on_progress)
                    await _send_on_schedule(run, streams, limits, stop)
                    tasks.cancel_scope.cancel()
        except trio.TooSlowError:
            raise TimeoutError(
                f"the run did not finish within {deadline:g} s (schedule + timeout + {SLACK_S:g} s)"
            ) from None
    if on_progress is not None:
        progress.elapsed_s = trio.current_time() - run.start
        on_progress(progress)
    run.records.sort(key=lambda record: record.scheduled_s)
    return run.records
