"""step(world, commands, ctx) -> events: one tick of the market, decided and applied.

The order inside a tick is fixed: the open, the drift of fundamentals, the built-in
traders, the agents' commands in stream order, margin checks, the close, summaries, and
``TickClosed`` with the state hash.
"""

from collections.abc import Sequence

from domain import actions, clock, orders, population, universe
from domain.context import Recorder, TickContext
from domain.hashing import state_hash
from domain.orderbook import BUY
from domain.rng import bell_bps
from domain.rules import BPS, EARNINGS_SURPRISE_BPS, REGIME_NEXT, REGIME_SWITCH_CHANCE, REGIMES
from domain.state import Account, World
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import CancelReason, Intent, OrderType, RejectReason, Side

StepInput = cmd.CommandBase | cmd.Malformed
ORDER_COMMANDS = (cmd.Buy, cmd.Sell, cmd.Short, cmd.Cover)
SOCIAL_COMMANDS = (cmd.Rumor, cmd.Ally, cmd.SendMessage, cmd.Bribe, cmd.Whistleblow, cmd.Flee)


def step(world: World, commands: Sequence[StepInput], ctx: TickContext) -> list[ev.EventBase]:
    """Run tick ``ctx.tick`` over ``commands`` (in stream order). Mutates ``world`` only
    through ``evolve`` of the returned events."""
    rec = Recorder(world, ctx.tick)
    config = world.config
    tick = ctx.tick
    live = world.started and not world.ended
    if live and clock.is_opening_tick(tick, config):
        rec.emit(ev.MarketOpened(tick=tick, day=clock.day_of(tick, config)))
        _earnings(rec, ctx)
    if live and world.market_open:
        _drift(rec, ctx)
        for builtin in population.commands(world, ctx.rng, tick):
            _dispatch(rec, builtin)
    stop: cmd.StopSeason | None = None
    for command in commands:
        if isinstance(command, cmd.StopSeason) and command.agent_id == cmd.OPERATOR_ID:
            if stop is not None:  # one stop per tick; a second one still gets its outcome
                _refuse(rec, command, RejectReason.SEASON_NOT_RUNNING, "the season is stopping")
                continue
            stop = command
        _dispatch(rec, command)
    live = world.started and not world.ended
    if live and world.market_open:
        _margin(rec)
    if live and world.market_open and clock.is_closing_tick(tick, config):
        _close(rec, ctx)
    if stop is not None and live:
        _end(rec, stop)
    _summaries(rec)
    rec.emit(
        ev.TickClosed(
            tick=tick,
            sim_time=ctx.sim_time.isoformat(),
            first_command_seq=ctx.first_command_seq,
            last_command_seq=ctx.last_command_seq,
            commands=len(commands),
            events=len(rec.events) + 1,
            state_hash=state_hash(world),
        )
    )
    return rec.events


def _refuse(rec: Recorder, c: StepInput, reason: RejectReason, detail: str) -> None:
    if isinstance(c, (*ORDER_COMMANDS, cmd.CancelOrder)):
        orders.reject(rec, c, reason, detail)
    else:
        actions.reject(rec, c, reason, detail)


def _dispatch(rec: Recorder, c: StepInput) -> None:
    """Exactly one outcome event per command, then whatever follows from it."""
    world = rec.world
    if isinstance(c, cmd.Malformed):
        actions.reject(rec, c, RejectReason.MALFORMED, c.error)
        return
    if isinstance(c, cmd.StartSeason):
        if c.agent_id != cmd.OPERATOR_ID:
            _refuse(rec, c, RejectReason.NOT_OPERATOR, "operator commands only")
        elif world.started:
            _refuse(rec, c, RejectReason.MALFORMED, "the season has already started")
        else:
            _genesis(rec, c)
        return
    if not world.started or world.ended:
        _refuse(rec, c, RejectReason.SEASON_NOT_RUNNING, "the season is not running")
        return
    if isinstance(c, (cmd.StopSeason, cmd.SetRegime)):
        if c.agent_id != cmd.OPERATOR_ID:
            _refuse(rec, c, RejectReason.NOT_OPERATOR, "operator commands only")
        elif isinstance(c, cmd.SetRegime):
            rec.emit(ev.RegimeChanged(tick=rec.tick, regime=c.regime, command_id=c.command_id))
        # StopSeason's outcome is SeasonEnded, emitted once the tick's trading is done.
        return
    if isinstance(c, cmd.RegisterAgent):
        actions.register(rec, c)
        return
    account = world.accounts.get(c.agent_id)
    if account is None:
        _refuse(rec, c, RejectReason.UNKNOWN_AGENT, f"no agent {c.agent_id}")
    elif not actions.is_active(account):
        _refuse(rec, c, RejectReason.AGENT_NOT_ACTIVE, f"agent is {account.status.value}")
    elif isinstance(c, ORDER_COMMANDS):
        orders.place(rec, account, c)
    elif isinstance(c, cmd.CancelOrder):
        orders.cancel(rec, account, c)
    elif isinstance(c, SOCIAL_COMMANDS):
        actions.social(rec, account, c)
    else:  # a command type added to the schema but not to the domain: a programming error
        raise TypeError(f"no decision for {type(c).__name__}")


