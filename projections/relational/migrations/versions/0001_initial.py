"""Initial relational read model: every table keyed by season, plus the leaderboard view.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a revision must not change when models.py does.
SEASON = sa.String(32)
ID = sa.String(64)
NAME = sa.String(64)
SYMBOL = sa.String(8)
BIG = sa.BigInteger()

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


def _col(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=f"pk_{table}")


def upgrade() -> None:
    op.create_table(
        "agents",
        _col("season_id", SEASON),
        _col("agent_id", ID),
        _col("name", NAME),
        _col("role", sa.String(32)),
        _col("status", sa.String(16)),
        _col("cash", BIG),
        _col("starting_cash", BIG),
        _col("starting_net_worth", BIG),
        _col("max_leverage", sa.Integer(), null=True),
        _col("callback_url", sa.Text(), null=True),
        _col("api_key_hash", sa.String(64), null=True),
        _col("registered_tick", BIG),
        _col("builtin", sa.Boolean()),
        _col("strategy", sa.String(32), null=True),
        _col("margin_call_deadline", BIG, null=True),
        _col("updated_tick", BIG),
        _pk("agents", "season_id", "agent_id"),
    )
    op.create_table(
        "companies",
        _col("season_id", SEASON),
        _col("symbol", SYMBOL),
        _col("name", NAME),
        _col("sector", sa.String(32)),
        _col("shares_outstanding", BIG),
        _col("revenue", BIG),
        _col("profit", BIG),
        _col("company_cash", BIG),
        _col("debt", BIG),
        _col("volatility_bps", sa.Integer()),
        _col("beta_pct", sa.Integer()),
        _col("eps", BIG, null=True),
        _col("quarter", sa.Integer(), null=True),
        _col("initial_price", BIG),
        _col("last_price", BIG),
        _col("fair_value", BIG),
        _col("prev_close", BIG),
        _col("day_open", BIG, null=True),
        _col("day_high", BIG, null=True),
        _col("day_low", BIG, null=True),
        _col("volume", BIG),
        _col("total_volume", BIG),
        _col("updated_tick", BIG),
        _pk("companies", "season_id", "symbol"),
    )
    op.create_table(
        "holdings",
        _col("season_id", SEASON),
        _col("agent_id", ID),
        _col("symbol", SYMBOL),
        _col("quantity", BIG),
        _pk("holdings", "season_id", "agent_id", "symbol"),
    )
    op.create_table(
        "orders",
        _col("season_id", SEASON),
        _col("order_id", BIG),
        _col("command_id", ID),
        _col("agent_id", ID),
        _col("symbol", SYMBOL),
        _col("intent", sa.String(8)),
        _col("side", sa.String(8)),
        _col("order_type", sa.String(8)),
        _col("quantity", BIG),
        _col("price", BIG, null=True),
        _col("reserved", BIG),
        _col("remaining", BIG),
        _col("status", sa.String(16)),
        _col("cancel_reason", sa.String(32), null=True),
        _col("triggered", sa.Boolean()),
        _col("created_tick", BIG),
        _col("updated_tick", BIG),
        _pk("orders", "season_id", "order_id"),
    )
    op.create_index(
        "ix_orders_season_id_agent_id_status", "orders", ["season_id", "agent_id", "status"]
    )
    op.create_table(
        "trades",
        _col("season_id", SEASON),
        _col("trade_id", BIG),
        _col("tick", BIG),
        _col("symbol", SYMBOL),
        _col("price", BIG),
        _col("quantity", BIG),
        _col("buy_order_id", BIG),
        _col("sell_order_id", BIG),
        _col("buyer_id", ID),
        _col("seller_id", ID),
        _col("buyer_fee", BIG),
        _col("seller_fee", BIG),
        _col("aggressor", sa.String(8)),
        _pk("trades", "season_id", "trade_id"),
    )
    op.create_index(
        "ix_trades_season_id_symbol_trade_id", "trades", ["season_id", "symbol", "trade_id"]
    )
    op.create_table(
        "actions",
        _col("season_id", SEASON),
        _col("seq", BIG),
        _col("tick", BIG),
        _col("agent_id", ID),
        _col("command_id", sa.String(128)),
        _col("command_type", sa.String(32)),
        _col("event_type", sa.String(32)),
        _col("status", sa.String(16)),
        _col("reason", sa.String(64), null=True),
        _col("detail", sa.Text(), null=True),
        _col("order_id", BIG, null=True),
        _pk("actions", "season_id", "seq"),
    )
    op.create_index(
        "ix_actions_season_id_agent_id_command_id",
        "actions",
        ["season_id", "agent_id", "command_id"],
    )
    op.create_table(
        "investigations",
        _col("season_id", SEASON),
        _col("investigation_id", BIG),
        _col("target_agent_id", ID),
        _col("opened_by", ID, null=True),
        _col("status", sa.String(16)),
        _col("charge", sa.Text(), null=True),
        _col("evidence", sa.Text(), null=True),
        _col("opened_tick", BIG),
        _col("closed_tick", BIG, null=True),
        _col("fine", BIG, null=True),
        _col("sentence_ticks", BIG, null=True),
        _pk("investigations", "season_id", "investigation_id"),
    )
    op.create_table(
        "news",
        _col("season_id", SEASON),
        _col("seq", BIG),
        _col("tick", BIG),
        _col("kind", sa.String(32)),
        _col("symbol", SYMBOL, null=True),
        _col("agent_id", ID, null=True),
        _col("headline", sa.Text()),
        _col("body", sa.Text()),
        _pk("news", "season_id", "seq"),
    )
    op.create_table(
        "world_state",
        _col("season_id", SEASON),
        _col("seed", BIG),
        _col("config", sa.Text()),
        _col("start_time", sa.String(40)),
        _col("sim_time", sa.String(40)),
        _col("tick", BIG),
        _col("day", sa.Integer()),
        _col("regime", sa.String(16)),
        _col("market_open", sa.Boolean()),
        _col("status", sa.String(16)),
        _col("ended_reason", sa.Text(), null=True),
        _col("last_state_hash", sa.String(128), null=True),
        _pk("world_state", "season_id"),
    )
    op.create_table(
        "projection_positions",
        _col("name", sa.String(64)),
        _col("season_id", SEASON),
        _col("position", BIG),
        _pk("projection_positions", "name", "season_id"),
    )
    op.execute(LEADERBOARD_VIEW_SQL)


def downgrade() -> None:
    op.execute("DROP VIEW leaderboard")
    for table in (
        "projection_positions",
        "world_state",
        "news",
        "investigations",
        "actions",
        "trades",
        "orders",
        "holdings",
        "companies",
        "agents",
    ):
        op.drop_table(table)
