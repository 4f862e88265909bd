"""News from the log under rules version 2: a story's id and sentiment, a season's rules.

Revision ID: 0004_news
Revises: 0003_legal
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_news"
down_revision: str | None = "0003_legal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("news") as news:
        news.add_column(sa.Column("news_id", sa.String(32), nullable=True))
        news.add_column(sa.Column("sentiment", sa.Integer(), nullable=True))
    with op.batch_alter_table("world_state") as world:
        world.add_column(
            sa.Column("rules_version", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("world_state") as world:
        world.drop_column("rules_version")
    with op.batch_alter_table("news") as news:
        news.drop_column("sentiment")
        news.drop_column("news_id")
