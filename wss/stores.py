"""Where this process's read projections keep their rows, from the settings."""

from sqlalchemy.engine import make_url

from projections.analytics.client import chdb_path
from wss.settings import Settings

__all__ = ["relational_url", "store_label"]


def relational_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite+aiosqlite:///{(settings.home / 'read.db').resolve()}"


def store_label(name: str, settings: Settings) -> str:
    """The store projection ``name`` writes to, as a URL without credentials."""
    if name == "relational":
        return make_url(relational_url(settings)).render_as_string(hide_password=True)
    if name == "analytics":
        if settings.clickhouse_url:
            return make_url(settings.clickhouse_url).render_as_string(hide_password=True)
        return f"chdb://{chdb_path(settings.home)}"
    raise ValueError(f"no projection named {name!r}")