def _genesis(rec: Recorder, c: cmd.StartSeason) -> None:
    listings = universe.companies(c.seed, c.config)
    rec.emit(
        ev.SeasonStarted(
            tick=rec.tick,
            command_id=c.command_id,
            seed=c.seed,
            config=c.config,
            start_time=clock.SEASON_START.isoformat(),
            companies=listings,
            builtin_agents=universe.builtin_agents(c.config, listings),
        )
    )


def _scaled(value: int, delta_cbps: int) -> int:
    """value x (1 + delta), delta in 1/100 bps, rounded half away from zero, >= 1 cent."""
    change = abs(value * delta_cbps) + 500_000
    change //= 1_000_000
    return max(1, value + (change if delta_cbps >= 0 else -change))


def _drift(rec: Recorder, ctx: TickContext) -> None:
    """Fundamental values take a seeded step: market factor x beta + own noise + drift."""
    world = rec.world
    regime = REGIMES[world.regime]
    drift = regime.drift_bps_per_day * 100 // world.config.open_ticks_per_day
    market = bell_bps(ctx.rng, 1_000)
    values: dict[str, int] = {}
    for symbol, company in world.companies.items():
        own = bell_bps(ctx.rng, company.volatility_bps * 100 // 20)  # ~ daily / sqrt(390)
        delta = drift + (market * company.beta_pct // 100 + own) * regime.vol_pct // 100
        values[symbol] = _scaled(company.fair_value, delta)
    rec.emit(ev.FundamentalsDrifted(tick=rec.tick, fair_values=values))


def _earnings(rec: Recorder, ctx: TickContext) -> None:
    world = rec.world
    day = clock.day_of(rec.tick, world.config)
    every = world.config.earnings_every_days
    vol_pct = REGIMES[world.regime].vol_pct
    for index, (symbol, company) in enumerate(world.companies.items()):
        if day == 0 or (day + index) % every:
            continue
        surprise = bell_bps(ctx.rng, EARNINGS_SURPRISE_BPS // 2) * vol_pct // 100
        surprise = max(-EARNINGS_SURPRISE_BPS * 3, min(EARNINGS_SURPRISE_BPS * 3, surprise))
        revenue = company.revenue * (BPS + surprise // 2) // BPS
        profit = company.profit + company.revenue * surprise // BPS
        rec.emit(
            ev.EarningsReported(
                tick=rec.tick,
                symbol=symbol,
                quarter=company.quarter + 1,
                revenue=revenue,
                profit=profit,
                eps=profit // company.shares_outstanding,
                surprise_bps=surprise,
                fair_value=_scaled(company.fair_value, surprise * 100),
            )
        )


def _margin(rec: Recorder) -> None:
    """Margin calls, liquidation after the grace ticks, bankruptcy below zero."""
    world = rec.world
    mm_bps = world.config.maintenance_margin_bps
    for account in list(world.accounts.values()):
        # An account with no positions has nothing to check, unless a call is open (closing
        # every position meets it) or its cash, its whole equity, is below zero.
        if not account.positions and account.margin_deadline is None and account.cash >= 0:
            continue
        if not actions.is_active(account):
            continue
        equity = world.equity(account)
        maintenance = world.exposure(account) * mm_bps // BPS
        if equity < 0:
            _liquidate(rec, account, CancelReason.BANKRUPTCY)
            rec.emit(
                ev.AgentBankrupted(
                    tick=rec.tick, agent_id=account.agent_id, net_worth=world.equity(account)
                )
            )
        elif equity >= maintenance:
            if account.margin_deadline is not None:
                rec.emit(ev.MarginCallMet(tick=rec.tick, agent_id=account.agent_id, equity=equity))
        elif account.margin_deadline is None:
            deadline = rec.tick + world.config.margin_grace_ticks
            rec.emit(
                ev.MarginCalled(
                    tick=rec.tick,
                    agent_id=account.agent_id,
                    equity=equity,
                    maintenance=maintenance,
                    deadline_tick=deadline,
                )
            )
        elif rec.tick >= account.margin_deadline:
            _liquidate(rec, account, CancelReason.LIQUIDATION)


def _liquidate(rec: Recorder, account: Account, reason: CancelReason) -> None:
    """Cancel everything (``reason``: a missed margin call or a bankruptcy), then close
    each position with a forced market order."""
    world = rec.world
    for order_id in list(account.open_orders):
        orders.cancel_order(rec, world.orders[order_id], reason)
    for symbol, quantity in sorted(account.positions.items()):
        side = Side.SELL if quantity > 0 else Side.BUY
        filled = 0
        if next(world.books[symbol].plan(side.value, None), None) is not None:
            order_id = world.next_order_id
            rec.emit(
                ev.OrderAccepted(
                    tick=rec.tick,
                    command_id=f"liq.{rec.tick}.{account.agent_id}.{symbol}",
                    order_id=order_id,
                    agent_id=account.agent_id,
                    symbol=symbol,
                    intent=Intent.SELL if quantity > 0 else Intent.COVER,
                    side=side,
                    order_type=OrderType.MARKET,
                    quantity=abs(quantity),
                    price=None,
                    reserved=0,
                )
            )
            orders.execute(rec, world.orders[order_id])  # forced trades fire stops too
            filled = abs(quantity) - abs(account.positions.get(symbol, 0))
        rec.emit(
            ev.PositionLiquidated(
                tick=rec.tick,
                agent_id=account.agent_id,
                symbol=symbol,
                quantity=filled,
                remaining=abs(quantity) - filled,
            )
        )


def _close(rec: Recorder, ctx: TickContext) -> None:
    """Day orders expire, shorts pay their borrow fee, the regime may turn."""
    world = rec.world
    for order in list(world.orders.values()):
        rec.emit(
            ev.OrderExpired(
                tick=rec.tick,
                order_id=order.order_id,
                agent_id=order.agent_id,
                symbol=order.symbol,
                remaining=order.remaining,
            )
        )
    rec.emit(ev.MarketClosed(tick=rec.tick, day=clock.day_of(rec.tick, world.config)))
    bps = world.config.borrow_fee_bps_per_day
    for account in list(world.accounts.values()):
        for symbol, quantity in sorted(account.positions.items()):
            fee = -quantity * world.mark(symbol) * bps // BPS if quantity < 0 else 0
            if fee > 0:
                rec.emit(
                    ev.BorrowFeeCharged(
                        tick=rec.tick, agent_id=account.agent_id, symbol=symbol, amount=fee
                    )
                )
    if not world.regime_pinned and ctx.rng.randrange(BPS) < REGIME_SWITCH_CHANCE:
        choices = REGIME_NEXT[world.regime]
        regime = choices[ctx.rng.randrange(len(choices))]
        rec.emit(ev.RegimeChanged(tick=rec.tick, regime=regime, command_id=None))


def _end(rec: Recorder, stop: cmd.StopSeason) -> None:
    world = rec.world
    for order in list(world.orders.values()):
        orders.cancel_order(rec, order, CancelReason.SEASON_END)
    rec.emit(
        ev.SeasonEnded(tick=rec.tick, command_id=stop.command_id, reason="stopped by operator")
    )


def _summaries(rec: Recorder) -> None:
    world = rec.world
    for agent_id, symbol in rec.touched:
        account = world.accounts[agent_id]
        rec.emit(
            ev.PositionChanged(
                tick=rec.tick,
                agent_id=agent_id,
                symbol=symbol,
                quantity=account.positions.get(symbol, 0),
                cash=account.cash,
            )
        )
    for symbol in sorted(rec.bars):
        bar = rec.bars[symbol]
        rec.emit(
            ev.BarClosed(
                tick=rec.tick,
                symbol=symbol,
                open=bar.open,
                high=bar.high,
                low=bar.low,
                close=bar.close,
                volume=bar.volume,
                notional=bar.notional,
                trades=bar.trades,
            )
        )


__all__ = ["BUY", "StepInput", "step"]
