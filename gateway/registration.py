"""Registering an agent: safe to retry, and throttled per client address.

**Retries.** With an ``Idempotency-Key`` header, the agent id and API key are derived from
it (``gateway.auth.derived_registration``: HMAC of the server secret, the season, the
client's address and the key), so a retry re-derives the very answer whose reply was lost,
across gateway restarts too, and nothing but the key's sha256 is stored anywhere. Whether
it is a retry is asked of the log: its ``RegisterAgent`` is found inside the command
stream's dedupe window (24 h) with the same bytes (same name, role, callback), or the key
was used for another registration (``409 idempotency_key_reused``). Retries do not count
against the throttle.

**Throttle.** New registrations (each one funds an account) are limited per client
address: ``registrations_per_minute`` in any 60 s, then ``429`` with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import math
import time

from gateway import readmodel
from gateway.auth import (
    Authenticator,
    derived_registration,
    hash_key,
    mint_agent_id,
    mint_key,
    webhook_secret,
)
from gateway.callbacks import check_callback_url
from gateway.deps import GatewayDeps
from gateway.errors import Conflict, RateLimited, Unprocessable
from gateway.idempotency import fingerprint, reused
from gateway.limits import MovingWindow
from gateway.models import RegisterRequest, RegisterResponse
from projections.relational import queries
from schemas.commands import RegisterAgent
from schemas.enums import Role

__all__ = ["Registrar"]

POLL = 0.025


class Registrar:
    def __init__(self, deps: GatewayDeps, auth: Authenticator) -> None:
        self.deps, self.auth = deps, auth
        self.throttle = MovingWindow(deps.settings.registrations_per_minute)
        self._names: dict[str, str] = {}  # names registered through this process → agent id
        self._sending = asyncio.Lock()

    async def register(
        self, body: RegisterRequest, client: str, idempotency_key: str | None
    ) -> RegisterResponse:
        s = self.deps.settings
        if body.callback_url is not None:
            await check_callback_url(body.callback_url, allow_private=s.allow_private_callbacks)
        if idempotency_key is None:
            agent_id, key = mint_agent_id(), mint_key()
        else:
            if not 1 <= len(idempotency_key) <= 128:
                raise Unprocessable(
                    "Idempotency-Key must be 1..128 characters",
                    fields=[
                        {
                            "loc": "header.Idempotency-Key",
                            "msg": "1..128 characters",
                            "type": "length",
                        }
                    ],
                )
            agent_id, key = derived_registration(
                s.webhook_secret, self.deps.season, client, idempotency_key
            )
        command = RegisterAgent(
            command_id=f"register-{agent_id}",
            agent_id=agent_id,
            name=body.name,
            role=Role(body.role),
            callback_url=body.callback_url,
            api_key_hash=hash_key(key),
        )
        # One registration at a time is sent (a few ms each): concurrent retries, names and
        # the throttle are then decided in order.
        async with self._sending:
            with self.deps.outage.guard(self.deps.log.nc):  # 503 while the log is out
                if idempotency_key is None or not await self._sent_before(command):
                    await self._send(command, client)
        return await self._answer(command, key)

    async def _sent_before(self, command: RegisterAgent) -> bool:
        """True if this very registration is on the log already; 409 if the key was used
        for another one."""
        log = self.deps.log
        msg_id = log.streams.command_msg_id(command.agent_id, command.command_id)
        seq = await log.stored_seq(command, msg_id)
        if seq is None:
            if await self._known_agent(command.agent_id):
                raise Conflict(
                    "this Idempotency-Key registered an agent more than 24 hours ago: "
                    "its answer is no longer given again",
                    code="idempotency_key_expired",
                )
            return False
        stored = await log.command_at(seq)
        if fingerprint(stored.data) != fingerprint(command.model_dump_json().encode()):
            raise reused(command.command_id)
        return True

    async def _known_agent(self, agent_id: str) -> bool:
        live = self.deps.live
        if live is not None and agent_id in live.world.accounts:
            return True
        return await queries.get_agent(self.deps.db, self.deps.season, agent_id) is not None

    async def _send(self, command: RegisterAgent, client: str) -> None:
        name = command.name
        live = self.deps.live
        live_names = live.world.names if live is not None else {}
        self._check_throttle(client)
        if (
            name in self._names
            or name in live_names
            or await readmodel.agent_by_name(self.deps.db, self.deps.season, name)
        ):
            raise Conflict(f"the name {name!r} is taken", code="name_taken")
        self.throttle.add(client, 1, time.monotonic())
        self._names[name] = command.agent_id
        try:
            await self.deps.log.submit(command)
        except BaseException:
            self.throttle.give_back(client)
            self._names.pop(name, None)
            raise
        if live is not None:
            live.expect(command.agent_id, command.command_id)

    def _check_throttle(self, client: str) -> None:
        wait = self.throttle.wait(client, 1, time.monotonic())
        if wait > 0:
            limit = self.throttle.limit
            raise RateLimited(
                f"at most {limit} registrations per minute from one address", math.ceil(wait)
            )

    async def _answer(self, command: RegisterAgent, key: str) -> RegisterResponse:
        agent_id = command.agent_id
        self.auth.remember(command.api_key_hash, agent_id)
        projected = await self._await_registration(command)
        return RegisterResponse(
            agent_id=agent_id,
            name=command.name,
            role=command.role.value,
            api_key=key,
            webhook_secret=webhook_secret(self.deps.settings.webhook_secret, agent_id),
            command_id=command.command_id,
            projected=projected,
        )

    async def _await_registration(self, command: RegisterAgent) -> bool:
        """Wait (bounded) for the world to show the agent; 409 if the engine refused."""
        agent_id, command_id = command.agent_id, command.command_id
        wait = self.deps.settings.register_wait_seconds
        live = self.deps.live
        if live is not None:
            await live.wait_until(lambda: live.outcome(agent_id, command_id) is not None, wait)
            outcome = live.outcome(agent_id, command_id)
        else:
            outcome = await self._polled_outcome(agent_id, command_id, wait)
        if outcome is not None and outcome.status == "rejected":
            self.auth.forget(command.api_key_hash)
            if self._names.get(command.name) == agent_id:
                del self._names[command.name]
            raise Conflict(
                outcome.detail or "registration refused",
                code=outcome.reason or "registration_refused",
            )
        return outcome is not None

    async def _polled_outcome(
        self, agent_id: str, command_id: str, wait: float
    ) -> queries.ActionOutcome | None:
        """Without a live world: poll the relational read model (bounded)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + wait
        while True:
            outcome = await queries.action_outcome(
                self.deps.db, self.deps.season, agent_id, command_id
            )
            if outcome is not None or loop.time() >= until:
                return outcome
            await asyncio.sleep(POLL)
