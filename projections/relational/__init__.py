"""Relational read model (SQLite or Postgres): tables, the projection, reads, migrations."""

from projections.relational.database import create_engine, default_url
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection

__all__ = ["RelationalProjection", "create_engine", "default_url", "migrate"]
