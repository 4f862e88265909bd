"""Shared fixtures: real services only (nats-server, Postgres, SQLite, chDB)."""

pytest_plugins = ["tests.fixtures.nats", "tests.fixtures.postgres", "tests.fixtures.wss_cli"]
