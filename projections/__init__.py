"""Read projections: the log folded into Postgres/SQLite, ClickHouse/chDB and SSE."""
