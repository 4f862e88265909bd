"""An agent's own reads answered from the gateway's ``LiveWorld``: profile, portfolio.

These are the reads an agent does every tick; the live world answers them at the last
closed tick whatever the relational projection's lag. Buying power is the domain's own
rule (``domain.rules.leverage.buying_power``) on the same world the engine decides with.

An agent already in the live world's start snapshot has its registration tick, starting
worth and older open orders' command ids recalled from the relational read model first
(``recall_older``), once: the snapshot's world does not hold them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.rules.leverage import buying_power
from domain.state import Account
from gateway.liveworld import LiveWorld
from gateway.models import AgentPublic, PortfolioOut
from gateway.readmodel import agent_facts, return_bps
from projections.relational.queries import HoldingView, OrderView
from projections.visibility import public_strategy

__all__ = ["live_agent", "live_portfolio", "recall_older"]


def _account(live: LiveWorld, agent_id: str) -> Account | None:
    return live.world.accounts.get(agent_id)


async def recall_older(live: LiveWorld, db: AsyncEngine, season: str, agent_id: str) -> None:
    """Fill in from the read model what the snapshot left out for ``agent_id``. While the
    read model has not folded the agent yet, reads show the world's defaults (registered
    tick 0, starting cash) and the next read tries again."""
    account = _account(live, agent_id)
    if account is None or agent_id not in live.older_agents:
        return
    order_ids = [o for o in account.open_orders if o in live.older_orders]
    facts = await agent_facts(db, season, agent_id, order_ids)
    if facts is None or agent_id not in live.older_agents:
        return
    live.registered_tick[agent_id] = facts.registered_tick
    live.starting_worth[agent_id] = facts.starting_net_worth
    for order_id, row in facts.orders.items():
        meta = live.order_meta.get(order_id)
        if meta is None or order_id not in live.older_orders:
            continue  # gone (or recalled) while the read model answered
        live.older_orders.discard(order_id)
        meta.command_id = row.command_id
        meta.created_tick = row.created_tick
        meta.updated_tick = max(meta.updated_tick, row.updated_tick)
    if not any(o in live.older_orders for o in order_ids):
        live.older_agents.discard(agent_id)  # else the next read asks for the rest again


def live_agent(live: LiveWorld, agent_id: str) -> AgentPublic | None:
    account = _account(live, agent_id)
    if account is None:
        return None
    return AgentPublic(
        agent_id=agent_id,
        name=account.name,
        role=str(account.role),
        status=str(account.status),
        builtin=account.builtin,
        strategy=public_strategy(account.strategy) if account.builtin else None,
        registered_tick=live.registered_tick.get(agent_id, 0),
        reputation=account.reputation,
        as_of_tick=live.tick,
        as_of_seq=live.seq,
    )


def live_portfolio(live: LiveWorld, agent_id: str, *, private: bool) -> PortfolioOut | None:
    account = _account(live, agent_id)
    if account is None:
        return None
    world = live.world
    holdings = [
        HoldingView(
            symbol=symbol,
            quantity=qty,
            last_price=world.mark(symbol),
            market_value=qty * world.mark(symbol),
        )
        for symbol, qty in sorted(account.positions.items())
        if qty
    ]
    value = sum(h.market_value for h in holdings)
    worth = account.cash + value
    out = PortfolioOut(
        agent_id=agent_id,
        private=False,
        net_worth=worth,
        holdings_value=value,
        return_bps=return_bps(worth, live.starting_worth.get(agent_id, account.starting_cash)),
        as_of_tick=live.tick,
        as_of_seq=live.seq,
    )
    if not private:
        return out
    return out.model_copy(
        update={
            "private": True,
            "cash": account.cash,
            "buying_power": buying_power(world, account),
            "holdings": holdings,
            "open_orders": _open_orders(live, account),
        }
    )


def _open_orders(live: LiveWorld, account: Account) -> list[OrderView]:
    out = []
    for order_id in sorted(account.open_orders):
        order = live.world.orders.get(order_id)
        if order is None:
            continue
        meta = live.order_meta.get(order_id)
        out.append(
            OrderView(
                order_id=order_id,
                command_id=meta.command_id if meta else "",
                symbol=order.symbol,
                intent=order.intent,
                side=order.side,
                order_type=order.order_type,
                quantity=order.quantity,
                price=order.price if order.order_type != "MARKET" else None,
                remaining=order.remaining,
                status="open",
                triggered=False,
                created_tick=meta.created_tick if meta else order.tick,
                updated_tick=meta.updated_tick if meta else order.tick,
            )
        )
    return out
