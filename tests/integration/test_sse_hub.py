"""The SSE hub against a real nats-server and a real uvicorn server on loopback.

Needs the session fixture ``nats_url``: run with ``-p tests.fixtures.nats``.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from itertools import count

import httpx
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from projections.sse_bench import create_event_stream, running_server
from projections.sse_hub import SseHub, sse_endpoint
from projections.visibility import PUBLIC_TRADE_FIELDS, channels_of
from schemas.enums import Intent, OrderType, Side
from schemas.events import BarClosed, Event, OrderAccepted, TickClosed, TradeExecuted
from wss.natsserver import connect
from wss.streams import SeasonStreams

_seasons = count(1)


@dataclass(frozen=True)
class Frame:
    id: int | None
    event: str
    data: str


async def frames(response: httpx.Response) -> AsyncIterator[Frame]:
    """Parse an SSE body into frames (comments/pings skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "event" in fields or "data" in fields:
                raw_id = fields.get("id")
                yield Frame(
                    int(raw_id) if raw_id else None, fields.get("event", ""), fields.get("data", "")
                )
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


def tick(t: int) -> TickClosed:
    return TickClosed(
        tick=t,
        sim_time="",
        first_command_seq=0,
        last_command_seq=0,
        commands=0,
        events=0,
        state_hash=f"h{t}",
    )


def bar(t: int, symbol: str) -> BarClosed:
    return BarClosed(
        tick=t,
        symbol=symbol,
        open=100,
        high=110,
        low=90,
        close=105,
        volume=10,
        notional=1_050,
        trades=2,
    )


def trade(t: int, symbol: str, buyer: str, seller: str) -> TradeExecuted:
    return TradeExecuted(
        tick=t,
        trade_id=t,
        symbol=symbol,
        price=100,
        quantity=5,
        buy_order_id=1,
        sell_order_id=2,
        buyer_id=buyer,
        seller_id=seller,
        buyer_fee=0,
        seller_fee=0,
        aggressor=Side.BUY,
    )


def accepted(t: int, agent: str) -> OrderAccepted:
    return OrderAccepted(
        tick=t,
        command_id=f"c{t}",
        order_id=t,
        agent_id=agent,
        symbol="APEX",
        intent=Intent.BUY,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=1,
        price=100,
        reserved=100,
    )


def tick_events(t: int) -> list[Event]:
    return [
        accepted(t, "ext"),
        accepted(t, "other"),
        trade(t, "APEX", "ext", "mm"),
        trade(t, "BOLT", "other", "mm"),
        bar(t, "APEX"),
        bar(t, "BOLT"),
        tick(t),
    ]


class Season:
    def __init__(self, js: JetStreamContext, streams: SeasonStreams) -> None:
        self.js = js
        self.streams = streams
        self.log: list[tuple[int, Event]] = []

    async def publish(self, events: Sequence[Event], window: int = 1) -> None:
        """Publish in order; ``window`` > 1 keeps that many publishes in flight."""
        for i in range(0, len(events), window):
            chunk = events[i : i + window]
            acks = await asyncio.gather(
                *(
                    self.js.publish(
                        self.streams.event_subject(event.type),
                        event.model_dump_json().encode(),
                        stream=self.streams.event_stream,
                    )
                    for event in chunk
                )
            )
            self.log.extend((ack.seq, event) for ack, event in zip(acks, chunk, strict=True))

    def expected(self, channels: set[str]) -> list[int]:
        return [seq for seq, event in self.log if channels & channels_of(event)]


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await connect(nats_url, name="test-sse")
    yield client
    await client.close()


@pytest.fixture
async def season(nc: Client) -> AsyncIterator[Season]:
    js = nc.jetstream()
    streams = await create_event_stream(js, f"sse{next(_seasons)}")
    yield Season(js, streams)
    await js.delete_stream(streams.event_stream)


def authorize(request: Request, agent_id: str) -> bool:
    return request.headers.get("x-agent") == agent_id


@dataclass
class Served:
    hub: SseHub
    url: str


@pytest.fixture
async def served(season: Season, request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    queue_size = getattr(request, "param", 1_024)
    hub = SseHub(season.js, season.streams.season, queue_size=queue_size)
    await hub.start()
    app = Starlette(routes=[Route("/sse", sse_endpoint(hub, authorize))])
    try:
        async with running_server(app) as base:
            yield Served(hub, f"{base}/sse")
            await hub.stop()
    finally:
        await hub.stop()


async def until(condition: object, seconds: float = 10.0) -> None:
    assert callable(condition)
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the state lives in another layer
            await asyncio.sleep(0.01)


async def test_resume_with_last_event_id_gets_every_event_once_in_order(
    season: Season, served: Served
) -> None:
    channels = {"tick", "market:APEX", "agent:ext"}
    query = {"channels": ",".join(sorted(channels))}
    headers = {"x-agent": "ext"}
    await season.publish([e for t in range(1, 6) for e in tick_events(t)])  # history
    received: list[int] = []
    async with httpx.AsyncClient(timeout=10) as http:
        # First connection: from the start of the log, then live; drop mid-way.
        async with http.stream(
            "GET", served.url, params={**query, "last_event_id": "0"}, headers=headers
        ) as response:
            assert response.status_code == 200
            live_sent = False
            async for f in frames(response):
                received.append(f.id or 0)
                if len(received) == 10 and not live_sent:
                    live_sent = True
                    await season.publish([e for t in range(6, 9) for e in tick_events(t)])
                if len(received) == 25:
                    break  # disconnect mid-stream (some live events still unread)
        # Events published while disconnected.
        await season.publish([e for t in range(9, 13) for e in tick_events(t)])
        expected = season.expected(channels)
        async with http.stream(
            "GET",
            served.url,
            params=query,
            headers={**headers, "Last-Event-ID": str(received[-1])},
        ) as response:
            assert response.status_code == 200
            topped_up = False
            async for f in frames(response):
                received.append(f.id or 0)
                if len(received) == len(expected) - 4 and not topped_up:
                    topped_up = True
                    # Live again after the replay: more events on the live path.
                    await season.publish(tick_events(13))
                    expected = season.expected(channels)
                if received[-1] >= expected[-1]:
                    break
    assert received == expected
    assert len(set(received)) == len(received)


async def test_live_leaderboard_and_public_channels(season: Season, served: Served) -> None:
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", served.url, params={"channels": "leaderboard,trades"}) as response,
    ):
        await until(lambda: len(served.hub.subscribers) == 1)
        await season.publish(tick_events(1))
        got = []
        async for f in frames(response):
            got.append(f)
            if f.event == "Leaderboard":
                break
    assert [f.event for f in got] == ["TradeExecuted", "TradeExecuted", "Leaderboard"]
    board = json.loads(got[-1].data)
    assert board["tick"] == 1
    assert {row["agent_id"] for row in board["top"]} >= {"ext", "mm", "other"}


@pytest.mark.parametrize("served", [32], indirect=True)
async def test_slow_client_is_dropped_without_slowing_others(
    season: Season, served: Served
) -> None:
    port = int(served.url.split(":")[2].split("/")[0])
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        await _slow_and_fast(season, served, slow, port)
    finally:
        slow.close()


async def _slow_and_fast(season: Season, served: Served, slow: socket.socket, port: int) -> None:
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills fast
    slow.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(slow, ("127.0.0.1", port))
    await loop.sock_sendall(slow, b"GET /sse?channels=market HTTP/1.1\r\nHost: x\r\n\r\n")
    await until(lambda: len(served.hub.subscribers) == 1)

    # Enough to fill the socket buffers between the server and a reader that stopped.
    bars = [bar(t, "APEX") for t in range(1, 20_001)]
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", served.url, params={"channels": "market"}) as response,
    ):
        await until(lambda: len(served.hub.subscribers) == 2)
        publisher = asyncio.create_task(season.publish(bars, window=200))
        fast = 0
        async for f in frames(response):
            assert f.event == "BarClosed"
            fast += 1
            if fast == len(bars):
                break
        await publisher
    assert served.hub.dropped == 1  # the slow one, while the fast one got everything

    # The slow client, reading at last, finds its buffered events, then the reason.
    tail = b""
    async with asyncio.timeout(10):
        while not tail.endswith(b"0\r\n\r\n"):  # end of the chunked response
            chunk = await loop.sock_recv(slow, 65536)
            if not chunk:
                break
            tail = (tail + chunk)[-4096:]
    assert b'event: error\r\ndata: {"error": "slow_consumer"' in tail


