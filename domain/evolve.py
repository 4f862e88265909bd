"""evolve(world, event) -> world: the only code that changes the world.

``step`` decides events and applies each one here as soon as it is decided, so the
state a tick leaves behind is, by construction, the fold of its events. The world is
mutated in place and returned (copying a world per event would cost more than the
whole match); callers that need the old state take a snapshot first.
"""

from collections.abc import Callable
from typing import Any

from domain import clock
from domain.orderbook import Order, OrderBook
from domain.rules.roles import ROLES
from domain.rules.surveillance import windows
from domain.state import (
    HOUSE_ESCROW,
    HOUSE_FEES,
    HOUSE_FINES,
    HOUSE_LENDING,
    STORY_MEMORY,
    Account,
    Case,
    Company,
    NewsImpulse,
    PublishedRumor,
    SentMessage,
    World,
    alliance_key,
)
from schemas import events as ev
from schemas.enums import AgentStatus, CancelReason, CaseStatus, Intent, OrderType, Verdict

Handler = Callable[[World, Any], None]
_HANDLERS: dict[type, Handler] = {}


def _on(event_type: type) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[event_type] = handler
        return handler

    return register


def evolve(world: World, event: ev.EventBase) -> World:
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(world, event)
    world.version += 1
    return world


@_on(ev.SeasonConfigured)
def _season_configured(world: World, e: ev.SeasonConfigured) -> None:
    world.config, world.rules_version = e.config, e.rules_version


@_on(ev.SeasonStarted)
def _season_started(world: World, e: ev.SeasonStarted) -> None:
    world.seed, world.config, world.started = e.seed, e.config, True
    world.rules_version = e.rules_version
    world.regime = e.config.regime
    if e.rules_version >= 2:
        world.sec = windows.Surveillance()
    for c in e.companies:
        world.companies[c.symbol] = Company(
            symbol=c.symbol,
            name=c.name,
            sector=c.sector,
            shares_outstanding=c.shares_outstanding,
            revenue=c.revenue,
            profit=c.profit,
            cash=c.cash,
            debt=c.debt,
            volatility_bps=c.volatility_bps,
            beta_pct=c.beta_pct,
            initial_price=c.initial_price,
            fair_value=c.initial_price,
            last_price=c.initial_price,
            prev_close=c.initial_price,
            day_open=c.initial_price,
        )
        world.books[c.symbol] = OrderBook(c.symbol)
        world.stops[c.symbol] = {}
    for a in e.builtin_agents:
        account = Account(
            agent_id=a.agent_id,
            name=a.name,
            role=a.role,
            max_leverage=ROLES[a.role].max_leverage,
            cash=a.cash,
            strategy=a.strategy,
            starting_cash=a.cash,
            positions={s: q for s, q in a.holdings.items() if q},
        )
        world.accounts[a.agent_id] = account
        world.names[a.name] = a.agent_id


@_on(ev.SeasonEnded)
def _season_ended(world: World, _: ev.SeasonEnded) -> None:
    world.ended, world.market_open = True, False


@_on(ev.AgentRegistered)
def _agent_registered(world: World, e: ev.AgentRegistered) -> None:
    world.accounts[e.agent_id] = Account(
        agent_id=e.agent_id,
        name=e.name,
        role=e.role,
        max_leverage=e.max_leverage,
        cash=e.cash,
        callback_url=e.callback_url,
        api_key_hash=e.api_key_hash,
        starting_cash=e.cash,
    )
    world.names[e.name] = e.agent_id


