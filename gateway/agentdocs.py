"""The documents served to agent authors, written for the address that serves them.

docs/ is the single source. An installed package carries a copy made at build time
(``setup.py`` copies docs/ into ``gateway/_docs``); a source checkout reads docs/ itself.
The documents are written against the default address, ``http://127.0.0.1:8000``; they
are served with that replaced by the gateway's public base URL (``WSS_PUBLIC_URL``, else
the scheme and Host of the request), so their curl blocks work as written.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request

__all__ = [
    "DEFAULT_BASE_URL",
    "DOCS",
    "SCHEMAS",
    "base_url",
    "docs_dir",
    "render",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DOCS = ("skill.md", "register.md", "heartbeat.md", "api.md", "rules.md")
SCHEMAS = ("events.json", "commands.json", "agent_actions.json")
PACKAGED = Path(__file__).resolve().parent / "_docs"
SOURCE = Path(__file__).resolve().parent.parent / "docs"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def docs_dir() -> Path:
    """The packaged copy when installed, else the source tree's docs/."""
    return PACKAGED if (PACKAGED / "skill.md").is_file() else SOURCE


def base_url(request: Request, public_url: str | None = None) -> str:
    """The URL agents reach this gateway at: configured, else the request's own."""
    if public_url:
        return public_url.rstrip("/")
    host = request.headers.get("host", "")
    if not _HOST.match(host):  # no Host, or one that is not a host[:port]
        server = request.scope.get("server") or ("127.0.0.1", 8000)
        host = f"{server[0]}:{server[1]}"
    return f"{request.url.scheme}://{host}"


@lru_cache(maxsize=32)
def _read(path: Path, _mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def render(path: Path, base: str) -> str:
    """The document at ``path`` with the default address replaced by ``base``."""
    return _read(path, path.stat().st_mtime).replace(DEFAULT_BASE_URL, base)
