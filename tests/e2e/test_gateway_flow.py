"""An SDK agent joins a running season, buys from the built-in market makers, and sees the
fill in its portfolio and on its private SSE channel."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from gateway.client import SseEvent, WssApiError, WssClient
from tests.e2e.gateway_env import eventually, gateway_env

pytestmark = pytest.mark.timeout(60)


async def test_agent_buys_and_sees_the_fill(nats_url: str, tmp_path: Path) -> None:
    async with gateway_env(nats_url, tmp_path, tick_ms=100) as env, WssClient(env.url) as wss:
        await eventually(lambda: _open_market(wss))
        me = await wss.register("flow-bot", "hedge_fund_manager")
        assert me["projected"] is True  # the engine is running: visible within the wait

        seen: list[SseEvent] = []

        async def listen() -> None:
            # Last-Event-ID 0: replay the channel from the log's start, then go live,
            # so nothing can slip past between connecting and ordering.
            async for event in wss.stream([f"agent:{me['agent_id']}"], last_event_id=0):
                seen.append(event)  # noqa: PERF401 - appended live, read by the test meanwhile

        listener = asyncio.create_task(listen())

        stocks = await wss.stocks()
        book = await eventually(lambda: _book_with_asks(wss, stocks[0]["symbol"]))
        symbol, best_ask = book["symbol"], book["asks"][0]["price"]
        price = best_ask + max(1, best_ask // 200)  # marketable: at or above the ask
        sent = await wss.act({"type": "BUY", "symbol": symbol, "quantity": 5, "price": price})
        command_id = sent["actions"][0]["command_id"]
        outcome = await wss.wait_action(command_id, wait_seconds=10)
        assert outcome["status"] == "accepted", outcome

        async def filled() -> dict[str, object] | None:
            p = await wss.portfolio()
            held = {h["symbol"]: h["quantity"] for h in p["holdings"] or []}
            return p if held.get(symbol, 0) > 0 else None

        portfolio = await eventually(filled, timeout=10)
        assert portfolio["private"] is True
        assert portfolio["cash"] < 100_000_000 * 100

        def fill_seen() -> SseEvent | None:
            return next(
                (
                    e
                    for e in seen
                    if e.event == "TradeExecuted" and e.data["buyer_id"] == me["agent_id"]
                ),
                None,
            )

        fill = await eventually(_sync(fill_seen), timeout=10)
        assert fill.data["symbol"] == symbol
        assert fill.id is not None
        assert any(e.event == "AgentRegistered" for e in seen)
        assert any(e.event == "OrderAccepted" for e in seen)
        assert [e.id for e in seen] == sorted({e.id for e in seen if e.id is not None})
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


async def _open_market(wss: WssClient) -> bool:
    try:
        world = await wss.world()
    except WssApiError:  # 404 not_ready until the genesis tick is projected
        return False
    return bool(world["market_open"])


async def _book_with_asks(wss: WssClient, symbol: str) -> dict[str, object] | None:
    book = await wss.orderbook(symbol)
    return book if book["asks"] else None


def _sync(fn):  # type: ignore[no-untyped-def]
    async def probe():  # type: ignore[no-untyped-def]
        return fn()

    return probe