@_on(ev.OrderAccepted)
def _order_accepted(world: World, e: ev.OrderAccepted) -> None:
    order = Order(
        order_id=e.order_id,
        agent_id=e.agent_id,
        symbol=e.symbol,
        side=e.side,  # StrEnum members are str: no .value lookups on the hot path
        intent=e.intent,
        order_type=e.order_type,
        price=e.price or 0,
        quantity=e.quantity,
        remaining=e.quantity,
        reserved=e.reserved,
        tick=e.tick,
    )
    world.orders[e.order_id] = order
    world.next_order_id = e.order_id + 1
    account = world.accounts[e.agent_id]
    account.open_orders[e.order_id] = None
    account.reserved += e.reserved
    _hold(account, order, e.quantity)
    if e.order_type is OrderType.LIMIT:
        book = world.books[e.symbol]
        if world.sec is not None:
            windows.on_order(world.sec, e, book.best_bid(), book.best_ask())
        book.rest(order)
    elif e.order_type is OrderType.STOP:
        world.stops[e.symbol][e.order_id] = None


def _hold(account: Account, order: Order, quantity: int) -> None:
    """Shares (SELL) or short (COVER) an open order holds so they can't be used twice."""
    if order.intent == Intent.SELL:
        account.selling[order.symbol] = account.selling.get(order.symbol, 0) + quantity
        if account.selling[order.symbol] == 0:
            del account.selling[order.symbol]
    elif order.intent == Intent.COVER:
        account.covering[order.symbol] = account.covering.get(order.symbol, 0) + quantity
        if account.covering[order.symbol] == 0:
            del account.covering[order.symbol]


@_on(ev.OrderTriggered)
def _order_triggered(world: World, e: ev.OrderTriggered) -> None:
    """A fired stop leaves the pending list and gives back what it held: from here on it
    executes as a market order, on its own buying power."""
    del world.stops[e.symbol][e.order_id]
    order = world.orders[e.order_id]
    world.order_rows.pop(e.order_id, None)
    world.accounts[order.agent_id].reserved -= order.reserved
    order.reserved = 0


@_on(ev.TradeExecuted)
def _trade_executed(world: World, e: ev.TradeExecuted) -> None:
    notional = e.price * e.quantity
    accounts = world.accounts
    buyer, seller = accounts[e.buyer_id], accounts[e.seller_id]
    buyer.cash -= notional + e.buyer_fee
    seller.cash += notional - e.seller_fee
    world.house[HOUSE_FEES] += e.buyer_fee + e.seller_fee
    _move(buyer, e.symbol, e.quantity)
    _move(seller, e.symbol, -e.quantity)
    _consume(world, e.buy_order_id, e.quantity)
    _consume(world, e.sell_order_id, e.quantity)
    company = world.companies[e.symbol]
    sec = world.sec
    if sec is not None:
        minute = clock.minute_of_day(e.tick, world.config)
        closing = minute >= world.config.open_ticks_per_day - windows.CLOSE_MINUTES
        windows.on_trade(sec, e, company.last_price, closing)
    company.last_price = e.price
    company.day_volume += e.quantity
    world.next_trade_id = e.trade_id + 1


def _move(account: Account, symbol: str, delta: int) -> None:
    quantity = account.positions.get(symbol, 0) + delta
    if quantity:
        account.positions[symbol] = quantity
    else:
        account.positions.pop(symbol, None)


def _consume(world: World, order_id: int, quantity: int) -> None:
    order = world.orders[order_id]
    world.order_rows.pop(order_id, None)
    if order.order_type == OrderType.LIMIT:
        world.books[order.symbol].fill(order_id, quantity)
    else:
        order.remaining -= quantity
    account = world.accounts[order.agent_id]
    _hold(account, order, -quantity)
    if order.reserved:
        release = order.reserved if order.remaining == 0 else quantity * order.price
        order.reserved -= release
        account.reserved -= release
    if order.remaining == 0:
        if world.sec is not None:
            windows.on_order_closed(world.sec, order_id, by_agent=False)
        _close(world, account, order)


def _close(world: World, account: Account, order: Order) -> None:
    del world.orders[order.order_id]
    world.order_rows.pop(order.order_id, None)
    del account.open_orders[order.order_id]


