"""The legal system under rules version 2: investigations filled in, and the prison.

Revision ID: 0003_legal
Revises: 0002_social
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003_legal"
down_revision: str | None = "0002_social"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a revision must not change when models.py does.
SEASON = sa.String(32)
ID = sa.String(64)
BIG = sa.BigInteger()


def _col(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def upgrade() -> None:
    with op.batch_alter_table("investigations") as cases:
        cases.add_column(_col("investigator_id", ID, null=True))
        cases.add_column(sa.Column("strength", sa.Integer(), nullable=False, server_default="0"))
        cases.add_column(_col("trial_tick", BIG, null=True))
        cases.add_column(_col("reason", sa.Text(), null=True))
        cases.add_column(_col("verdict_reason", sa.Text(), null=True))
        cases.add_column(sa.Column("updated_tick", BIG, nullable=False, server_default="0"))
    op.create_table(
        "prison",
        _col("season_id", SEASON),
        _col("agent_id", ID),
        _col("case_id", BIG),
        _col("since_tick", BIG),
        _col("release_tick", BIG),
        _col("released_tick", BIG, null=True),
        _col("reason", sa.Text()),
        sa.PrimaryKeyConstraint("season_id", "agent_id", name="pk_prison"),
    )


def downgrade() -> None:
    op.drop_table("prison")
    with op.batch_alter_table("investigations") as cases:
        for column in (
            "updated_tick",
            "verdict_reason",
            "reason",
            "trial_tick",
            "strength",
            "investigator_id",
        ):
            cases.drop_column(column)
