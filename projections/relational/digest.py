"""A stable fingerprint of one season's rows, to compare stores, rebuilds and backends.

Rows are read table by table in primary-key order and hashed as canonical JSON, so the
same logical content gives the same digest on SQLite and Postgres. ``season_id`` itself is
left out, so a season folded under another id (a rebuild, a fork) can be compared too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from projections.relational.models import Base

__all__ = ["table_digest", "table_rows"]


async def table_rows(
    engine: AsyncEngine, season_id: str, *, include_positions: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Every row of the season, per table (sorted by name), each in primary-key order."""
    out: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table in sorted(Base.metadata.sorted_tables, key=lambda t: t.name):
            if table.name == "projection_positions" and not include_positions:
                continue
            stmt = (
                select(table)
                .where(table.c.season_id == season_id)
                .order_by(*table.primary_key.columns)
            )
            out[table.name] = [dict(r) for r in (await conn.execute(stmt)).mappings()]
    return out


async def table_digest(
    engine: AsyncEngine, season_id: str, *, include_positions: bool = True
) -> str:
    """SHA-256 over the season's rows (see :func:`table_rows`)."""
    rows = await table_rows(engine, season_id, include_positions=include_positions)
    h = hashlib.sha256()
    for name, table_rows_ in rows.items():
        h.update(name.encode())
        for row in table_rows_:
            content = {k: v for k, v in row.items() if k != "season_id"}
            h.update(json.dumps(content, sort_keys=True, separators=(",", ":")).encode())
            h.update(b"\n")
    return h.hexdigest()
