"""Example agents that join a running season over HTTP (``wss agent run``).

Each strategy is a function of what the agent sees at a tick → a list of actions. The
loop polls the tick, asks the strategy, sends the actions (the SDK retries what is safe to
repeat), reports a line per tick and keeps a tally for its summary.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.client import WssApiError, WssClient

__all__ = ["STRATEGIES", "AgentRunner", "Tally", "View"]


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


def cents(amount: int | None) -> str:
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount) // 100:,}.{abs(amount) % 100:02d}"


@dataclass
class Tally:
    """What an agent did, for its per-tick lines and its summary."""

    ticks: int = 0
    sent: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    refused: int = 0  # requests the gateway refused (4xx): nothing reached the log
    skipped: int = 0  # ticks whose decision failed (e.g. the model did not answer)
    portfolio: dict[str, Any] = field(default_factory=dict)

    def outcomes(self) -> str:
        reasons = ", ".join(f"{r} {n}" for r, n in self.rejected.most_common(3))
        rejected = sum(self.rejected.values())
        return f"{self.accepted} accepted, {rejected} rejected" + (
            f" ({reasons})" if reasons else ""
        )

    def worth(self) -> str:
        p = self.portfolio
        if not p:
            return "net worth -"
        return f"net worth {cents(p.get('net_worth'))} ({int(p.get('return_bps', 0)) / 100:+.2f}%)"

    def summary(self, agent: str) -> str:
        extra = f", {self.refused} refused" if self.refused else ""
        extra += f", {self.skipped} ticks skipped" if self.skipped else ""
        return (
            f"agent {agent}: {self.ticks} ticks, {self.sent} actions sent, "
            f"{self.outcomes()}{extra}; {self.worth()}"
        )


def describe(action: Action) -> str:
    kind = str(action.get("type", "?"))
    if "symbol" in action and "quantity" in action:
        price = action.get("price")
        at = f"@{cents(int(price))}" if isinstance(price, int) else ""
        return f"{kind} {action['quantity']} {action['symbol']}{at}"
    return kind


ORDER_TYPES = frozenset({"BUY", "SELL", "SHORT", "COVER", "CANCEL_ORDER"})
MESSAGE_TYPES = frozenset({"MESSAGE", "ALLY", "RUMOR"})


@dataclass
class MinuteBudget:
    """The gateway's per-wall-clock-minute budgets, kept on the agent's side: a strategy
    that decides more is trimmed instead of being refused with 429."""

    orders: int = 100
    messages: int = 20
    sent: deque[tuple[float, str]] = field(default_factory=deque)

    def fit(self, actions: list[Action], now: float | None = None) -> list[Action]:
        now = time.monotonic() if now is None else now
        while self.sent and self.sent[0][0] <= now - 60.0:
            self.sent.popleft()
        used = Counter(kind for _, kind in self.sent)
        kept = []
        for action in actions:
            kind = str(action.get("type"))
            group = "order" if kind in ORDER_TYPES else "message" if kind in MESSAGE_TYPES else ""
            limit = {"order": self.orders, "message": self.messages}.get(group)
            if limit is not None and used[group] >= limit:
                continue
            used[group] += 1
            kept.append(action)
            if group:
                self.sent.append((now, group))
        return kept


class AgentRunner:
    """Polls the tick; at each new one reads stocks and its portfolio, collects the
    outcomes of what it sent before, asks the strategy and sends what it decides."""

    def __init__(
        self,
        client: WssClient,
        strategy: Strategy,
        *,
        seed: int | None = None,
        lookback: int = 5,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.client, self.strategy = client, strategy
        self.rng = random.Random(seed)
        self.history: dict[str, deque[int]] = {}
        self.lookback = lookback
        self.tally = Tally()
        self.report = report or (lambda _line: None)
        self._unresolved: list[str] = []  # command ids sent, outcome not yet seen
        self.budget = MinuteBudget()

    @property
    def sent(self) -> int:
        return self.tally.sent

    async def _collect_outcomes(self) -> None:
        still: list[str] = []
        for command_id in self._unresolved:
            try:
                status = await self.client.action(command_id)
            except WssApiError as error:
                if error.code != "unknown_action":
                    raise
                continue  # nothing to wait for
            if status["status"] == "pending":
                still.append(command_id)
            elif status["status"] == "accepted":
                self.tally.accepted += 1
            else:
                outcome = status.get("outcome") or {}
                self.tally.rejected[str(outcome.get("reason") or "rejected")] += 1
        self._unresolved = still

    async def _decide(self, view: View) -> list[Action]:
        try:
            decided = self.strategy(view, self.rng)
            actions = await decided if isinstance(decided, Awaitable) else decided
        except Exception as error:  # noqa: BLE001 - a strategy's failure skips its tick
            self.tally.skipped += 1
            self.report(f"tick {view.tick}: no decision ({type(error).__name__}: {error})")
            return []
        return list(actions)[:10]

    async def step(self, tick: int, market_open: bool) -> list[Action]:
        stocks = await self.client.stocks()
        for s in stocks:
            self.history.setdefault(s["symbol"], deque(maxlen=self.lookback)).append(
                int(s["last_price"])
            )
        portfolio = await self.client.portfolio()
        self.tally.portfolio = portfolio
        await self._collect_outcomes()
        decided = await self._decide(View(tick, market_open, stocks, portfolio, self.history))
        actions = self.budget.fit(decided)
        note = ""
        if actions:
            try:
                sent = await self.client.act_many(actions)
            except WssApiError as error:
                if error.status >= 500 or error.status == 401:
                    raise
                self.tally.refused += 1
                note = f"  refused: {error}"
            else:
                self.tally.sent += len(sent["actions"])
                self._unresolved += [a["command_id"] for a in sent["actions"]]
        self.tally.ticks += 1
        if len(actions) < len(decided):
            note += f"  ({len(decided) - len(actions)} held back: per-minute budget)"
        done = ", ".join(describe(a) for a in actions[:3]) + ("..." if len(actions) > 3 else "")
        self.report(
            f"tick {tick:>5} {'open  ' if market_open else 'closed'} {self.tally.worth()}  "
            f"cash {cents(portfolio.get('cash'))}  bp {cents(portfolio.get('buying_power'))}  "
            f"sent {len(actions)}{' (' + done + ')' if done else ''}  "
            f"so far {self.tally.outcomes()}{note}"
        )
        return actions

    async def run(self, ticks: int | None = None, poll: float = 0.2) -> Tally:
        last = -1
        while ticks is None or self.tally.ticks < ticks:
            status = await self.client.request("GET", "world/tick")
            if status["tick"] != last:
                last = status["tick"]
                await self.step(last, bool(status["market_open"]))
            else:
                await asyncio.sleep(poll)
        await self._collect_outcomes()
        return self.tally
