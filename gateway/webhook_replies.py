"""An agent's answer to its webhook: actions for the next tick, and feedback when refused.

A reply is ``{"actions": [...]}`` (at most ``max_batch``), checked and admitted exactly
like a ``POST /api/v1/actions`` batch: whole or not at all. The HTTP caller learns of a
refusal from the response; a webhook's caller gets it two ways instead:

- an alert ``ReplyRefused`` in its next webhook: one per refused action (its ``index``,
  ``command_id``, ``command_type``), or one for a reply that could not be read at all;
- for each refused action with a ``command_id``, ``GET /api/v1/actions/{command_id}``
  answers ``rejected`` with the reason (``refusals``: the gateway's own outcomes, since
  such a command never reaches the log).

The culprit of a refused batch gets the error's code as its reason; the other actions of
that reply get ``batch_refused``, with the culprit named in the detail.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gateway import agent_input
from gateway.actions import ActionService
from gateway.errors import ApiError
from gateway.hooks_http import HookResponse
from gateway.outcomes import OutcomeIndex
from gateway.webhook_mail import Mailboxes
from projections.relational.queries import ActionOutcome
from schemas import limits

__all__ = ["REFUSED_ALERT", "ReplyHandler"]

log = logging.getLogger(__name__)

REFUSED_ALERT = "ReplyRefused"
_COMMAND_ID = re.compile(limits.COMMAND_ID_PATTERN)


class ReplyHandler:
    def __init__(
        self, actions: ActionService, refusals: OutcomeIndex, mail: Mailboxes, max_body: int
    ) -> None:
        self.actions, self.refusals, self.mail, self.max_body = actions, refusals, mail, max_body

    async def handle(self, agent_id: str, tick: int, response: HookResponse) -> int:
        """Submit the actions ``response`` carries; returns how many were accepted."""
        if response.oversized:
            self._refuse_reply(
                agent_id, tick, "payload_too_large", f"replies are limited to {self.max_body} bytes"
            )
            return 0
        if not response.body.strip():
            return 0  # an empty answer passes, like {}
        try:
            reply = agent_input.loads(response.body)
        except ApiError as error:
            self._refuse_reply(agent_id, tick, error.code, error.detail)
            return 0
        if not isinstance(reply, dict) or not isinstance(reply.get("actions", []), list):
            self._refuse_reply(
                agent_id, tick, "invalid_reply", 'a reply is {"actions": [...]} or {}'
            )
            return 0
        items: list[Any] = reply.get("actions", [])
        if not items:
            return 0
        try:
            accepted = await self.actions.act(agent_id, items, batch=True)
        except ApiError as error:
            log.info("webhooks: reply of %s refused: %s", agent_id, error.code)
            self._refuse_actions(agent_id, tick, items, error)
            return 0
        return len(accepted)

    def _refuse_reply(self, agent_id: str, tick: int, reason: str, detail: str) -> None:
        self.mail.alert(
            agent_id,
            {
                "alert": REFUSED_ALERT,
                "tick": tick,
                "index": None,
                "command_id": None,
                "command_type": None,
                "reason": reason,
                "detail": detail,
            },
        )

    def _refuse_actions(self, agent_id: str, tick: int, items: list[Any], error: ApiError) -> None:
        culprits: dict[int, list[str]] = {}
        for field in error.fields or []:
            parts = str(field.get("loc", "")).split(".")
            if len(parts) >= 2 and parts[0] == "actions" and parts[1].isdigit():
                culprits.setdefault(int(parts[1]), []).append(f"{field['loc']}: {field['msg']}")
        for index, item in enumerate(items):
            raw = item if isinstance(item, dict) else {}
            command_id = raw.get("command_id")
            command_type = raw.get("type")
            if not culprits or index in culprits:
                reason = error.code
                detail = "; ".join(culprits.get(index, [])) or error.detail
            else:
                reason, detail = "batch_refused", f"another action of the reply: {error.detail}"
            self.mail.alert(
                agent_id,
                {
                    "alert": REFUSED_ALERT,
                    "tick": tick,
                    "index": index,
                    "command_id": command_id if isinstance(command_id, str) else None,
                    "command_type": command_type if isinstance(command_type, str) else None,
                    "reason": reason,
                    "detail": detail,
                },
            )
            if isinstance(command_id, str) and _COMMAND_ID.match(command_id):
                self.refusals.add(
                    ActionOutcome(
                        seq=0,  # never on the log
                        tick=tick,
                        agent_id=agent_id,
                        command_id=command_id,
                        command_type=command_type if isinstance(command_type, str) else "",
                        event_type=REFUSED_ALERT,
                        status="rejected",
                        reason=reason,
                        detail=detail,
                        order_id=None,
                    )
                )
