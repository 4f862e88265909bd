"""ClickHouse tables of the analytics projection. Every table has a ``season_id``.

Layout decisions:

* Every table is a ``ReplacingMergeTree`` ordered by its natural key, with the stream
  sequence of the event that produced a row as the version. The projection already
  never inserts a row twice (see ``projection.py``), so this is a second fence: a
  duplicate that slipped in (two writers, a manual re-import) collapses on merge and
  ``FINAL`` reads never see it.
* Tables are partitioned by ``season_id`` so ``reset()`` is an instant
  ``DROP PARTITION`` instead of a mutation.
* Rollups (1h, 1d) are GROUP BY queries over ``price_history`` rather than
  materialized views: an MV's insert is not atomic with its source insert, so a crash
  between the two would leave a rollup that a watermark cannot repair, and the source
  is small (symbols x ticks) so aggregating at read time is cheap. ``day`` and
  ``minute`` (of the day) are stored on each bar so hours align to the opening bell.
"""

from __future__ import annotations

from typing import NamedTuple

from projections.analytics.client import AnalyticsClient

EVENTS = "events"
PRICE_HISTORY = "price_history"
AGENT_SNAPSHOTS = "agent_snapshots"
POSITIONS = "projection_positions"
CHECKPOINTS = "fold_checkpoints"

# Tables whose rows carry the producing event's ``seq``, in insert order.
DATA_TABLES = (EVENTS, PRICE_HISTORY, AGENT_SNAPSHOTS)


class Table(NamedTuple):
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, ClickHouse type)
    extra: str  # indexes, after the columns
    order_by: str

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def column_types(self) -> tuple[str, ...]:
        return tuple(type_ for _, type_ in self.columns)

    def ddl(self, db: str) -> str:
        body = ",\n    ".join(f"{name} {type_}" for name, type_ in self.columns)
        return (
            f"CREATE TABLE IF NOT EXISTS {db}.{self.name} (\n    {body}{self.extra}\n)"
            f" ENGINE = ReplacingMergeTree(seq) PARTITION BY season_id ORDER BY {self.order_by}"
        )


_SEASON = ("season_id", "LowCardinality(String)")
_SEQ = ("seq", "UInt64")

TABLES: dict[str, Table] = {
    EVENTS: Table(
        EVENTS,
        (
            _SEASON,
            _SEQ,
            ("tick", "UInt32"),
            ("type", "LowCardinality(String)"),
            ("symbol", "LowCardinality(String)"),
            ("agent_id", "String"),
            ("counterparty_id", "String"),
            ("price", "Nullable(Int64)"),
            ("quantity", "Nullable(Int64)"),
            ("payload", "String"),
        ),
        ",\n    INDEX type_idx type TYPE set(64) GRANULARITY 4",
        "(season_id, seq)",
    ),
    PRICE_HISTORY: Table(
        PRICE_HISTORY,
        (
            _SEASON,
            _SEQ,
            ("symbol", "LowCardinality(String)"),
            ("tick", "UInt32"),
            ("day", "UInt32"),
            ("minute", "UInt32"),
            ("open", "Int64"),
            ("high", "Int64"),
            ("low", "Int64"),
            ("close", "Int64"),
            ("volume", "Int64"),
            ("notional", "Int64"),
            ("trades", "UInt32"),
        ),
        "",
        "(season_id, symbol, tick)",
    ),
    AGENT_SNAPSHOTS: Table(
        AGENT_SNAPSHOTS,
        (
            _SEASON,
            _SEQ,
            ("agent_id", "String"),
            ("tick", "UInt32"),
            ("net_worth", "Int64"),
            ("cash", "Int64"),
            ("portfolio_value", "Int64"),
            ("margin_used", "Int64"),
            ("rank", "UInt32"),
        ),
        "",
        "(season_id, agent_id, tick)",
    ),
    POSITIONS: Table(
        POSITIONS,
        (_SEASON, ("name", "LowCardinality(String)"), _SEQ),
        "",
        "(season_id, name)",
    ),
    # The fold's in-memory state (book, last snapshots) as of ``seq``: a restart re-folds
    # only the events after the latest one, not the whole season.
    CHECKPOINTS: Table(
        CHECKPOINTS,
        (_SEASON, ("name", "LowCardinality(String)"), _SEQ, ("image", "String")),
        "",
        "(season_id, name, seq)",
    ),
}


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def ensure_schema(client: AnalyticsClient, database: str) -> None:
    """Create the database and tables if missing (idempotent)."""
    db = quote_identifier(database)
    client.command(f"CREATE DATABASE IF NOT EXISTS {db}")
    for table in TABLES.values():
        client.command(table.ddl(db))


def drop_season(client: AnalyticsClient, database: str, season_id: str) -> None:
    """Remove every row of a season from every table (its partitions)."""
    db = quote_identifier(database)
    for table in (*DATA_TABLES, POSITIONS, CHECKPOINTS):
        client.command(f"ALTER TABLE {db}.{table} DROP PARTITION {quote_literal(season_id)}")
