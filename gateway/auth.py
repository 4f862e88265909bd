"""API keys and webhook secrets: minted here, stored only as sha256, compared in constant time.

A key is ``wss_`` + 43 url-safe characters (256 bits). The read model stores its sha256;
this process also remembers the hashes it minted, so an agent can act at once, before its
registration reaches the read model. Keys are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from gateway.errors import BadRequest, Unauthorized
from projections.relational import queries
from wss.logs import AGENT

__all__ = [
    "KEY_PATTERN",
    "Authenticator",
    "derived_registration",
    "hash_key",
    "mint_agent_id",
    "mint_key",
    "sign",
    "webhook_secret",
]

KEY_PREFIX = "wss_"
URL_KEY = "api_key"
KEY_PATTERN = r"^wss_[A-Za-z0-9_\-]{20,128}$"
_KEY_RE = re.compile(KEY_PATTERN)


def mint_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def mint_agent_id() -> str:
    return "a-" + secrets.token_hex(8)


def derived_registration(
    server_secret: bytes, season: str, client: str, idempotency_key: str
) -> tuple[str, str]:
    """The agent id and API key a keyed registration gets: ``HMAC(server secret, ...)``.

    A retry of the same registration re-derives the same answer, so nothing but the key's
    sha256 is ever stored; the key is as unguessable as the server secret. The client's
    address is part of it: a leaked Idempotency-Key alone does not yield the API key.
    """
    seed = hmac.new(
        server_secret,
        "\0".join(("register", season, client, idempotency_key)).encode(),
        hashlib.sha256,
    ).digest()
    key = hmac.new(server_secret, b"api-key\0" + seed, hashlib.sha256).digest()
    return "a-" + seed[:8].hex(), KEY_PREFIX + base64.urlsafe_b64encode(key).decode().rstrip("=")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def webhook_secret(server_secret: bytes, agent_id: str) -> str:
    """The agent's webhook key: HMAC(server secret, agent id), so nothing needs storing."""
    return hmac.new(server_secret, agent_id.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes) -> str:
    """Value of ``X-WSS-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Authenticator:
    """Key → agent id, from this process's registrations, the live world or the read model."""

    def __init__(
        self, db: AsyncEngine, season: str, live_keys: Mapping[str, str] | None = None
    ) -> None:
        self.db = db
        self.season = season
        self.live_keys = live_keys or {}  # key hashes registered on the log, as folded live
        self._known: dict[str, tuple[str, str]] = {}  # sha256 → (sha256, agent id)

    def remember(self, key_hash: str, agent_id: str) -> None:
        self._known[key_hash] = (key_hash, agent_id)

    def forget(self, key_hash: str) -> None:
        self._known.pop(key_hash, None)

    async def agent_for_key(self, key: str | None) -> str | None:
        if key is None or not _KEY_RE.match(key):
            return None
        digest = hash_key(key)
        known = self._known.get(digest)
        if known is None and (live := self.live_keys.get(digest)) is not None:
            known = (digest, live)
        if known is None:
            agent = await queries.agent_by_key_hash(self.db, self.season, digest)
            if agent is None:
                return None
            known = (digest, agent.agent_id)
            self._known[digest] = known
        stored, agent_id = known
        # The lookup is by hash (an attacker cannot steer a sha256's prefix); the final
        # comparison is constant-time all the same.
        return agent_id if hmac.compare_digest(stored, digest) else None

    async def optional(self, request: Request, *, key_in_url: bool = False) -> str | None:
        """The caller's agent id; None without a key; 401 for a key that is not valid.

        Keys travel in the Authorization header. ``?api_key=`` is read only where
        ``key_in_url`` says (the SSE stream: a browser's EventSource cannot set headers)
        and refused everywhere else: URLs end up in logs, histories and Referer headers.
        """
        in_url = request.query_params.get(URL_KEY)
        if in_url is not None and not key_in_url:
            raise BadRequest(
                "send the API key as 'Authorization: Bearer <key>'; ?api_key= is accepted "
                "only on /api/v1/stream",
                code="api_key_in_url",
            )
        key = bearer(request) or in_url or None
        if key is None:
            if request.headers.get("authorization"):
                raise Unauthorized("Authorization must be 'Bearer <api key>'")
            return None
        agent_id = await self.agent_for_key(key)
        if agent_id is None:
            raise Unauthorized("invalid API key")
        AGENT.set(agent_id)  # this request's log lines name its agent (wss.logs)
        return agent_id

    async def required(self, request: Request) -> str:
        agent_id = await self.optional(request)
        if agent_id is None:
            raise Unauthorized("this endpoint needs 'Authorization: Bearer <api key>'")
        return agent_id
