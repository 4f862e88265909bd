"""Social actions under rules version 2: agents' reputation, messages, alliances, rumors.

Revision ID: 0002_social
Revises: 0001_initial
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002_social"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a revision must not change when models.py does.
SEASON = sa.String(32)
ID = sa.String(64)
SYMBOL = sa.String(8)
BIG = sa.BigInteger()


def _col(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=f"pk_{table}")


def upgrade() -> None:
    with op.batch_alter_table("agents") as agents:
        agents.add_column(
            sa.Column("reputation", sa.Integer(), nullable=False, server_default="50")
        )
    op.create_table(
        "messages",
        _col("season_id", SEASON),
        _col("message_id", BIG),
        _col("tick", BIG),
        _col("sender_id", ID),
        _col("target_id", ID),
        _col("content", sa.Text()),
        _pk("messages", "season_id", "message_id"),
    )
    op.create_index(
        "ix_messages_season_id_target_id_message_id",
        "messages",
        ["season_id", "target_id", "message_id"],
    )
    op.create_table(
        "alliances",
        _col("season_id", SEASON),
        _col("alliance_id", sa.String(130)),
        _col("member_a", ID),
        _col("member_b", ID),
        _col("proposer_id", ID),
        _col("status", sa.String(16)),
        _col("formed_tick", BIG),
        _col("dissolved_tick", BIG, null=True),
        _col("dissolved_by", ID, null=True),
        _pk("alliances", "season_id", "alliance_id"),
    )
    op.create_table(
        "rumors",
        _col("season_id", SEASON),
        _col("rumor_id", BIG),
        _col("tick", BIG),
        _col("agent_id", ID),
        _col("symbol", SYMBOL),
        _col("content", sa.Text()),
        _col("sentiment", sa.Integer()),
        _col("weight_pct", sa.Integer()),
        _col("impulse_bps", sa.Integer()),
        _pk("rumors", "season_id", "rumor_id"),
    )


def downgrade() -> None:
    for table in ("rumors", "alliances", "messages"):
        op.drop_table(table)
    with op.batch_alter_table("agents") as agents:
        agents.drop_column("reputation")
