"""Answers already given, so that a command id acts at most once and a retry hears the same.

A command's identity is ``agent_id:command_id`` (its ``Nats-Msg-Id``). A retry is answered
with the original answer (marked ``duplicate``) before any rate limit is looked at, and the
same id with another body is ``409 idempotency_key_reused``.

The log is the truth (``SeasonLog.stored_seq``: JetStream's 24 h dedupe window, so a
restarted gateway answers the same); this bounded, expiring cache of recent answers only
saves the round trip, and is the single flight that makes concurrent retries of a command
wait for its first send instead of racing it.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from cachetools import TTLCache

from gateway.errors import Conflict
from gateway.models import AcceptedAction

__all__ = ["ANSWER_TTL_SECONDS", "MAX_ANSWERS", "Claim", "RecentAnswers", "fingerprint", "reused"]


def fingerprint(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def reused(command_id: str) -> Conflict:
    return Conflict(
        f"the command id / Idempotency-Key {command_id!r} was already used for another "
        "request (a different body): send a new key for a new action",
        code="idempotency_key_reused",
    )


@dataclass(slots=True)
class Claim:
    """One command id's answer: known, or being decided by the request that claimed it.
    ``None`` as the answer means the claim was withdrawn (nothing sent): ask again."""

    fingerprint: str
    answer: asyncio.Future[AcceptedAction | None]


# Long enough for a client's retries (seconds to minutes), small enough to stay a few MB:
# 50 agents acting every 100 ms tick fill 10,000 in 20 s. Past it the log's dedupe window
# answers, with one probe.
MAX_ANSWERS = 10_000
ANSWER_TTL_SECONDS = 600.0


class RecentAnswers:
    def __init__(self, maxsize: int = MAX_ANSWERS, ttl: float = ANSWER_TTL_SECONDS) -> None:
        self._claims: TTLCache[str, Claim] = TTLCache(maxsize=maxsize, ttl=ttl)

    def get(self, msg_id: str) -> Claim | None:
        return self._claims.get(msg_id)

    def claim(self, msg_id: str, print_: str) -> Claim:
        claim = Claim(print_, asyncio.get_running_loop().create_future())
        self._claims[msg_id] = claim
        return claim

    def known(self, msg_id: str, print_: str, answer: AcceptedAction) -> None:
        """Remember an answer learnt from the log."""
        self.claim(msg_id, print_).answer.set_result(answer)

    def __len__(self) -> int:
        return len(self._claims)

    def withdraw(self, msg_id: str, claim: Claim) -> None:
        if self._claims.get(msg_id) is claim:
            del self._claims[msg_id]
        if not claim.answer.done():
            claim.answer.set_result(None)