async def test_private_channel_needs_authorization(season: Season, served: Served) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        denied = await http.get(
            served.url, params={"channels": "tick,agent:ext"}, headers={"x-agent": "other"}
        )
        assert denied.status_code == 403
        assert denied.json() == {
            "error": "forbidden",
            "detail": "channel 'agent:ext' is private: it needs that agent's API key",
        }
        anonymous = await http.get(served.url, params={"channels": "agent:ext"})
        assert anonymous.status_code == 403
        bad = await http.get(served.url, params={"channels": "fundamentals"})
        assert bad.status_code == 400

        await season.publish(tick_events(1))
        async with http.stream(
            "GET",
            served.url,
            params={"channels": "agent:ext", "last_event_id": "0"},
            headers={"x-agent": "ext"},
        ) as response:
            assert response.status_code == 200
            got = []
            async for f in frames(response):
                got.append(f)
                if len(got) == 2:
                    break
    assert [f.event for f in got] == ["OrderAccepted", "TradeExecuted"]
    assert all("other" not in f.data or "mm" in f.data for f in got)
    assert json.loads(got[0].data)["agent_id"] == "ext"


async def test_resume_replays_a_bounded_gap_and_says_what_it_skipped(season: Season) -> None:
    hub = SseHub(season.js, season.streams.season, max_replay=10)
    await season.publish([e for t in range(1, 6) for e in tick_events(t)])
    await hub.start()
    app = Starlette(routes=[Route("/sse", sse_endpoint(hub, authorize))])
    try:
        async with (
            running_server(app) as base,
            httpx.AsyncClient(timeout=10) as http,
            http.stream(
                "GET", f"{base}/sse", params={"channels": "tick,market", "last_event_id": "1"}
            ) as response,
        ):
            got = []
            async for f in frames(response):
                got.append(f)
                if f.id == hub.last_seq:
                    break
    finally:
        await hub.stop()
    last = hub.last_seq
    assert got[0].event == "error"
    assert json.loads(got[0].data)["error"] == "resume_gap_too_large"
    assert f"events 2..{last - 10} are skipped" in json.loads(got[0].data)["detail"]
    replayed = [f.id for f in got[1:]]
    wanted = {"tick", "market"}
    assert replayed == [seq for seq in season.expected(wanted) if seq > last - 10]


