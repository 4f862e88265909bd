"""Structured logs: one JSON object per line on stderr, level from ``LOG_LEVEL``.

Each line carries ``service`` (``engine``, ``gateway``, ``projections``: the role that
logged it; ``wss run`` runs all three), ``season`` and ``tick`` (what the process is at
when it logs), and ``agent`` where a request is for one (``AGENT``, a context variable
the gateway sets once it has authenticated the caller). Lines never hold a key or secret:
anything shaped like an
API key (``wss_`` + url-safe characters) or a bearer token is masked before writing,
whatever the message or its arguments were.

The human per-tick status line ``wss run`` prints is stdout, not a log: it stays as is.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["AGENT", "ALL_IN_ONE", "JsonFormatter", "bind", "configure_logging", "redact"]

AGENT: ContextVar[str | None] = ContextVar("wss_agent", default=None)

_SECRETS = re.compile(r"wss_[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+\S+")
_HANDLER_NAME = "wss-json"


class _Context:
    service = "wss"
    season: str | None = None
    tick: Callable[[], int | None] = staticmethod(lambda: None)
    tick_bound = False


CONTEXT = _Context()


def bind(
    *,
    service: str | None = None,
    season: str | None = None,
    tick: Callable[[], int | None] | None = None,
    fallback: bool = False,
) -> None:
    """Say what this process is and where it is; later lines carry it. ``fallback``: only
    what nothing has bound yet (the gateway's world yields to the engine's own tick)."""
    if service is not None and not (fallback and CONTEXT.service != "wss"):
        CONTEXT.service = service
    if season is not None and not (fallback and CONTEXT.season is not None):
        CONTEXT.season = season
    if tick is not None and not (fallback and CONTEXT.tick_bound):
        CONTEXT.tick, CONTEXT.tick_bound = tick, True


# ``wss run`` is every role in one process: each line names the role of its logger.
ALL_IN_ONE = "all"
_ROLES = (("gateway", "gateway"), ("projections", "projections"), ("wss.readside", "projections"))


def _service(logger: str) -> str:
    if CONTEXT.service != ALL_IN_ONE:
        return CONTEXT.service
    return next((role for prefix, role in _ROLES if logger.startswith(prefix)), "engine")


def redact(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            tick = CONTEXT.tick()
        except Exception:  # noqa: BLE001 - a log line must never fail on its context
            tick = None
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
            "service": _service(record.name),
            "season": getattr(record, "season", CONTEXT.season),
            "tick": getattr(record, "tick", tick),
        }
        agent = getattr(record, "agent", None) or AGENT.get()
        if agent is not None:
            line["agent"] = agent
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


def level_from_env(default: str = "WARNING") -> int:
    """``LOG_LEVEL`` (debug, info, warning, error); WARNING when unset or unknown."""
    name = (os.environ.get("LOG_LEVEL") or default).strip().upper()
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.WARNING


def configure_logging(service: str, stream: TextIO | None = None) -> logging.Handler:
    """JSON lines on ``stream`` (stderr) for every logger, at ``LOG_LEVEL`` (default WARNING).
    Idempotent: a second call replaces the first one's handler."""
    bind(service=service)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level_from_env())
    return handler
