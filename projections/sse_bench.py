"""SSE fan-out benchmark (for ``wss bench sse``): N loopback clients, p99 tick latency.

Self-contained: starts an embedded nats-server (unless given a URL), a season event
stream, an ``SseHub`` and a uvicorn server in this process, connects N raw-socket SSE
clients to the ``tick`` channel, publishes ``TickClosed`` events and measures, per client
and tick, the time from just before the publish to the frame's arrival.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from nats.js import JetStreamContext, api
from starlette.applications import Starlette
from starlette.routing import Route

from projections.sse_hub import SseHub, sse_endpoint
from schemas.events import TickClosed
from wss.natsserver import EmbeddedNats, connect, free_port
from wss.streams import SeasonStreams

LOOPBACK = "127.0.0.1"


@contextlib.asynccontextmanager
async def running_server(app: Starlette, startup_seconds: float = 10.0) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host=LOOPBACK, port=port, log_level="warning", lifespan="off", backlog=4096
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(startup_seconds):
            while not server.started:
                if task.done():
                    task.result()  # surfaces the startup error
                await asyncio.sleep(0.01)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True  # open SSE streams must not hold the shutdown
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def create_event_stream(js: JetStreamContext, season: str) -> SeasonStreams:
    """The season's event stream as the engine creates it (file storage)."""
    streams = SeasonStreams(season)
    await js.add_stream(
        name=streams.event_stream,
        subjects=[streams.event_subjects],
        storage=api.StorageType.FILE,
    )
    return streams


class Tally:
    """Counts arrivals per id; wakes the waiter when every client has one."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.counts: dict[int, int] = {}
        self.complete: dict[int, asyncio.Event] = {}

    def event(self, seq: int) -> asyncio.Event:
        return self.complete.setdefault(seq, asyncio.Event())

    def arrived(self, seq: int) -> None:
        count = self.counts[seq] = self.counts.get(seq, 0) + 1
        if count >= self.clients:
            self.event(seq).set()


@dataclass
class RawSseClient:
    """A minimal SSE reader over a raw socket: records (id, arrival) of each frame."""

    port: int
    path: str
    tally: Tally | None = None
    arrivals: dict[int, float] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(LOOPBACK, self.port)
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nAccept: text/event-stream\r\n\r\n"
        )
        self._writer.write(request.encode())
        await self._writer.drain()
        status = await self._reader.readline()
        if b" 200 " not in status:
            raise ConnectionError(f"SSE connect failed: {status!r}")
        while await self._reader.readline() not in (b"\r\n", b""):
            pass

    async def run(self) -> None:
        assert self._reader is not None
        # uvicorn sends each frame as one chunk, so lines never straddle chunk headers.
        while line := await self._reader.readline():
            if line.startswith(b"id: "):
                seq = int(line[4:])
                self.arrivals[seq] = time.perf_counter()
                if self.tally is not None:
                    self.tally.arrived(seq)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def bench_sse(
    clients: int = 1_000, ticks: int = 20, nats_url: str | None = None
) -> tuple[int, float]:
    """(clients, p99 publish-to-receipt latency in ms) over ``ticks`` TickClosed events."""
    return asyncio.run(_bench(clients, ticks, nats_url))


async def _bench(clients: int, ticks: int, nats_url: str | None) -> tuple[int, float]:
    with contextlib.ExitStack() as stack:
        if nats_url is None:
            home = stack.enter_context(tempfile.TemporaryDirectory(prefix="wss-bench-sse-"))
            nats_url = stack.enter_context(EmbeddedNats(home)).url
        return await _bench_on(clients, ticks, nats_url)
    raise AssertionError("unreachable")


async def _bench_on(clients: int, ticks: int, nats_url: str) -> tuple[int, float]:
    nc = await connect(nats_url, name="wss-bench-sse")
    js = nc.jetstream()
    season = f"bench{int(time.time() * 1000) % 10**9}"
    streams = await create_event_stream(js, season)
    hub = SseHub(js, season, queue_size=max(1_024, ticks * 2))
    await hub.start()
    app = Starlette(routes=[Route("/sse", sse_endpoint(hub))])
    readers: list[RawSseClient] = []
    tally = Tally(clients)
    tasks: list[asyncio.Task[None]] = []
    try:
        async with running_server(app) as base:
            port = int(base.rsplit(":", 1)[1])
            for _ in range(clients):
                client = RawSseClient(port, "/sse?channels=tick", tally)
                await client.connect()
                readers.append(client)
                tasks.append(asyncio.create_task(client.run()))
            # Every client registered with the hub before the first publish.
            async with asyncio.timeout(30):
                while len(hub.subscribers) < clients:  # noqa: ASYNC110 - polls another layer
                    await asyncio.sleep(0.01)
            sent: dict[int, float] = {}
            for tick in range(1, ticks + 1):
                event = TickClosed(
                    tick=tick,
                    sim_time="",
                    first_command_seq=0,
                    last_command_seq=0,
                    commands=0,
                    events=0,
                    state_hash="",
                )
                started = time.perf_counter()
                ack = await js.publish(
                    streams.event_subject(event.type),
                    event.model_dump_json().encode(),
                    stream=streams.event_stream,
                )
                sent[ack.seq] = started
                # Let the tick fan out before the next one, as a paced engine would.
                await asyncio.wait_for(tally.event(ack.seq).wait(), 30)
            latencies = sorted(
                (r.arrivals[seq] - t0) * 1_000 for r in readers for seq, t0 in sent.items()
            )
            await hub.stop()
    finally:
        for client in readers:
            client.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await hub.stop()
        await js.delete_stream(streams.event_stream)
        await nc.close()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return clients, p99
