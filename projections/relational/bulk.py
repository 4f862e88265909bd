"""Bulk row reads and writes for a batch: the one place where SQLite and Postgres differ.

Why raw driver calls: per-row parameter processing in SQLAlchemy costs more than the
database work for ~1,000-row batches. Postgres gets one ``INSERT ... SELECT FROM unnest``
per table and ``= ANY($n)`` lookups (arrays as parameters, one round trip each); SQLite
gets ``executemany`` with tuples and ``IN (SELECT value FROM json_each(?))``. Both run on
the driver connection underneath the caller's SQLAlchemy transaction, so a batch stays
atomic.

Text is stored as the log holds it except for one character: Postgres ``text`` cannot
hold U+0000, so every NUL in a text column is stored as U+FFFD (the replacement
character), in SQLite too, so both stores hold the same rows. The log keeps the original.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, Table
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["NUL_STORED_AS", "read_rows", "storable_text", "write_rows"]

Row = dict[str, Any]

NUL = "\x00"
NUL_STORED_AS = "\ufffd"


def storable_text(value: str) -> str:
    """``value`` as the read model stores it (no NUL: see the module docstring)."""
    return value.replace(NUL, NUL_STORED_AS) if NUL in value else value


def _pg_type(table: Table, name: str) -> str:
    type_ = table.c[name].type
    if isinstance(type_, BigInteger):
        return "bigint"
    if isinstance(type_, Integer):
        return "integer"
    if isinstance(type_, Boolean):
        return "boolean"
    return "text"


@cache
def _text_positions(table: Table) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(table.columns) if _pg_type(table, c.name) == "text")


def _records(table: Table, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
    """Rows as tuples in column order, with text made storable."""
    cols = [c.name for c in table.columns]
    text = _text_positions(table)
    out = []
    for row in rows:
        record = [row[c] for c in cols]
        for i in text:
            value = record[i]
            if value is not None and NUL in value:
                record[i] = storable_text(value)
        out.append(tuple(record))
    return out


def _conflict_clause(table: Table, upsert: bool) -> str:
    if not upsert:
        return ""
    pk = [c.name for c in table.primary_key.columns]
    sets = ", ".join(f"{c.name} = excluded.{c.name}" for c in table.columns if c.name not in pk)
    return f" ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {sets}"


@cache
def _sql(dialect: str, table: Table, upsert: bool) -> str:
    cols = [c.name for c in table.columns]
    # Identifiers come from our own metadata, never from input: no injection surface.
    head = f"INSERT INTO {table.name} ({', '.join(cols)}) "
    if dialect == "postgresql":
        arrays = ", ".join(f"${i}::{_pg_type(table, c)}[]" for i, c in enumerate(cols, 1))
        body = f"SELECT * FROM unnest({arrays})"  # noqa: S608 - identifiers are ours
        return head + body + _conflict_clause(table, upsert)
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in cols)
        return head + f"VALUES ({marks})" + _conflict_clause(table, upsert)
    raise NotImplementedError(f"no bulk writer for dialect {dialect!r}")


async def write_rows(
    conn: AsyncConnection, table: Table, rows: Sequence[Row], *, upsert: bool
) -> None:
    """Insert ``rows`` (full rows, every column) into ``table``; ``upsert`` overwrites on a
    primary-key conflict instead of failing."""
    if not rows:
        return
    dialect = conn.dialect.name
    sql = _sql(dialect, table, upsert)
    cols = [c.name for c in table.columns]
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    records = _records(table, rows)
    if dialect == "postgresql" and not upsert:
        # Plain appends: binary COPY is the cheapest way into Postgres.
        await driver.copy_records_to_table(table.name, records=records, columns=cols)
    elif dialect == "postgresql":
        await driver.execute(sql, *(list(column) for column in zip(*records, strict=True)))
    else:
        await driver.executemany(sql, records)


@cache
def _select_sql(dialect: str, table: Table, column: str | None) -> str:
    cols = ", ".join(c.name for c in table.columns)
    if dialect == "postgresql":
        where = "season_id = $1"
        if column is not None:
            where += f" AND {column} = ANY($2::{_pg_type(table, column)}[])"
    elif dialect == "sqlite":
        where = "season_id = ?"
        if column is not None:
            where += f" AND {column} IN (SELECT value FROM json_each(?))"  # noqa: S608
    else:
        raise NotImplementedError(f"no bulk reader for dialect {dialect!r}")
    return f"SELECT {cols} FROM {table.name} WHERE {where}"  # noqa: S608 - identifiers are ours


async def read_rows(
    conn: AsyncConnection,
    table: Table,
    season_id: str,
    column: str | None = None,
    keys: Sequence[Any] = (),
) -> list[Row]:
    """The season's rows of ``table``, or only those whose ``column`` is in ``keys``."""
    if column is not None and not keys:
        return []
    dialect = conn.dialect.name
    sql = _select_sql(dialect, table, column)
    names = [c.name for c in table.columns]
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    if dialect == "postgresql":
        args: tuple[Any, ...] = (season_id,) if column is None else (season_id, list(keys))
        records = await driver.fetch(sql, *args)
    else:
        params = (season_id,) if column is None else (season_id, json.dumps(list(keys)))
        records = await driver.execute_fetchall(sql, params)
    return [dict(zip(names, record, strict=True)) for record in records]
