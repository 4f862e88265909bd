"""Tables of the relational read model. Every table is keyed by ``season_id`` first.

A read database can hold several seasons side by side; a rebuild of one season deletes
only its rows. Money and prices are integer cents (BIGINT), quantities integer shares.
The alembic revisions in ``migrations/`` create exactly these tables (a test checks it).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "LEADERBOARD_VIEW_SQL",
    "Action",
    "Agent",
    "Alliance",
    "Base",
    "Company",
    "Holding",
    "Investigation",
    "Message",
    "News",
    "Order",
    "Prisoner",
    "ProjectionPosition",
    "Rumor",
    "Trade",
    "WorldState",
    "leaderboard",
]

SEASON = String(32)
ID = String(64)
NAME = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Agent(Base):
    __tablename__ = "agents"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    role: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    cash: Mapped[int] = mapped_column(BigInteger)
    starting_cash: Mapped[int] = mapped_column(BigInteger)
    # cash plus builtin holdings at listing price: the base of "return".
    starting_net_worth: Mapped[int] = mapped_column(BigInteger)
    max_leverage: Mapped[int | None] = mapped_column(Integer)
    callback_url: Mapped[str | None] = mapped_column(Text)
    api_key_hash: Mapped[str | None] = mapped_column(String(64))
    registered_tick: Mapped[int] = mapped_column(BigInteger)
    builtin: Mapped[bool] = mapped_column(Boolean)
    strategy: Mapped[str | None] = mapped_column(String(32))
    margin_call_deadline: Mapped[int | None] = mapped_column(BigInteger)
    updated_tick: Mapped[int] = mapped_column(BigInteger)
    reputation: Mapped[int] = mapped_column(Integer, server_default="50")  # public, 0..100


class Company(Base):
    __tablename__ = "companies"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    sector: Mapped[str] = mapped_column(String(32))
    shares_outstanding: Mapped[int] = mapped_column(BigInteger)
    revenue: Mapped[int] = mapped_column(BigInteger)
    profit: Mapped[int] = mapped_column(BigInteger)
    company_cash: Mapped[int] = mapped_column(BigInteger)
    debt: Mapped[int] = mapped_column(BigInteger)
    volatility_bps: Mapped[int] = mapped_column(Integer)
    beta_pct: Mapped[int] = mapped_column(Integer)
    eps: Mapped[int | None] = mapped_column(BigInteger)
    quarter: Mapped[int | None] = mapped_column(Integer)
    initial_price: Mapped[int] = mapped_column(BigInteger)
    last_price: Mapped[int] = mapped_column(BigInteger)
    fair_value: Mapped[int] = mapped_column(BigInteger)
    prev_close: Mapped[int] = mapped_column(BigInteger)
    day_open: Mapped[int | None] = mapped_column(BigInteger)
    day_high: Mapped[int | None] = mapped_column(BigInteger)
    day_low: Mapped[int | None] = mapped_column(BigInteger)
    volume: Mapped[int] = mapped_column(BigInteger)  # shares traded today
    total_volume: Mapped[int] = mapped_column(BigInteger)
    updated_tick: Mapped[int] = mapped_column(BigInteger)


class Holding(Base):
    """Signed: a negative quantity is a short position."""

    __tablename__ = "holdings"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ID, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(8), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index(None, "season_id", "agent_id", "status"),)
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    command_id: Mapped[str] = mapped_column(ID)
    agent_id: Mapped[str] = mapped_column(ID)
    symbol: Mapped[str] = mapped_column(String(8))
    intent: Mapped[str] = mapped_column(String(8))
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int | None] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # open|filled|cancelled|expired
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    triggered: Mapped[bool] = mapped_column(Boolean)
    created_tick: Mapped[int] = mapped_column(BigInteger)
    updated_tick: Mapped[int] = mapped_column(BigInteger)


class Trade(Base):
    __tablename__ = "trades"
    __table_args__ = (Index(None, "season_id", "symbol", "trade_id"),)
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    trade_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tick: Mapped[int] = mapped_column(BigInteger)
    symbol: Mapped[str] = mapped_column(String(8))
    price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    buy_order_id: Mapped[int] = mapped_column(BigInteger)
    sell_order_id: Mapped[int] = mapped_column(BigInteger)
    buyer_id: Mapped[str] = mapped_column(ID)
    seller_id: Mapped[str] = mapped_column(ID)
    buyer_fee: Mapped[int] = mapped_column(BigInteger)
    seller_fee: Mapped[int] = mapped_column(BigInteger)
    aggressor: Mapped[str] = mapped_column(String(8))


class Action(Base):
    """Every command outcome, for audit; keyed by the event's stream sequence."""

    __tablename__ = "actions"
    __table_args__ = (Index(None, "season_id", "agent_id", "command_id"),)
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tick: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(ID)
    command_id: Mapped[str] = mapped_column(String(128))
    command_type: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # accepted|rejected
    reason: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(BigInteger)


