"""The relational projection: folds event batches into SQLite or Postgres.

One batch = one transaction: read the stored position, drop already-applied events,
load the rows the batch touches (a handful of SELECT ... IN), fold in memory
(``fold.py``), write back with bulk upserts/inserts, and store the new position. A crash
anywhere before commit leaves nothing of the batch behind; a redelivered batch is a no-op.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projections.base import Sequenced
from projections.relational.bulk import read_rows, write_rows
from projections.relational.database import create_engine
from projections.relational.fold import BatchState, Row, collect_keys, fold
from projections.relational.models import (
    Base,
)
from projections.relational.tables import (
    ACTIONS,
    AGENTS,
    ALLIANCES,
    COMPANIES,
    HOLDINGS,
    INVESTIGATIONS,
    MESSAGES,
    NEWS,
    ORDERS,
    POSITIONS,
    PRISON,
    RUMORS,
    TRADES,
    WORLD,
)

__all__ = ["CHECKPOINT_EVERY_BATCHES", "RelationalProjection"]

# SQLite: a TRUNCATE checkpoint after every this many applied batches.
CHECKPOINT_EVERY_BATCHES = 20


class RelationalProjection:
    """Implements ``projections.base.Projection`` over SQLAlchemy (SQLite or Postgres)."""

    name: str

    def __init__(
        self,
        engine_url: str | AsyncEngine | None,
        season_id: str,
        *,
        name: str = "relational",
        checkpoint_every: int = CHECKPOINT_EVERY_BATCHES,
    ) -> None:
        self._owns_engine = not isinstance(engine_url, AsyncEngine)
        self.engine = (
            engine_url if isinstance(engine_url, AsyncEngine) else create_engine(engine_url)
        )
        self.season_id = season_id
        self.name = name
        self._dialect = self.engine.dialect.name
        self.checkpoint_every = checkpoint_every
        self._batches = 0  # applied since the last WAL checkpoint (SQLite)

    async def aclose(self) -> None:
        if self._owns_engine:
            await self.engine.dispose()

    # -- Projection port ----------------------------------------------------------------------
    async def position(self) -> int:
        async with self.engine.connect() as conn:
            return await self._position(conn, lock=False)

    async def apply(self, batch: Sequence[Sequenced]) -> None:
        if not batch:
            return
        async with self.engine.begin() as conn:
            # Locking the position row serialises two runners of the same projection.
            start = await self._position(conn, lock=True)
            fresh = [item for item in batch if item.seq > start]
            if not fresh:
                return
            if any(a.seq >= b.seq for a, b in itertools.pairwise(fresh)):
                raise ValueError("batch sequences must be strictly ascending")
            state = await self._load(conn, fresh)
            fold(state, fresh)
            await self._write(conn, state)
            await write_rows(
                conn,
                POSITIONS,
                [
                    {"name": self.name, "season_id": self.season_id, "position": fresh[-1].seq},
                ],
                upsert=True,
            )
            await self._before_commit(conn)
        self._batches += 1
        if self._dialect == "sqlite" and self._batches >= self.checkpoint_every:
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        """Fold the WAL back into the database and truncate it. Readers keep passive
        autocheckpoints from ever resetting the WAL under load (it grew to 137 MB); this
        waits (busy_timeout) for readers of older snapshots, then empties it."""
        self._batches = 0
        # Through the async connection, not raw_connection(): closing a raw pooled
        # connection resets it synchronously, outside the greenlet, which fails
        # (MissingGreenlet) and leaves the connection to the garbage collector.
        async with self.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def reset(self) -> None:
        async with self.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                stmt = delete(table).where(table.c.season_id == self.season_id)
                if table is POSITIONS:
                    stmt = stmt.where(table.c.name == self.name)
                await conn.execute(stmt)

    async def _before_commit(self, conn: AsyncConnection) -> None:
        """Hook run last inside the batch transaction (tests raise here to simulate a crash)."""

    # -- internals ----------------------------------------------------------------------------
    async def _position(self, conn: AsyncConnection, *, lock: bool) -> int:
        stmt = select(POSITIONS.c.position).where(
            POSITIONS.c.name == self.name, POSITIONS.c.season_id == self.season_id
        )
        if lock and self._dialect == "postgresql":
            stmt = stmt.with_for_update()
        value = (await conn.execute(stmt)).scalar_one_or_none()
        return int(value) if value is not None else 0

    async def _load(self, conn: AsyncConnection, batch: Sequence[Sequenced]) -> BatchState:
        keys = collect_keys(batch)
        agent_ids = sorted(keys.agents)
        season = self.season_id
        agents = await read_rows(conn, AGENTS, season, "agent_id", agent_ids)
        holdings = await read_rows(conn, HOLDINGS, season, "agent_id", agent_ids)
        orders = await read_rows(conn, ORDERS, season, "order_id", sorted(keys.orders))
        companies = await read_rows(conn, COMPANIES, season)
        world = await read_rows(conn, WORLD, season)
        alliances = await read_rows(conn, ALLIANCES, season, "alliance_id", sorted(keys.alliances))
        cases = await read_rows(
            conn, INVESTIGATIONS, season, "investigation_id", sorted(keys.cases)
        )
        prisoners = await read_rows(conn, PRISON, season, "agent_id", sorted(keys.prisoners))
        return BatchState(
            season_id=self.season_id,
            agents={r["agent_id"]: r for r in agents},
            holdings={(r["agent_id"], r["symbol"]): r for r in holdings},
            orders={r["order_id"]: r for r in orders},
            loaded_orders={r["order_id"] for r in orders},
            companies={r["symbol"]: r for r in companies},
            world=world[0] if world else None,
            alliances={r["alliance_id"]: r for r in alliances},
            cases={r["investigation_id"]: r for r in cases},
            prisoners={r["agent_id"]: r for r in prisoners},
        )

    async def _write(self, conn: AsyncConnection, st: BatchState) -> None:
        changed: list[tuple[Table, list[Row]]] = [
            (AGENTS, [st.agents[k] for k in st.dirty_agents]),
            (COMPANIES, [st.companies[k] for k in st.dirty_companies]),
            (HOLDINGS, [st.holdings[k] for k in st.dirty_holdings]),
            (ORDERS, [st.orders[k] for k in st.dirty_orders if k in st.loaded_orders]),
            (WORLD, [st.world] if st.dirty_world and st.world is not None else []),
            (ALLIANCES, [st.alliances[k] for k in st.dirty_alliances]),
            (INVESTIGATIONS, [st.cases[k] for k in st.dirty_cases]),
            (PRISON, [st.prisoners[k] for k in st.dirty_prisoners]),
        ]
        for table, rows in changed:
            await write_rows(conn, table, rows, upsert=True)
        # Orders born in this batch (most of them: many are placed and cancelled in one tick)
        # take the cheap insert path; engine-assigned order ids are unique in a season.
        born = [st.orders[k] for k in st.dirty_orders if k not in st.loaded_orders]
        await write_rows(conn, ORDERS, born, upsert=False)
        # Append-only tables: the position check already guarantees these rows are new.
        appended = (
            (TRADES, st.trades),
            (ACTIONS, st.actions),
            (NEWS, st.news),
            (MESSAGES, st.messages),
            (RUMORS, st.rumors),
        )
        for table, rows in appended:
            await write_rows(conn, table, rows, upsert=False)
        # Rules v2: the newsroom's articles reword stories (maybe inserted just above).
        for article in st.articles:
            await conn.execute(
                update(NEWS)
                .where(NEWS.c.season_id == st.season_id, NEWS.c.news_id == article["news_id"])
                .values(headline=article["headline"], body=article["body"])
            )