def _withdraw(world: World, order_id: int) -> None:
    """Take an open order out wherever it is, releasing what it held."""
    order = world.orders[order_id]
    if order.order_type == OrderType.LIMIT:  # a LIMIT order rests from acceptance on
        world.books[order.symbol].remove(order_id)
    world.stops[order.symbol].pop(order_id, None)
    account = world.accounts[order.agent_id]
    account.reserved -= order.reserved
    order.reserved = 0
    _hold(account, order, -order.remaining)
    _close(world, account, order)


@_on(ev.OrderCancelled)
def _order_cancelled(world: World, e: ev.OrderCancelled) -> None:
    if world.sec is not None:
        windows.on_order_closed(world.sec, e.order_id, e.reason is CancelReason.BY_AGENT)
    _withdraw(world, e.order_id)


@_on(ev.OrderExpired)
def _order_expired(world: World, e: ev.OrderExpired) -> None:
    if world.sec is not None:
        windows.on_order_closed(world.sec, e.order_id, by_agent=False)
    _withdraw(world, e.order_id)


@_on(ev.MarginCalled)
def _margin_called(world: World, e: ev.MarginCalled) -> None:
    world.accounts[e.agent_id].margin_deadline = e.deadline_tick


@_on(ev.MarginCallMet)
def _margin_met(world: World, e: ev.MarginCallMet) -> None:
    world.accounts[e.agent_id].margin_deadline = None


@_on(ev.PositionLiquidated)
def _liquidated(world: World, e: ev.PositionLiquidated) -> None:
    world.accounts[e.agent_id].margin_deadline = None


@_on(ev.AgentBankrupted)
def _bankrupted(world: World, e: ev.AgentBankrupted) -> None:
    account = world.accounts[e.agent_id]
    account.status, account.margin_deadline = AgentStatus.BANKRUPT, None


@_on(ev.AgentStatusChanged)
def _status_changed(world: World, e: ev.AgentStatusChanged) -> None:
    world.accounts[e.agent_id].status = e.status


@_on(ev.BarClosed)
def _bar_closed(world: World, e: ev.BarClosed) -> None:
    world.companies[e.symbol].closes.append(e.close)


@_on(ev.FundamentalsDrifted)
def _fundamentals(world: World, e: ev.FundamentalsDrifted) -> None:
    companies = world.companies
    for symbol, value in e.fair_values.items():
        companies[symbol].fair_value = value


@_on(ev.EarningsReported)
def _earnings(world: World, e: ev.EarningsReported) -> None:
    company = world.companies[e.symbol]
    company.revenue, company.profit, company.quarter = e.revenue, e.profit, e.quarter
    company.fair_value = e.fair_value
    if world.sec is not None:
        world.sec.tick_reports.append((e.symbol, e.surprise_bps))


@_on(ev.RegimeChanged)
def _regime(world: World, e: ev.RegimeChanged) -> None:
    world.regime = e.regime
    world.regime_pinned = e.command_id is not None


@_on(ev.MarketOpened)
def _opened(world: World, _: ev.MarketOpened) -> None:
    world.market_open = True
    for company in world.companies.values():
        company.day_open, company.day_volume = company.last_price, 0
    if world.sec is not None:
        windows.on_open(world.sec)


@_on(ev.MarketClosed)
def _closed(world: World, _: ev.MarketClosed) -> None:
    world.market_open = False
    for company in world.companies.values():
        company.prev_close = company.last_price
    if world.sec is not None:
        windows.on_close(world.sec)


@_on(ev.BorrowFeeCharged)
def _borrow_fee(world: World, e: ev.BorrowFeeCharged) -> None:
    world.accounts[e.agent_id].cash -= e.amount
    world.house[HOUSE_LENDING] += e.amount


@_on(ev.MessageDelivered)
def _message(world: World, e: ev.MessageDelivered) -> None:
    world.messages.append(
        SentMessage(e.message_id, e.tick, e.agent_id, e.target_agent_id, e.content)
    )
    world.next_message_id = e.message_id + 1


