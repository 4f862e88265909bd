"""The analytics projection: the event log folded into ClickHouse (or chDB).

Idempotence by sequence, per table. Every row carries the stream sequence of the event
that produced it, and each data table has its own watermark, ``max(seq)`` for the
season, read when the projection (re)starts. A batch inserts into a table only the
rows above that table's watermark, one insert per table, and only then records the
batch's last sequence in ``projection_positions``. A single insert is atomic (one
part), and batches arrive in ascending order, so every row at or below a watermark is
already stored. A crash after the ``events`` insert but before ``price_history``
leaves ``events`` ahead of the position: the re-applied batch skips the ``events``
rows and fills in the rest. Nothing is counted twice, so plain ``count()``/``sum()``
are exact without ``FINAL``; the ReplacingMergeTree engines are a second fence.

The in-memory state (agent cash, positions and marks, last snapshot per agent) is
rebuilt on start from the latest checkpoint (``fold_checkpoints``, written every
``CHECKPOINT_EVERY_EVENTS`` with a batch, before its position) and the stored ``events``
after it up to the recorded position, so it always matches what the position says was
applied and a restart costs the same on a long season as on a short one; any failure
during ``apply`` marks it stale and the next call rebuilds it the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from projections.analytics.client import DEFAULT_DATABASE, AnalyticsClient, ClientFactory
from projections.analytics.fold import STATE_EVENT_TYPES, AnalyticsFold, Columns, Rows
from projections.analytics.schema import (
    AGENT_SNAPSHOTS,
    CHECKPOINTS,
    DATA_TABLES,
    EVENTS,
    POSITIONS,
    PRICE_HISTORY,
    TABLES,
    Table,
    drop_season,
    ensure_schema,
    quote_identifier,
)
from projections.base import Sequenced
from schemas.events import parse_event

_RESTORE_PAGE = 50_000
# A checkpoint of the fold at least every this many events: a restart re-folds at most
# this many stored events instead of the whole season.
CHECKPOINT_EVERY_EVENTS = 50_000


class AnalyticsProjection:
    """Projection port over a clickhouse-connect client (one per projection)."""

    def __init__(
        self,
        client_factory: ClientFactory,
        season_id: str,
        *,
        database: str = DEFAULT_DATABASE,
        name: str = "analytics",
        checkpoint_every: int = CHECKPOINT_EVERY_EVENTS,
    ) -> None:
        self.name = name
        self.season_id = season_id
        self.database = database
        self._factory = client_factory
        self._client: AnalyticsClient | None = None
        self._db = quote_identifier(database)
        self._lock = asyncio.Lock()
        self._ready = False
        self._position = 0
        self._checkpoint_seq = 0
        self.checkpoint_every = checkpoint_every
        self.restored = 0  # events re-folded by the last restart (after its checkpoint)
        self._watermarks: dict[str, int] = {}
        self._fold = AnalyticsFold(season_id)

    # -- the port -----------------------------------------------------------------

    async def position(self) -> int:
        async with self._lock:
            return await asyncio.to_thread(self._position_sync)

    async def apply(self, batch: Sequence[Sequenced]) -> None:
        async with self._lock:
            await asyncio.to_thread(self._apply_sync, batch)

    async def reset(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._reset_sync)

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._close_sync)

    # -- sync internals (run in a worker thread) -----------------------------------

    def _connection(self) -> AnalyticsClient:
        if self._client is None:
            self._client = self._factory()
            ensure_schema(self._client, self.database)
        return self._client

    def _scalar(self, sql: str) -> int:
        rows = self._connection().query(sql, parameters={"season": self.season_id}).result_rows
        value = rows[0][0] if rows else None
        return int(value) if value is not None else 0

    def _max_seq(self, table: str, extra: str = "") -> int:
        return self._scalar(
            f"SELECT max(seq) FROM {self._db}.{table} WHERE season_id = {{season:String}}{extra}"  # noqa: S608
        )

    def _ensure_ready(self) -> AnalyticsClient:
        client = self._connection()
        if self._ready:
            return client
        position = self._max_seq(POSITIONS, f" AND name = '{self._name_literal()}'")
        watermarks = {table: self._max_seq(table) for table in DATA_TABLES}
        fold, after = self._checkpoint(client, position)
        self._restore(client, fold, after, position)
        self._fold, self._position, self._watermarks = fold, position, watermarks
        self._checkpoint_seq = after
        self._ready = True
        return client

    def _name_literal(self) -> str:
        return self.name.replace("\\", "\\\\").replace("'", "\\'")

    def _checkpoint(self, client: AnalyticsClient, position: int) -> tuple[AnalyticsFold, int]:
        """The fold at the latest checkpoint at or below ``position`` (a checkpoint above it
        was written by a batch that crashed before recording its position)."""
        rows = client.query(
            f"SELECT seq, image FROM {self._db}.{CHECKPOINTS} "  # noqa: S608
            f"WHERE season_id = {{season:String}} AND name = {{name:String}} "
            f"AND seq <= {{upto:UInt64}} ORDER BY seq DESC LIMIT 1",
            parameters={"season": self.season_id, "name": self.name, "upto": position},
        ).result_rows
        if not rows:
            return AnalyticsFold(self.season_id), 0
        seq, image = rows[0]
        return AnalyticsFold.from_image(self.season_id, image), int(seq)

    def _restore(
        self, client: AnalyticsClient, fold: AnalyticsFold, after: int, position: int
    ) -> None:
        """Re-fold the stored state-bearing events in (after, position], page by page."""
        types = ", ".join(f"'{t}'" for t in STATE_EVENT_TYPES)
        self.restored = 0
        while after < position:
            rows = client.query(
                f"SELECT seq, payload FROM {self._db}.{EVENTS} "  # noqa: S608
                f"WHERE season_id = {{season:String}} AND seq > {{after:UInt64}} "
                f"AND seq <= {{upto:UInt64}} AND type IN ({types}) "
                f"ORDER BY seq LIMIT 1 BY seq LIMIT {_RESTORE_PAGE}",
                parameters={"season": self.season_id, "after": after, "upto": position},
            ).result_rows
            if not rows:
                break
            fold.fold(
                (Sequenced(int(seq), parse_event(payload)) for seq, payload in rows),
                emit=False,
            )
            self.restored += len(rows)
            after = int(rows[-1][0])

    def _position_sync(self) -> int:
        self._ensure_ready()
        return self._position

    def _apply_sync(self, batch: Sequence[Sequenced]) -> None:
        client = self._ensure_ready()
        fresh = [item for item in batch if item.seq > self._position]
        if not fresh:
            return
        try:
            rows = self._fold.fold(fresh)
            self._insert_rows(client, rows)
            last = fresh[-1].seq
            if last - self._checkpoint_seq >= self.checkpoint_every:
                image = self._fold.image()
                self._insert(
                    client, TABLES[CHECKPOINTS], [[self.season_id], [self.name], [last], [image]]
                )
                self._checkpoint_seq = last
            self._insert(client, TABLES[POSITIONS], [[self.season_id], [self.name], [last]])
            self._position = last
        except BaseException:
            # The fold ran ahead of the store: rebuild from the store on next use.
            self._ready = False
            raise

    def _insert_rows(self, client: AnalyticsClient, rows: Rows) -> None:
        plan = (
            (EVENTS, rows.events),
            (PRICE_HISTORY, rows.bars),
            (AGENT_SNAPSHOTS, rows.snapshots),
        )
        for table, columns in plan:
            data = _above(columns, self._watermarks.get(table, 0))
            if not data[0]:
                continue
            self._insert(client, TABLES[table], data)
            self._watermarks[table] = int(data[1][-1])

    def _insert(self, client: AnalyticsClient, table: Table, data: Columns) -> None:
        # Column types given up front: otherwise every insert first runs a DESCRIBE.
        client.insert(
            table.name,
            data,
            column_names=table.column_names,
            column_type_names=table.column_types,
            database=self.database,
            column_oriented=True,
        )

    def _reset_sync(self) -> None:
        client = self._connection()
        drop_season(client, self.database, self.season_id)
        self._fold = AnalyticsFold(self.season_id)
        self._position = 0
        self._checkpoint_seq = 0
        self._watermarks = dict.fromkeys(DATA_TABLES, 0)
        self._ready = True

    def _close_sync(self) -> None:
        client, self._client = self._client, None
        self._ready = False
        if client is not None:
            client.close()


def _above(columns: Columns, watermark: int) -> Columns:
    """Keep rows whose ``seq`` (column 1, ascending) is above ``watermark``."""
    seqs: list[Any] = columns[1]
    if not seqs or seqs[0] > watermark:
        return columns
    start = next((i for i, seq in enumerate(seqs) if seq > watermark), len(seqs))
    return [column[start:] for column in columns]
