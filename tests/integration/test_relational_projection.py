"""The relational projection, one contract run against SQLite and against PostgreSQL.

Each test folds into its own season id, so one migrated database per backend serves the
whole session (seasons never see each other's rows, which is itself part of the contract).
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import domain
from projections.base import Sequenced
from projections.relational import queries as q
from projections.relational.database import create_engine
from projections.relational.digest import table_digest, table_rows
from projections.relational.migrate import migrate
from projections.relational.models import Base
from projections.relational.store import RelationalProjection
from projections.runner import lag, rebuild, run_projection
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import (
    CancelReason,
    Intent,
    NewsCategory,
    OrderType,
    RejectReason,
    Role,
    Sector,
    Side,
)
from wss.aio import cancel_and_wait
from wss.natsserver import connect
from wss.streams import MSG_ID, SeasonStreams

# -- a hand-built season ----------------------------------------------------------------------
CASH = 100_000_00
MM_CASH = 1_000_000_00
FEE = 20


def _company(symbol: str, price: int) -> ev.CompanyListing:
    return ev.CompanyListing(
        symbol=symbol,
        name=f"{symbol} Corp",
        sector=Sector.TECHNOLOGY,
        shares_outstanding=1_000_000,
        revenue=5_000_000_00,
        profit=500_000_00,
        cash=100_000_00,
        debt=0,
        initial_price=price,
        volatility_bps=200,
        beta_pct=100,
    )


def _order(  # noqa: PLR0917 - a compact builder reads best positionally
    tick: int, oid: int, agent: str, cmd: str, symbol: str, intent: Intent, qty: int, price: int
) -> ev.OrderAccepted:
    side = Side.BUY if intent in (Intent.BUY, Intent.COVER) else Side.SELL
    return ev.OrderAccepted(
        tick=tick,
        command_id=cmd,
        order_id=oid,
        agent_id=agent,
        symbol=symbol,
        intent=intent,
        side=side,
        order_type=OrderType.LIMIT,
        quantity=qty,
        price=price,
        reserved=qty * price if side is Side.BUY else 0,
    )


def _trade(  # noqa: PLR0917 - a compact builder reads best positionally
    tick: int,
    tid: int,
    symbol: str,
    price: int,
    qty: int,
    buy: tuple[int, str],
    sell: tuple[int, str],
) -> ev.TradeExecuted:
    return ev.TradeExecuted(
        tick=tick,
        trade_id=tid,
        symbol=symbol,
        price=price,
        quantity=qty,
        buy_order_id=buy[0],
        sell_order_id=sell[0],
        buyer_id=buy[1],
        seller_id=sell[1],
        buyer_fee=FEE,
        seller_fee=FEE,
        aggressor=Side.SELL,
    )


def _bar(tick: int, symbol: str, open_: int, close: int, volume: int) -> ev.BarClosed:
    return ev.BarClosed(
        tick=tick,
        symbol=symbol,
        open=open_,
        high=max(open_, close),
        low=min(open_, close),
        close=close,
        volume=volume,
        notional=close * volume,
        trades=1,
    )


def _tick(tick: int) -> ev.TickClosed:
    return ev.TickClosed(
        tick=tick,
        sim_time=f"2030-01-01T09:{30 + tick:02d}:00",
        first_command_seq=0,
        last_command_seq=0,
        commands=0,
        events=0,
        state_hash=f"hash{tick}",
    )


def season_events() -> list[Sequenced]:
    apex_cost = 10_100 * 100
    events: list[ev.EventBase] = [
        ev.SeasonStarted(
            tick=0,
            command_id="start",
            seed=42,
            config=SeasonConfig(symbols=2),
            start_time="2030-01-01T09:30:00",
            companies=(_company("APEX", 10_000), _company("BOLT", 5_000)),
            builtin_agents=(
                ev.BuiltinAgent(
                    agent_id="mm1",
                    name="Maker",
                    role=Role.MARKET_MAKER,
                    strategy="market_maker",
                    cash=MM_CASH,
                    holdings={"APEX": 1_000, "BOLT": 2_000},
                ),
                ev.BuiltinAgent(
                    agent_id="nt1",
                    name="Noise",
                    role=Role.RETAIL_TRADER,
                    strategy="noise",
                    cash=50_000_00,
                    holdings={},
                ),
            ),
        ),
        ev.AgentRegistered(
            tick=0,
            command_id="r1",
            agent_id="alice",
            name="Alice",
            role=Role.QUANT,
            cash=CASH,
            max_leverage=2,
            callback_url=None,
            api_key_hash="a" * 64,
        ),
        ev.AgentRegistered(
            tick=0,
            command_id="r2",
            agent_id="bob",
            name="Bob",
            role=Role.RETAIL_TRADER,
            cash=CASH,
            max_leverage=1,
            callback_url="http://bob.example/hook",
            api_key_hash="b" * 64,
        ),
        ev.MarketOpened(tick=1, day=1),
        _order(1, 1, "alice", "a1", "APEX", Intent.BUY, 100, 10_100),
        _order(1, 2, "mm1", "m1", "APEX", Intent.SELL, 300, 10_100),
        _trade(1, 1, "APEX", 10_100, 100, (1, "alice"), (2, "mm1")),
        ev.OrderRejected(
            tick=1,
            command_id="b1",
            agent_id="bob",
            command_type="BUY",
            symbol="APEX",
            reason=RejectReason.INSUFFICIENT_BUYING_POWER,
            detail="needs more cash",
        ),
        _order(1, 3, "bob", "b2", "BOLT", Intent.BUY, 10, 4_900),
        _bar(1, "APEX", 10_100, 10_100, 100),
        ev.PositionChanged(
            tick=1, agent_id="alice", symbol="APEX", quantity=100, cash=CASH - apex_cost - FEE
        ),
        ev.PositionChanged(
            tick=1, agent_id="mm1", symbol="APEX", quantity=900, cash=MM_CASH + apex_cost - FEE
        ),
        _tick(1),
        ev.OrderCancelled(
            tick=2,
            order_id=3,
            agent_id="bob",
            symbol="BOLT",
            remaining=10,
            reason=CancelReason.BY_AGENT,
            command_id="b3",
        ),
        ev.SocialActionRecorded(
            tick=2,
            command_id="a2",
            agent_id="alice",
            action="RUMOR",
            symbol="BOLT",
            text="BOLT is cooking the books",
            note="recorded; consequences not yet modelled",
        ),
        ev.CommandRejected(
            tick=2,
            command_id="b4",
            agent_id="bob",
            command_type="ALLY",
            reason=RejectReason.UNKNOWN_TARGET,
            detail="no such agent",
        ),
        # mm1 sells 50 more APEX at 10,500: the last price moves, alice gains on paper.
        _order(2, 4, "bob", "b5", "APEX", Intent.BUY, 50, 10_500),
        _trade(2, 2, "APEX", 10_500, 50, (4, "bob"), (2, "mm1")),
        _bar(2, "APEX", 10_500, 10_500, 50),
        ev.FundamentalsDrifted(tick=2, fair_values={"APEX": 10_200, "BOLT": 5_100}),
        ev.EarningsReported(
            tick=2,
            symbol="BOLT",
            quarter=1,
            revenue=6_000_000_00,
            profit=700_000_00,
            eps=70,
            surprise_bps=1_250,
            fair_value=5_300,
        ),
        ev.BorrowFeeCharged(tick=2, agent_id="nt1", symbol="BOLT", amount=7),
        _tick(2),
        ev.MarketClosed(tick=3, day=1),
        _tick(3),
    ]
    return [Sequenced(i, e) for i, e in enumerate(events, 1)]  # type: ignore[arg-type]


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    # Sync on purpose: an async fixture cannot pull another async fixture by name.
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('relational') / 'read.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(store_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(store_url)
    await migrate(store_url)  # a second run is a no-op
    eng = create_engine(store_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def season() -> str:
    return f"s{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture(loop_scope="session")
async def proj(engine: AsyncEngine, season: str) -> RelationalProjection:
    return RelationalProjection(engine, season)


class CrashBeforeCommit(RelationalProjection):
    """Fails once, at the last moment inside the batch transaction."""

    crashed = False

    async def _before_commit(self, conn: AsyncConnection) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("simulated crash")


async def fold_in(engine: AsyncEngine, season: str, batches: Sequence[Sequence[Sequenced]]) -> str:
    projection = RelationalProjection(engine, season)
    for batch in batches:
        await projection.apply(batch)
    return await table_digest(engine, season, include_positions=True)


def chunks(items: list[Sequenced], size: int) -> list[list[Sequenced]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- the contract -----------------------------------------------------------------------------
class TestRelationalContract:
    async def test_schema_matches_models(self, engine: AsyncEngine) -> None:
        def diff(conn: Connection) -> list[object]:
            ours = set(Base.metadata.tables)
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    # Other stores may share the database; compare only this model's tables.
                    "include_name": lambda name, kind, _parent: kind != "table" or name in ours,
                },
            )
            return list(compare_metadata(ctx, Base.metadata))

        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []

    async def test_fold_rows(
        self, engine: AsyncEngine, proj: RelationalProjection, season: str
    ) -> None:
        events = season_events()
        assert await proj.position() == 0
        await proj.apply(events)
        assert await proj.position() == len(events)

        alice = await q.portfolio(engine, season, "alice")
        assert alice is not None
        assert alice.cash == CASH - 10_100 * 100 - FEE
        assert [(h.symbol, h.quantity, h.last_price) for h in alice.holdings] == [
            ("APEX", 100, 10_500)
        ]
        assert alice.net_worth == CASH - 10_100 * 100 - FEE + 100 * 10_500
        bob = await q.get_agent(engine, season, "bob")
        assert bob is not None
        assert bob.cash == CASH - 10_500 * 50 - FEE  # no PositionChanged: the trade's delta
        mm = await q.portfolio(engine, season, "mm1")
        assert mm is not None
        assert {h.symbol: h.quantity for h in mm.holdings} == {"APEX": 850, "BOLT": 2_000}
        assert mm.cash == MM_CASH + 10_100 * 100 - FEE + 10_500 * 50 - FEE
        nt = await q.get_agent(engine, season, "nt1")
        assert nt is not None
        assert nt.cash == 50_000_00 - 7

        rows = await table_rows(engine, season)
        orders = {o["order_id"]: (o["status"], o["remaining"]) for o in rows["orders"]}
        assert orders == {
            1: ("filled", 0),
            2: ("open", 150),
            3: ("cancelled", 10),
            4: ("filled", 0),
        }
        assert [o.order_id for o in await q.open_orders(engine, season, "mm1")] == [2]
        assert len(rows["trades"]) == 2
        assert rows["investigations"] == []

        stock = await q.stock_detail(engine, season, "APEX")
        assert stock is not None
        assert (stock.last_price, stock.prev_close, stock.day_open, stock.volume) == (
            10_500,
            10_000,
            10_100,
            150,
        )
        assert stock.change_bps == 500
        assert "fair_value" not in stock.model_dump()  # private (projections/visibility.py)
        apex = next(c for c in rows["companies"] if c["symbol"] == "APEX")
        assert apex["fair_value"] == 10_200  # kept in the read model, for the replayer
        bolt = await q.stock_detail(engine, season, "BOLT")
        assert bolt is not None
        assert (bolt.eps, bolt.revenue) == (70, 6_000_000_00)
        assert [s.symbol for s in await q.list_stocks(engine, season)] == ["APEX", "BOLT"]
        assert [t.trade_id for t in await q.recent_trades(engine, season, symbol="APEX")] == [2, 1]
        assert len(await q.recent_trades(engine, season, agent_id="alice")) == 1

        world = await q.world_status(engine, season)
        assert world is not None
        assert (world.tick, world.day, world.market_open, world.last_state_hash) == (
            3,
            1,
            False,
            "hash3",
        )
        assert json.loads((rows["world_state"][0])["config"])["symbols"] == 2

        items = await q.news(engine, season, symbol="BOLT")
        assert [n.kind for n in items] == ["earnings"]
        assert "beats" in items[0].headline

    async def test_social_rows(
        self, engine: AsyncEngine, proj: RelationalProjection, season: str
    ) -> None:
        """Messages, alliances (formed in one batch, dissolved in a later one, so the row
        is loaded back), rumors with their news, and reputation on the agent."""
        base = season_events()
        n = len(base)
        social: list[ev.EventBase] = [
            ev.MessageDelivered(
                tick=4, command_id="m1", agent_id="alice", target_agent_id="bob",
                message_id=1, content="nul\x00 ok",
            ),
            ev.AllianceProposed(
                tick=4, command_id="p1", agent_id="alice", target_agent_id="bob",
                proposal="team", expires_tick=64,
            ),
            ev.AllianceFormed(
                tick=5, command_id="p2", agent_id="bob", target_agent_id="alice", proposal="ok"
            ),
            ev.RumorPublished(
                tick=5, command_id="r1", agent_id="bob", rumor_id=1, symbol="APEX",
                content="APEX will soar", sentiment=60, weight_pct=100, impulse_bps=180,
            ),
            ev.ReputationChanged(tick=5, agent_id="bob", delta=-2, reputation=48, cause="RUMOR"),
        ]  # fmt: skip
        later: list[ev.EventBase] = [
            ev.AllianceDissolved(tick=6, command_id="d1", agent_id="alice", target_agent_id="bob"),
        ]
        await proj.apply(base)
        await proj.apply([Sequenced(n + 1 + i, e) for i, e in enumerate(social)])  # type: ignore[arg-type]
        (alliance,) = await q.alliances(engine, season)
        assert (alliance.alliance_id, alliance.proposer_id, alliance.formed_tick) == (
            "alice/bob",
            "alice",
            5,
        )
        await proj.apply([Sequenced(n + 1 + len(social), later[0])])  # type: ignore[arg-type]
        assert await q.alliances(engine, season) == []
        (ended,) = await q.alliances(engine, season, agent_id="bob", include_dissolved=True)
        assert (ended.status, ended.formed_tick, ended.dissolved_tick, ended.dissolved_by) == (
            "dissolved",
            5,
            6,
            "alice",
        )
        (message,) = await q.messages(engine, season, "bob")
        assert (message.sender_id, message.content) == ("alice", "nul\ufffd ok")
        assert await q.messages(engine, season, "alice") == []
        (rumor,) = await q.rumors(engine, season, symbol="APEX")
        assert (rumor.agent_id, rumor.sentiment, rumor.impulse_bps) == ("bob", 60, 180)
        bob = await q.get_agent(engine, season, "bob")
        assert bob is not None
        assert bob.reputation == 48
        alice = await q.get_agent(engine, season, "alice")
        assert alice is not None
        assert alice.reputation == 50
        ranked = {e.agent_id: e.reputation for e in await q.leaderboard(engine, season)}
        assert ranked == {"alice": 50, "bob": 48}  # public on the leaderboard rows too
        kinds = [n.kind for n in await q.news(engine, season)]
        assert kinds[:3] == ["alliance", "rumor", "alliance"]
        outcome = await q.action_outcome(engine, season, "bob", "p2")
        assert outcome is not None
        assert outcome.event_type == "AllianceFormed"

    async def test_v2_news_is_the_logs_news_published(
        self, engine: AsyncEngine, proj: RelationalProjection, season: str
    ) -> None:
        """A rules v2 season's news table holds its NewsPublished events as they are and
        nothing the fold makes up (the same events under v1 get invented headlines)."""
        base = season_events()
        genesis = base[0].event
        assert isinstance(genesis, ev.SeasonStarted)
        v2 = [Sequenced(base[0].seq, genesis.model_copy(update={"rules_version": 2})), *base[1:]]
        n = len(base)
        story = ev.NewsPublished(
            tick=5, news_id="5.1", category=NewsCategory.EARNINGS,
            headline="BOLT smashes estimates", summary="A +4.0% surprise.",
            symbols=["BOLT"], agent_ids=[], sentiment=50, impulse_bps=100,
            source="EarningsReported",
        )  # fmt: skip
        await proj.apply(v2)
        await proj.apply([Sequenced(n + 1, story)])  # type: ignore[arg-type]
        items = await q.news(engine, season)
        assert [(i.news_id, i.kind, i.symbol, i.headline, i.body, i.sentiment) for i in items] == [
            ("5.1", "earnings", "BOLT", "BOLT smashes estimates", "A +4.0% surprise.", 50)
        ]
        article = ev.ArticlePublished(
            tick=6, command_id="article:5.1", agent_id="newsroom", news_id="5.1",
            headline="Bolt bolts higher", summary="The quarter crushes the consensus.",
            sentiment=70,
        )  # fmt: skip
        await proj.apply([Sequenced(n + 2, article)])  # type: ignore[arg-type]
        (item,) = await q.news(engine, season)
        assert (item.news_id, item.headline, item.body, item.sentiment) == (
            "5.1",
            "Bolt bolts higher",
            "The quarter crushes the consensus.",
            50,  # the story's: what moved the built-in traders
        )

    async def test_action_outcomes(
        self, engine: AsyncEngine, proj: RelationalProjection, season: str
    ) -> None:
        await proj.apply(season_events())
        accepted = await q.action_outcome(engine, season, "alice", "a1")
        assert accepted is not None
        assert (accepted.status, accepted.command_type, accepted.order_id) == ("accepted", "BUY", 1)
        rejected = await q.action_outcome(engine, season, "bob", "b1")
        assert rejected is not None
        assert (rejected.status, rejected.reason) == ("rejected", "insufficient_buying_power")
        cancel = await q.action_outcome(engine, season, "bob", "b3")
        assert cancel is not None
        assert (cancel.command_type, cancel.order_id) == ("CANCEL_ORDER", 3)
        ally = await q.action_outcome(engine, season, "bob", "b4")
        assert ally is not None
        assert (ally.status, ally.reason) == ("rejected", "unknown_target")
        rumor = await q.action_outcome(engine, season, "alice", "a2")
        assert rumor is not None
        assert rumor.command_type == "RUMOR"
        registered = await q.action_outcome(engine, season, "bob", "r2")
        assert registered is not None
        assert registered.event_type == "AgentRegistered"
        assert await q.action_outcome(engine, season, "bob", "nope") is None
        found = await q.agent_by_key_hash(engine, season, "b" * 64)
        assert found is not None
        assert found.agent_id == "bob"

    async def test_leaderboard(
        self, engine: AsyncEngine, proj: RelationalProjection, season: str
    ) -> None:
        await proj.apply(season_events())
        board = await q.leaderboard(engine, season)
        assert [(e.rank, e.agent_id) for e in board] == [(1, "alice"), (2, "bob")]
        alice_worth = CASH - 10_100 * 100 - FEE + 100 * 10_500
        assert board[0].net_worth == alice_worth
        assert board[0].return_bps == (alice_worth - CASH) * 10_000 // CASH
        assert board[1].return_bps == 0  # -20 + 500 cents on $100k truncates to 0 bps
        builtins = await q.leaderboard(engine, season, builtin=True)
        assert [(e.rank, e.overall_rank, e.agent_id) for e in builtins] == [
            (1, 1, "mm1"),
            (2, 4, "nt1"),
        ]
        alice = await q.portfolio(engine, season, "alice")
        assert alice is not None
        assert alice.return_bps == board[0].return_bps

    async def test_idempotent_and_batching_invariant(
        self, engine: AsyncEngine, season: str
    ) -> None:
        events = season_events()
        once = await fold_in(engine, season, [events])
        twice = await fold_in(engine, season, [events, events, events[3:9]])
        assert twice == once
        for size in (1, 4, 7):
            other = f"{season}_{size}"
            assert await fold_in(engine, other, chunks(events, size)) == await fold_in(
                engine, f"{season}_ref{size}", [events]
            )

    async def test_crash_mid_batch_leaves_nothing(self, engine: AsyncEngine, season: str) -> None:
        events = season_events()
        first, second = events[:9], events[9:]
        crashing = CrashBeforeCommit(engine, season)
        await RelationalProjection(engine, season).apply(first)
        after_first = await table_digest(engine, season)
        with pytest.raises(RuntimeError, match="simulated crash"):
            await crashing.apply(second)
        assert await table_digest(engine, season) == after_first
        assert await crashing.position() == len(first)
        await crashing.apply(second)  # the retry, as the runner would redeliver it
        assert await table_digest(engine, season) == await fold_in(
            engine, f"{season}_ref", [events]
        )

    async def test_reset_and_rebuild(
        self, engine: AsyncEngine, proj: RelationalProjection, season: str
    ) -> None:
        events = season_events()
        neighbour = f"{season}_n"
        neighbour_digest = await fold_in(engine, neighbour, [events])
        await proj.apply(events)
        before = await table_digest(engine, season)
        await proj.reset()
        assert await proj.position() == 0
        assert all(rows == [] for rows in (await table_rows(engine, season)).values())
        for batch in chunks(events, 5):
            await proj.apply(batch)
        assert await table_digest(engine, season) == before
        assert await table_digest(engine, neighbour) == neighbour_digest

    async def test_rejects_unordered_batch(self, proj: RelationalProjection) -> None:
        events = season_events()
        with pytest.raises(ValueError, match="ascending"):
            await proj.apply([events[1], events[0]])
        assert await proj.position() == 0


# -- a simulated season -----------------------------------------------------------------------
@functools.cache
def simulated(ticks: int) -> tuple[Sequenced, ...]:
    """A realistic season from the domain; deterministic, so shorter runs are prefixes."""
    return tuple(Sequenced(i, e) for i, e in enumerate(domain.simulate(7, ticks), 1))  # type: ignore[arg-type]


async def fold_simulated(url: str, season: str, events: Sequence[Sequenced]) -> str:
    await migrate(url)
    eng = create_engine(url)
    try:
        digest = await fold_in(eng, season, chunks(list(events), 1000))
        await check_simulated_totals(eng, season, events)
        return digest
    finally:
        await eng.dispose()


async def check_simulated_totals(
    eng: AsyncEngine, season: str, events: Sequence[Sequenced]
) -> None:
    """Cash and holdings equal what the events say, and trading conserves money and shares."""
    start = next(s.event for s in events if isinstance(s.event, ev.SeasonStarted))
    assert isinstance(start, ev.SeasonStarted)
    cash = {a.agent_id: a.cash for a in start.builtin_agents}
    held = {(a.agent_id, sym): q for a in start.builtin_agents for sym, q in a.holdings.items()}
    fees = 0
    for item in events:
        e = item.event
        if isinstance(e, ev.AgentRegistered):
            cash[e.agent_id] = e.cash
        elif isinstance(e, ev.PositionChanged):
            cash[e.agent_id] = e.cash
            held[(e.agent_id, e.symbol)] = e.quantity
        elif isinstance(e, ev.TradeExecuted):
            fees += e.buyer_fee + e.seller_fee
    rows = await table_rows(eng, season)
    assert {a["agent_id"]: a["cash"] for a in rows["agents"]} == cash
    assert {(h["agent_id"], h["symbol"]): h["quantity"] for h in rows["holdings"]} == held
    assert sum(a["cash"] for a in rows["agents"]) + fees == sum(
        a["starting_cash"] for a in rows["agents"]
    )
    shares: Counter[str] = Counter()
    for (_agent, sym), qty in held.items():
        shares[sym] += qty
    initial: Counter[str] = Counter()
    for a in start.builtin_agents:
        initial.update(a.holdings)
    # Shorts are negative holdings: every share sold short is held long by someone else.
    assert {s: q for s, q in shares.items() if q} == {s: q for s, q in initial.items() if q}
    assert len(rows["trades"]) == sum(isinstance(s.event, ev.TradeExecuted) for s in events)


@pytest.mark.slow
async def test_simulated_season_same_on_sqlite_and_postgres(
    tmp_path: Path, postgres_url: str
) -> None:
    events = simulated(200)
    season = f"sim{uuid.uuid4().hex[:8]}"
    on_sqlite = await fold_simulated(f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}", season, events)
    on_postgres = await fold_simulated(postgres_url, season, events)
    assert on_sqlite == on_postgres


# -- the runner, against a real nats-server ---------------------------------------------------
@pytest_asyncio.fixture(loop_scope="session")
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await connect(nats_url)
    yield nc.jetstream()
    await nc.close()


async def publish_season(
    js: JetStreamContext, season: str, events: Sequence[Sequenced], *, create: bool = True
) -> int:
    """Append events like the engine does: file-backed stream, one subject per event type."""
    streams = SeasonStreams(season)
    if create:
        await js.add_stream(
            StreamConfig(
                name=streams.event_stream,
                subjects=[streams.event_subjects],
                storage=StorageType.FILE,
                allow_direct=True,
            )
        )
    nc = js._nc  # core publishes (no per-message ack round trip) keep the test fast
    for item in events:
        e = item.event
        await nc.publish(
            streams.event_subject(e.type),
            e.model_dump_json().encode(),
            headers={MSG_ID: streams.event_msg_id(e.tick, item.seq)},
        )
    await nc.flush()
    for _ in range(200):
        info = await js.stream_info(streams.event_stream)
        if info.state.last_seq >= events[-1].seq:
            return int(info.state.last_seq)
        await asyncio.sleep(0.02)
    raise AssertionError("events did not all reach the stream")


class TestRunner:
    async def test_catch_up_live_tail_and_rebuild(
        self, js: JetStreamContext, engine: AsyncEngine, season: str
    ) -> None:
        events = simulated(40)
        first, rest = events[:3_000], events[3_000:]
        last = await publish_season(js, season, first)
        proj = RelationalProjection(engine, season)
        seen: list[tuple[int, int]] = []
        position = await run_projection(
            js,
            season,
            proj,
            batch_size=500,
            stop_when_caught_up=True,
            progress=lambda done, total: seen.append((done, total)),
        )
        assert position == last == len(first)
        assert await lag(js, season, proj) == (last, last)
        assert seen[-1] == (last, last)
        assert all(total == last for _, total in seen)
        assert await table_digest(engine, season) == await fold_in(
            engine, f"{season}_ref1", [list(first)]
        )

        # Live tail: the runner picks up what the engine appends while it waits.
        task = asyncio.create_task(
            run_projection(js, season, proj, batch_size=700, fetch_timeout=0.2)
        )
        last = await publish_season(js, season, rest, create=False)
        for _ in range(300):
            if await proj.position() == last:
                break
            await asyncio.sleep(0.02)
        await cancel_and_wait(task)  # re-cancels: 3.11's wait_for can swallow one cancel
        assert task.cancelled()
        assert await proj.position() == last == len(events)
        live = await table_digest(engine, season)
        assert live == await fold_in(engine, f"{season}_ref2", [list(events)])

        # Rebuild from the log: same rows, progress reported up to the end.
        seen.clear()
        assert await rebuild(js, season, proj, progress=lambda d, t: seen.append((d, t))) == last
        assert seen[-1] == (last, last)
        assert await table_digest(engine, season) == live
        # Caught up already: returns at once.
        assert await run_projection(js, season, proj, stop_when_caught_up=True) == last
        info = await js.stream_info(SeasonStreams(season).event_stream)
        assert info.state.consumer_count == 0
        await js.delete_stream(SeasonStreams(season).event_stream)
