"""Turning an agent's JSON into commands on the log: the one path for HTTP and webhooks.

The agent id comes from the key, never from the body (a different one is refused). A
command id may be given (it is the agent's idempotency key) or is minted. The
``Nats-Msg-Id`` is ``agent:command_id`` (or ``agent:<Idempotency-Key>``), so JetStream
drops a retried request inside its dedupe window and the reply says ``duplicate``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from gateway import agent_input, readmodel
from gateway.deps import GatewayDeps
from gateway.errors import Forbidden, Unprocessable, unprocessable
from gateway.limits import RateLimiter, TickClock
from gateway.models import AcceptedAction
from schemas import commands as cmd
from schemas import limits

__all__ = ["ActionService", "Prepared"]

_COMMAND_ID = re.compile(limits.COMMAND_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class Prepared:
    command: cmd.CommandBase
    msg_id: str


def mint_command_id() -> str:
    return "c-" + secrets.token_hex(8)


def _command_id_from_key(key: str) -> str:
    if _COMMAND_ID.match(key):
        return key
    return "k-" + hashlib.sha256(key.encode()).hexdigest()[:40]


class ActionService:
    def __init__(self, deps: GatewayDeps, limiter: RateLimiter, clock: TickClock) -> None:
        self.deps, self.limiter, self.clock = deps, limiter, clock

    def parse(
        self,
        agent_id: str,
        items: Sequence[Any],
        idempotency_key: str | None = None,
        *,
        batch: bool = False,
    ) -> list[Prepared]:
        """Validate raw actions as this agent's commands (422 / 403 before anything counts)."""
        streams = self.deps.log.streams
        max_batch = self.deps.settings.max_batch
        if not items:
            raise Unprocessable(
                "no actions",
                fields=[{"loc": "actions", "msg": "at least one action", "type": "too_short"}],
            )
        if len(items) > max_batch:
            raise Unprocessable(
                f"at most {max_batch} actions per request",
                code="batch_too_large",
                fields=[
                    {"loc": "actions", "msg": f"at most {max_batch} items", "type": "too_long"}
                ],
            )
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
            raise Unprocessable(
                "Idempotency-Key must be 1..128 characters",
                fields=[
                    {"loc": "header.Idempotency-Key", "msg": "1..128 characters", "type": "length"}
                ],
            )
        if batch:
            agent_input.check_text(list(items), ("actions",))
        else:
            agent_input.check_text(items[0])
        out: list[Prepared] = []
        errors: list[dict[str, str]] = []
        for index, raw in enumerate(items):
            loc: tuple[str | int, ...] = ("actions", index) if batch else ()
            if not isinstance(raw, dict):
                errors.append(
                    {
                        "loc": ".".join(map(str, loc)) or "body",
                        "msg": "an action is a JSON object",
                        "type": "dict_type",
                    }
                )
                continue
            body = dict(raw)
            given = body.setdefault("agent_id", agent_id)
            if isinstance(given, str) and given != agent_id:
                raise Forbidden(
                    "agent_id must be your own (it is taken from your key)", code="not_your_agent"
                )
            key = None
            if idempotency_key is not None:
                key = idempotency_key if not batch else f"{idempotency_key}#{index}"
            if "command_id" not in body:
                body["command_id"] = _command_id_from_key(key) if key else mint_command_id()
            try:
                command = agent_input.validate_action(cmd.AGENT_ACTION_ADAPTER, body)
            except ValidationError as error:
                errors.extend(dict(f) for f in unprocessable(error, loc).fields or [])
                continue
            msg_key = key if key is not None else command.command_id
            out.append(Prepared(command, streams.command_msg_id(agent_id, msg_key)))
        if errors:
            summary = "; ".join(f"{f['loc']}: {f['msg']}" for f in errors[:5])
            raise Unprocessable(summary, fields=errors)
        return out

    async def check_ownership(self, agent_id: str, prepared: Sequence[Prepared]) -> None:
        """Cancelling someone else's order is refused here (the domain refuses it too)."""
        for p in prepared:
            if isinstance(p.command, cmd.CancelOrder):
                owner = await readmodel.order_owner(
                    self.deps.db, self.deps.season, p.command.order_id
                )
                if owner is not None and owner != agent_id:
                    raise Forbidden(
                        f"order {p.command.order_id} is not yours", code="not_your_order"
                    )

    async def submit(self, agent_id: str, prepared: Sequence[Prepared]) -> list[AcceptedAction]:
        """Admit against the rate limits (whole or not at all), then append in order."""
        tick = await self.clock.current()
        self.limiter.admit(
            agent_id, [p.command.type for p in prepared], tick, self.clock.seconds_to_next_tick()
        )
        out = []
        for p in prepared:
            command: Any = p.command
            seq, duplicate = await self.deps.log.submit(command, p.msg_id)
            if self.deps.live is not None:
                self.deps.live.expect(agent_id, p.command.command_id)
            out.append(
                AcceptedAction(
                    command_id=p.command.command_id,
                    type=p.command.type,
                    seq=seq,
                    duplicate=duplicate,
                )
            )
        return out

    async def act(
        self,
        agent_id: str,
        items: Sequence[Any],
        idempotency_key: str | None = None,
        *,
        batch: bool = False,
    ) -> list[AcceptedAction]:
        prepared = self.parse(agent_id, items, idempotency_key, batch=batch)
        await self.check_ownership(agent_id, prepared)
        return await self.submit(agent_id, prepared)