@_on(ev.AllianceProposed)
def _proposed(world: World, e: ev.AllianceProposed) -> None:
    proposals = world.proposals
    for key in [k for k, last in proposals.items() if last < e.tick]:  # lapsed ones go
        del proposals[key]
    proposals.pop((e.agent_id, e.target_agent_id), None)  # a renewal moves to the end
    proposals[(e.agent_id, e.target_agent_id)] = e.expires_tick


@_on(ev.AllianceDeclined)
def _declined(world: World, e: ev.AllianceDeclined) -> None:
    del world.proposals[(e.target_agent_id, e.agent_id)]


@_on(ev.AllianceFormed)
def _formed(world: World, e: ev.AllianceFormed) -> None:
    world.proposals.pop((e.target_agent_id, e.agent_id), None)
    world.proposals.pop((e.agent_id, e.target_agent_id), None)
    world.alliances[alliance_key(e.agent_id, e.target_agent_id)] = e.tick


@_on(ev.AllianceDissolved)
def _dissolved(world: World, e: ev.AllianceDissolved) -> None:
    del world.alliances[alliance_key(e.agent_id, e.target_agent_id)]


@_on(ev.RumorPublished)
def _rumor(world: World, e: ev.RumorPublished) -> None:
    world.rumors.append(
        PublishedRumor(e.rumor_id, e.tick, e.agent_id, e.symbol, e.sentiment, e.impulse_bps)
    )
    world.next_rumor_id = e.rumor_id + 1
    if world.sec is not None and e.sentiment > 0:  # a pump: the SEC remembers who
        windows.on_rumor(world.sec, e.tick, e.agent_id, e.symbol)


@_on(ev.NewsPublished)
def _news(world: World, e: ev.NewsPublished) -> None:
    world.stories[e.news_id] = False
    if len(world.stories) > STORY_MEMORY:
        del world.stories[next(iter(world.stories))]
    if e.impulse_bps:  # a story that moves nothing is not kept
        for symbol in e.symbols:
            world.news.append(NewsImpulse(e.news_id, e.tick, symbol, e.category, e.impulse_bps))


@_on(ev.ArticlePublished)
def _article(world: World, e: ev.ArticlePublished) -> None:
    world.stories[e.news_id] = True


@_on(ev.ReputationChanged)
def _reputation(world: World, e: ev.ReputationChanged) -> None:
    world.accounts[e.agent_id].reputation = e.reputation


# The legal system (rules version 2).


def _to_house(world: World, house: str, amount: int) -> None:
    world.house[house] = world.house.get(house, 0) + amount


@_on(ev.SuspicionRaised)
def _suspicion(world: World, e: ev.SuspicionRaised) -> None:
    world.suspicions.append(e)  # consumed by the investigations later in the same tick
    sec = world.sec
    if sec is None:
        return
    key = windows.raised_key(e.suspect_id, e.offence, e.symbol)
    sec.raised[key] = [max(e.trade_ids or e.order_ids or [0]), e.tick]
    sec.next_suspicion_id = e.suspicion_id + 1


@_on(ev.CaseOpened)
def _case_opened(world: World, e: ev.CaseOpened) -> None:
    case = Case(
        case_id=e.case_id,
        suspect_id=e.suspect_id,
        offence=e.offence,
        opened_by=e.opened_by,
        investigator_id=e.investigator_id,
        opened_tick=e.tick,
        last_evidence_tick=e.tick,
    )
    world.cases[e.case_id] = case
    world.active_cases[case.key] = e.case_id
    world.next_case_id = e.case_id + 1


@_on(ev.EvidenceAdded)
def _evidence(world: World, e: ev.EvidenceAdded) -> None:
    case = world.cases[e.case_id]
    case.strength, case.last_evidence_tick = e.strength, e.tick
    case.evidence += 1
    if e.source == "subpoena":
        case.subpoena_weight += e.weight
    if e.source == "whistleblow" and e.submitted_by not in case.whistleblowers:
        case.whistleblowers.append(e.submitted_by)


