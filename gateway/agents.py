"""Example agents that join a running season over HTTP (``wss agent run``).

Each strategy is a function of what the agent sees at a tick → a list of actions. The
loop polls the tick, asks the strategy, sends the actions, and backs off on 429.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.client import WssApiError, WssClient

__all__ = ["STRATEGIES", "AgentRunner", "View"]

log = logging.getLogger(__name__)

Action = dict[str, Any]


@dataclass
class View:
    """What a strategy sees at a tick."""

    tick: int
    market_open: bool
    stocks: list[dict[str, Any]]
    portfolio: dict[str, Any]
    history: dict[str, deque[int]] = field(default_factory=dict)

    def holding(self, symbol: str) -> int:
        for h in self.portfolio.get("holdings") or []:
            if h["symbol"] == symbol:
                return int(h["quantity"])
        return 0


def _band(price: int, bps: int) -> int:
    return max(1, price + price * bps // 10_000)


def random_strategy(view: View, rng: random.Random) -> list[Action]:
    if not view.market_open or not view.stocks or rng.random() < 0.5:
        return []
    stock = rng.choice(view.stocks)
    price = int(stock["last_price"])
    if view.holding(stock["symbol"]) > 0 and rng.random() < 0.5:
        return [
            {"type": "SELL", "symbol": stock["symbol"], "quantity": 1, "price": _band(price, -50)}
        ]
    return [
        {
            "type": "BUY",
            "symbol": stock["symbol"],
            "quantity": rng.randint(1, 5),
            "price": _band(price, 50),
        }
    ]


def momentum_strategy(view: View, _rng: random.Random) -> list[Action]:
    if not view.market_open:
        return []
    actions: list[Action] = []
    for stock in view.stocks:
        past = view.history.get(stock["symbol"])
        if past is None or len(past) < (past.maxlen or 2):
            continue
        price, then = int(stock["last_price"]), past[0]
        if price > then * 1.002:
            actions.append(
                {"type": "BUY", "symbol": stock["symbol"], "quantity": 2, "price": _band(price, 30)}
            )
        elif price < then * 0.998 and view.holding(stock["symbol"]) > 0:
            actions.append(
                {
                    "type": "SELL",
                    "symbol": stock["symbol"],
                    "quantity": view.holding(stock["symbol"]),
                    "price": _band(price, -30),
                }
            )
    return actions[:5]


def market_maker_strategy(view: View, _rng: random.Random) -> list[Action]:
    """Requote one bid and one ask around the last price of the first two stocks."""
    if not view.market_open:
        return []
    actions: list[Action] = [
        {"type": "CANCEL_ORDER", "order_id": o["order_id"]}
        for o in (view.portfolio.get("open_orders") or [])[:6]
    ]
    for stock in view.stocks[:2]:
        price = int(stock["last_price"])
        actions.append(
            {"type": "BUY", "symbol": stock["symbol"], "quantity": 5, "price": _band(price, -20)}
        )
        if view.holding(stock["symbol"]) >= 5:
            actions.append(
                {
                    "type": "SELL",
                    "symbol": stock["symbol"],
                    "quantity": 5,
                    "price": _band(price, 20),
                }
            )
    return actions[:10]


LLM_PROMPT = """You are a trading agent in WallStreetSim. Prices and cash are integer cents.
Reply with JSON only: {"actions": [...]} with at most 3 actions, each one of
{"type":"BUY"|"SELL","symbol":S,"quantity":N,"price":CENTS} (limit orders within 10% of
the last price), or {"actions": []} to wait."""


def llm_strategy_factory() -> Callable[[View, random.Random], Awaitable[list[Action]]]:
    """Ask any OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL)."""
    from openai import AsyncOpenAI  # noqa: PLC0415 - only this strategy needs it

    client = AsyncOpenAI()
    model = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")

    async def decide(view: View, _rng: random.Random) -> list[Action]:
        if not view.market_open:
            return []
        state = {
            "tick": view.tick,
            "cash": view.portfolio.get("cash"),
            "holdings": view.portfolio.get("holdings"),
            "stocks": [
                {k: s[k] for k in ("symbol", "last_price", "change_bps")} for s in view.stocks[:20]
            ],
        }
        reply = await client.chat.completions.create(
            model=model,
            messages=[
                {"role": "system", "content": LLM_PROMPT},
                {"role": "user", "content": json.dumps(state)},
            ],
            response_format={"type": "json_object"},
        )
        return parse_llm_actions(reply.choices[0].message.content or "")

    return decide


def parse_llm_actions(text: str) -> list[Action]:
    """The actions in a model's reply; tolerant of code fences and surrounding prose."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return []
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return []
    actions = data.get("actions") if isinstance(data, dict) else None
    return [a for a in actions if isinstance(a, dict)][:10] if isinstance(actions, list) else []


Strategy = Callable[[View, random.Random], list[Action] | Awaitable[list[Action]]]
STRATEGIES: dict[str, Callable[[], Strategy]] = {
    "random": lambda: random_strategy,
    "momentum": lambda: momentum_strategy,
    "market_maker": lambda: market_maker_strategy,
    "llm": llm_strategy_factory,
}


class AgentRunner:
    def __init__(
        self, client: WssClient, strategy: Strategy, *, seed: int | None = None, lookback: int = 5
    ) -> None:
        self.client, self.strategy = client, strategy
        self.rng = random.Random(seed)
        self.history: dict[str, deque[int]] = {}
        self.lookback = lookback
        self.sent = 0

    async def step(self, tick: int, market_open: bool) -> list[Action]:
        stocks = await self.client.stocks()
        for s in stocks:
            self.history.setdefault(s["symbol"], deque(maxlen=self.lookback)).append(
                int(s["last_price"])
            )
        view = View(tick, market_open, stocks, await self.client.portfolio(), self.history)
        decided = self.strategy(view, self.rng)
        actions = await decided if isinstance(decided, Awaitable) else decided
        if actions:
            try:
                await self.client.act_many(actions[:10])
                self.sent += len(actions[:10])
            except WssApiError as error:
                if error.status == 429:
                    await asyncio.sleep(error.retry_after or 1)
                else:
                    log.warning("actions refused: %s", error)
        return actions

    async def run(self, ticks: int | None = None, poll: float = 0.2) -> None:
        last, done = -1, 0
        while ticks is None or done < ticks:
            status = await self.client.request("GET", "world/tick")
            if status["tick"] != last:
                last = status["tick"]
                await self.step(last, bool(status["market_open"]))
                done += 1
            else:
                await asyncio.sleep(poll)