class Investigation(Base):
    """A case of the legal system (rules v2), folded from its events (fold_legal.py).

    ``charge`` is the offence; ``evidence`` the JSON list of its pieces (each with its
    source, weight, the strength after it, its references and reason); ``status`` one of
    open, charged, convicted, settled, acquitted, dismissed.
    """

    __tablename__ = "investigations"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    investigation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    target_agent_id: Mapped[str] = mapped_column(ID)
    opened_by: Mapped[str | None] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(16))
    charge: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    opened_tick: Mapped[int] = mapped_column(BigInteger)
    closed_tick: Mapped[int | None] = mapped_column(BigInteger)
    fine: Mapped[int | None] = mapped_column(BigInteger)
    sentence_ticks: Mapped[int | None] = mapped_column(BigInteger)
    investigator_id: Mapped[str | None] = mapped_column(ID)
    strength: Mapped[int] = mapped_column(Integer, server_default="0")
    trial_tick: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    verdict_reason: Mapped[str | None] = mapped_column(Text)
    updated_tick: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Prisoner(Base):
    """Who is or was in prison (rules v2): one row per agent, its latest term."""

    __tablename__ = "prison"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger)
    since_tick: Mapped[int] = mapped_column(BigInteger)
    release_tick: Mapped[int] = mapped_column(BigInteger)
    released_tick: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)


class Message(Base):
    """Every delivered MESSAGE (rules version 2): private to its two agents."""

    __tablename__ = "messages"
    __table_args__ = (Index(None, "season_id", "target_id", "message_id"),)
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tick: Mapped[int] = mapped_column(BigInteger)
    sender_id: Mapped[str] = mapped_column(ID)
    target_id: Mapped[str] = mapped_column(ID)
    content: Mapped[str] = mapped_column(Text)


class Alliance(Base):
    """An alliance (rules version 2): ``alliance_id`` is ``<member_a>/<member_b>``, the
    two members in sorted order; a re-formed alliance reuses its row."""

    __tablename__ = "alliances"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    alliance_id: Mapped[str] = mapped_column(String(130), primary_key=True)
    member_a: Mapped[str] = mapped_column(ID)
    member_b: Mapped[str] = mapped_column(ID)
    proposer_id: Mapped[str] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(16))  # active|dissolved
    formed_tick: Mapped[int] = mapped_column(BigInteger)
    dissolved_tick: Mapped[int | None] = mapped_column(BigInteger)
    dissolved_by: Mapped[str | None] = mapped_column(ID)


class Rumor(Base):
    """Every published RUMOR (rules version 2), with its scored sentiment."""

    __tablename__ = "rumors"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    rumor_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tick: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(ID)
    symbol: Mapped[str] = mapped_column(String(8))
    content: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[int] = mapped_column(Integer)
    weight_pct: Mapped[int] = mapped_column(Integer)
    impulse_bps: Mapped[int] = mapped_column(Integer)


class News(Base):
    __tablename__ = "news"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tick: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str | None] = mapped_column(String(8))
    agent_id: Mapped[str | None] = mapped_column(ID)
    headline: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # rules v2: the NewsPublished the row is (None: a v1 season's headline, made up here)
    news_id: Mapped[str | None] = mapped_column(String(32))
    sentiment: Mapped[int | None] = mapped_column(Integer)


class WorldState(Base):
    __tablename__ = "world_state"
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    config: Mapped[str] = mapped_column(Text)  # SeasonConfig JSON
    start_time: Mapped[str] = mapped_column(String(40))
    sim_time: Mapped[str] = mapped_column(String(40))
    tick: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[int] = mapped_column(Integer)
    regime: Mapped[str] = mapped_column(String(16))
    market_open: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # running|ended
    ended_reason: Mapped[str | None] = mapped_column(Text)
    last_state_hash: Mapped[str | None] = mapped_column(String(128))
    rules_version: Mapped[int] = mapped_column(Integer, server_default="1")


class ProjectionPosition(Base):
    __tablename__ = "projection_positions"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    season_id: Mapped[str] = mapped_column(SEASON, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


# The leaderboard is a view (created by the migration), so it lives outside Base.metadata:
# create_all and autogenerate must not treat it as a table.
LEADERBOARD_VIEW_SQL = """
CREATE VIEW leaderboard AS
SELECT
    a.season_id, a.agent_id, a.name, a.role, a.status, a.builtin, a.cash,
    COALESCE(h.holdings_value, 0) AS holdings_value,
    a.cash + COALESCE(h.holdings_value, 0) AS net_worth,
    a.starting_net_worth,
    CASE WHEN a.starting_net_worth > 0
        THEN (a.cash + COALESCE(h.holdings_value, 0) - a.starting_net_worth) * 10000
             / a.starting_net_worth
        ELSE 0 END AS return_bps,
    RANK() OVER (PARTITION BY a.season_id, a.builtin
                 ORDER BY a.cash + COALESCE(h.holdings_value, 0) DESC) AS rank,
    RANK() OVER (PARTITION BY a.season_id
                 ORDER BY a.cash + COALESCE(h.holdings_value, 0) DESC) AS overall_rank
FROM agents a
LEFT JOIN (
    SELECT hd.season_id, hd.agent_id,
           CAST(SUM(hd.quantity * c.last_price) AS BIGINT) AS holdings_value
    FROM holdings hd
    JOIN companies c ON c.season_id = hd.season_id AND c.symbol = hd.symbol
    GROUP BY hd.season_id, hd.agent_id
) h ON h.season_id = a.season_id AND h.agent_id = a.agent_id
"""

leaderboard = Table(
    "leaderboard",
    MetaData(),
    Column("season_id", SEASON),
    Column("agent_id", ID),
    Column("name", NAME),
    Column("role", String(32)),
    Column("status", String(16)),
    Column("builtin", Boolean),
    Column("cash", BigInteger),
    Column("holdings_value", BigInteger),
    Column("net_worth", BigInteger),
    Column("starting_net_worth", BigInteger),
    Column("return_bps", BigInteger),
    Column("rank", BigInteger),
    Column("overall_rank", BigInteger),
)
