"""Turning an agent's JSON into commands on the log: the one path for HTTP and webhooks.

The agent id comes from the API key, never from the body (a different one is refused).
The command id is a command's identity (``Nats-Msg-Id = agent:command_id``): given in the
body, else named by the ``Idempotency-Key`` header (item ``i > 0`` of a batch: ``key#i``),
else minted. A body command id that differs from what the header names is ``422
idempotency_key_conflict``. Repeats are answered from ``gateway.idempotency`` before the
rate limits, so a retry never counts and never hides an action behind a 429.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from gateway import agent_input, readmodel
from gateway.deps import GatewayDeps
from gateway.errors import Forbidden, RateLimited, Unprocessable, unprocessable
from gateway.idempotency import Claim, RecentAnswers, fingerprint, reused
from gateway.limits import RateLimiter
from gateway.models import AcceptedAction
from schemas import commands as cmd
from schemas import limits

__all__ = ["ActionService", "Prepared"]

_COMMAND_ID = re.compile(limits.COMMAND_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class Prepared:
    command: cmd.Command
    msg_id: str
    fingerprint: str  # of the command as it goes on the log
    minted: bool = False  # the gateway chose the id: it cannot have been sent before
    keyed: bool = False  # named by an Idempotency-Key


class _AskAgain(Exception):
    """A claim this request waited for was withdrawn."""


def mint_command_id() -> str:
    return "c-" + secrets.token_hex(8)


def _command_id_from_key(key: str) -> str:
    if _COMMAND_ID.match(key):
        return key
    return "k-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _conflict(loc: tuple[str | int, ...], given: object, named: str) -> Unprocessable:
    where = ".".join(map(str, (*loc, "command_id")))
    return Unprocessable(
        f"{where}: {given!r} differs from the command id the Idempotency-Key names ({named!r});"
        " send one or the other, or the same",
        code="idempotency_key_conflict",
        fields=[{"loc": where, "msg": "conflicts with Idempotency-Key", "type": "conflict"}],
    )


class ActionService:
    def __init__(self, deps: GatewayDeps, limiter: RateLimiter) -> None:
        self.deps, self.limiter = deps, limiter
        self.recent = RecentAnswers()

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
            minted = False
            if idempotency_key is not None:
                named = _command_id_from_key(
                    idempotency_key if index == 0 else f"{idempotency_key}#{index}"
                )
                if body.setdefault("command_id", named) != named:
                    raise _conflict(loc, body["command_id"], named)
            elif "command_id" not in body:
                body["command_id"], minted = mint_command_id(), True
            try:
                command = agent_input.validate_action(cmd.AGENT_ACTION_ADAPTER, body)
            except ValidationError as error:
                errors.extend(dict(f) for f in unprocessable(error, loc).fields or [])
                continue
            msg_id = streams.command_msg_id(agent_id, command.command_id)
            print_ = fingerprint(command.model_dump_json().encode())
            out.append(Prepared(command, msg_id, print_, minted, idempotency_key is not None))
        if errors:
            summary = "; ".join(f"{f['loc']}: {f['msg']}" for f in errors[:5])
            raise Unprocessable(summary, fields=errors)
        ids = [p.command.command_id for p in out]
        if len(set(ids)) < len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise Unprocessable(
                f"command id {twice!r} appears twice in one request",
                code="duplicate_command_id",
                fields=[{"loc": "actions", "msg": "command ids must differ", "type": "unique"}],
            )
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
        """Answer repeats as first answered; admit the new commands against the rate limits
        (whole or not at all), then append them in order; 503 while the log is out."""
        with self.deps.outage.guard(self.deps.log.nc):
            while True:
                answers = await self._submit_once(agent_id, prepared)
                if answers is not None:
                    return answers

    async def _submit_once(
        self, agent_id: str, prepared: Sequence[Prepared]
    ) -> list[AcceptedAction] | None:
        """None: an earlier request this one waited for sent nothing after all; try again."""
        # Look up or claim every id before the first await: concurrent sends of one id
        # then wait for whichever request claimed it first.
        earlier: dict[int, Claim] = {}
        for i, p in enumerate(prepared):
            claim = self.recent.get(p.msg_id)
            if claim is not None:
                if claim.fingerprint != p.fingerprint:
                    raise reused(p.command.command_id)
                earlier[i] = claim
        claims = {
            i: self.recent.claim(p.msg_id, p.fingerprint)
            for i, p in enumerate(prepared)
            if i not in earlier
        }
        try:
            # The send itself asks the log (JetStream answers a known id with the original's
            # sequence and stores nothing), so the log is probed first only where a send
            # could store part of a request the key was first used for: a keyed batch.
            probe_first = prepared[0].keyed and len(prepared) > 1
            on_log = await self._found_on_log(prepared, claims) if probe_first else {}
            answers: dict[int, AcceptedAction] = {}
            for i, claim in earlier.items():
                answer = await claim.answer
                if answer is None:
                    raise _AskAgain
                answers[i] = answer.model_copy(update={"duplicate": True})
            answers.update(on_log)
            new = [i for i in claims if i not in on_log]
            self._check_whole(prepared, answers, new)
            try:
                await self.limiter.admit(agent_id, [prepared[i].command.type for i in new])
            except RateLimited:
                if probe_first:
                    raise
                # A retry the cache forgot must still hear its original 202, never a 429.
                found = await self._found_on_log(prepared, {i: claims[i] for i in new})
                if not found:
                    raise
                answers.update(found)
                new = [i for i in new if i not in found]
                self._check_whole(prepared, answers, new)
                await self.limiter.admit(agent_id, [prepared[i].command.type for i in new])
            for pos, i in enumerate(new):
                try:
                    answers[i] = await self._append(agent_id, prepared[i], claims[i])
                except BaseException:
                    for j in new[pos:]:
                        self.limiter.release(agent_id, prepared[j].command.type)
                    raise
        except _AskAgain:
            self._withdraw(prepared, claims)
            return None
        except BaseException:
            self._withdraw(prepared, claims)
            raise
        return [answers[i] for i in range(len(prepared))]

    @staticmethod
    def _check_whole(
        prepared: Sequence[Prepared], answers: dict[int, AcceptedAction], new: list[int]
    ) -> None:
        """Part of a keyed request sent before and part not: it is not the request the key
        was first used for."""
        if answers and new and prepared[0].keyed:
            raise reused(prepared[0].command.command_id)

    async def _found_on_log(
        self, prepared: Sequence[Prepared], claims: dict[int, Claim]
    ) -> dict[int, AcceptedAction]:
        """The claimed commands the log already holds (sent before this process knew), as
        their original answers; 409 if one was sent with another body."""
        log = self.deps.log
        asked = [i for i in claims if not prepared[i].minted]
        seqs = await asyncio.gather(
            *(log.stored_seq(prepared[i].command, prepared[i].msg_id) for i in asked)
        )
        found: dict[int, AcceptedAction] = {}
        for i, seq in zip(asked, seqs, strict=True):
            if seq is None:
                continue
            found[i] = await self._answer_as_stored(prepared[i], claims[i], seq)
        return found

    async def _answer_as_stored(self, p: Prepared, claim: Claim, seq: int) -> AcceptedAction:
        """The original answer of the command the log holds at ``seq`` under ``p``'s id (it
        settles the claim), marked duplicate; 409 if it was sent with another body."""
        stored = await self.deps.log.command_at(seq)
        original = AcceptedAction(
            command_id=p.command.command_id,
            type=stored.subject.rsplit(".", 1)[-1],
            seq=seq,
            duplicate=False,
        )
        claim.fingerprint = fingerprint(stored.data)
        claim.answer.set_result(original)
        if claim.fingerprint != p.fingerprint:
            raise reused(p.command.command_id)
        return original.model_copy(update={"duplicate": True})

    async def _append(self, agent_id: str, p: Prepared, claim: Claim) -> AcceptedAction:
        seq, duplicate = await self.deps.log.submit(p.command, p.msg_id)
        if duplicate:  # sent before (a restart emptied the cache) or by another gateway
            answer = await self._answer_as_stored(p, claim, seq)  # a 409 stored nothing
            self.limiter.release(agent_id, p.command.type)
        else:
            self.limiter.stored(agent_id, seq)
            answer = AcceptedAction(
                command_id=p.command.command_id, type=p.command.type, seq=seq, duplicate=False
            )
            claim.answer.set_result(answer)
        if self.deps.live is not None:
            self.deps.live.expect(agent_id, p.command.command_id)
        return answer

    def _withdraw(self, prepared: Sequence[Prepared], claims: dict[int, Claim]) -> None:
        for i, claim in claims.items():
            self.recent.withdraw(prepared[i].msg_id, claim)

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