async def test_public_trades_never_name_counterparties(season: Season, served: Served) -> None:
    """``trades`` and ``market:SYM`` carry the public view of a fill; its parties get the
    whole fill on their own channel, once, even when also subscribed to ``trades``."""
    async with httpx.AsyncClient(timeout=10) as http:
        streams = [
            http.stream("GET", served.url, params={"channels": "trades,market:APEX"}),
            http.stream(
                "GET",
                served.url,
                params={"channels": "trades,agent:ext"},
                headers={"x-agent": "ext"},
            ),
        ]
        async with streams[0] as public, streams[1] as own:
            await until(lambda: len(served.hub.subscribers) == 2)
            await season.publish(tick_events(1))
            got: dict[str, list[Frame]] = {"public": [], "own": []}
            for name, response in (("public", public), ("own", own)):
                async for f in frames(response):
                    got[name].append(f)
                    if (
                        f.event == "TradeExecuted"
                        and len([g for g in got[name] if g.event == "TradeExecuted"]) == 2
                    ):
                        break
    public_trades = [json.loads(f.data) for f in got["public"] if f.event == "TradeExecuted"]
    assert [list(t) for t in public_trades] == [list(PUBLIC_TRADE_FIELDS)] * 2
    assert {t["symbol"] for t in public_trades} == {"APEX", "BOLT"}
    own = [json.loads(f.data) for f in got["own"] if f.event == "TradeExecuted"]
    # ext's own fill in full (once), the other trade as the public sees it.
    assert [t.get("buyer_id") for t in own] == ["ext", None]
    assert len({f.id for f in got["own"] if f.event == "TradeExecuted"}) == 2
