"""A fingerprint of one season's analytics rows, to compare a live store with a rebuild.

Per data table: the row count and an order-independent sum of row hashes, read ``FINAL``
so rows a crashed fold wrote twice (the tables are ``ReplacingMergeTree(seq)``) count
once, as every query sees them. Equal digests mean equal logical content.

``python -m projections.analytics.digest SEASON`` prints the digest of the store that
``CLICKHOUSE_URL`` / ``WSS_HOME`` selects as JSON: chDB opens one data directory per
process, so a test compares two stores from two processes.
"""

from __future__ import annotations

import json
import sys

from projections.analytics.client import DEFAULT_DATABASE, AnalyticsClient, connect
from projections.analytics.schema import DATA_TABLES, quote_identifier

__all__ = ["analytics_digest"]


def analytics_digest(
    client: AnalyticsClient, season_id: str, database: str = DEFAULT_DATABASE
) -> dict[str, tuple[int, int]]:
    """(rows, sum of row hashes) per data table, for ``season_id``."""
    out = {}
    for table in DATA_TABLES:
        where = f"{quote_identifier(database)}.{quote_identifier(table)}"
        rows = client.query(
            f"SELECT count(), coalesce(sum(cityHash64(*)), 0) FROM {where} FINAL "  # noqa: S608
            "WHERE season_id = {s:String}",
            parameters={"s": season_id},
        ).result_rows
        out[table] = (int(rows[0][0]), int(rows[0][1]))
    return out


if __name__ == "__main__":
    client = connect()
    try:
        print(json.dumps(analytics_digest(client, sys.argv[1])))  # noqa: T201
    finally:
        client.close()