@_on(ev.SuspectCharged)
def _charged(world: World, e: ev.SuspectCharged) -> None:
    case = world.cases[e.case_id]
    case.status, case.trial_tick = CaseStatus.CHARGED, e.trial_tick


@_on(ev.AssetsFrozen)
def _frozen(world: World, e: ev.AssetsFrozen) -> None:
    world.frozen.setdefault(e.agent_id, {})[e.case_id] = None


@_on(ev.AssetsUnfrozen)
def _unfrozen(world: World, e: ev.AssetsUnfrozen) -> None:
    cases = world.frozen[e.agent_id]
    del cases[e.case_id]
    if not cases:
        del world.frozen[e.agent_id]


@_on(ev.CaseStalled)
def _stalled(world: World, e: ev.CaseStalled) -> None:
    case = world.cases[e.case_id]
    case.stalled_until = e.until_tick
    if case.trial_tick is not None:
        case.trial_tick = max(case.trial_tick, e.until_tick)


@_on(ev.BribePaid)
def _bribe_paid(world: World, e: ev.BribePaid) -> None:
    world.accounts[e.agent_id].cash -= e.amount
    if e.escrow:
        _to_house(world, HOUSE_ESCROW, e.amount)
        if e.case_id is not None:
            world.cases[e.case_id].escrow += e.amount
    else:
        world.accounts[e.target_agent_id].cash += e.amount


@_on(ev.BribeCaught)
def _bribe_caught(world: World, e: ev.BribeCaught) -> None:
    world.accounts[e.agent_id].cash -= e.amount
    _to_house(world, HOUSE_FINES, e.amount)  # forfeited as evidence


@_on(ev.EscrowReleased)
def _escrow_released(world: World, e: ev.EscrowReleased) -> None:
    world.house[HOUSE_ESCROW] -= e.amount
    if e.to == HOUSE_FINES:
        _to_house(world, HOUSE_FINES, e.amount)
    else:
        world.accounts[e.to].cash += e.amount


@_on(ev.FinePaid)
def _fine_paid(world: World, e: ev.FinePaid) -> None:
    world.accounts[e.agent_id].cash -= e.amount
    _to_house(world, HOUSE_FINES, e.amount)


@_on(ev.RewardPaid)
def _reward_paid(world: World, e: ev.RewardPaid) -> None:
    world.house[HOUSE_FINES] -= e.amount
    world.accounts[e.agent_id].cash += e.amount


@_on(ev.VerdictReached)
def _verdict(world: World, e: ev.VerdictReached) -> None:
    case = world.cases.pop(e.case_id)
    del world.active_cases[case.key]
    if e.verdict is Verdict.CONVICTED:
        world.convictions[e.suspect_id] = world.convictions.get(e.suspect_id, 0) + 1


@_on(ev.AgentImprisoned)
def _imprisoned(world: World, e: ev.AgentImprisoned) -> None:
    world.accounts[e.agent_id].status = AgentStatus.IMPRISONED
    world.prison[e.agent_id] = (e.release_tick, e.case_id)


@_on(ev.AgentReleased)
def _released(world: World, e: ev.AgentReleased) -> None:
    world.accounts[e.agent_id].status = AgentStatus.ACTIVE
    del world.prison[e.agent_id]


@_on(ev.AgentFled)
def _fled(world: World, e: ev.AgentFled) -> None:
    world.accounts[e.agent_id].status = AgentStatus.FLED


@_on(ev.CeoAppointed)
def _ceo(world: World, e: ev.CeoAppointed) -> None:
    world.ceo_of[e.agent_id] = e.symbol


@_on(ev.TickClosed)
def _tick_closed(world: World, e: ev.TickClosed) -> None:
    if world.suspicions:
        world.suspicions.clear()  # each was decided on by the tick's justice phase
    world.tick = e.tick
    world.last_command_seq = max(world.last_command_seq, e.last_command_seq)
    if world.sec is not None:
        windows.on_tick_closed(world.sec)
