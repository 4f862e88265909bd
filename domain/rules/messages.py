"""MESSAGE under rules version 2: delivered to its target, privately, and kept as evidence.

The world keeps the most recent ``MESSAGE_WINDOW`` (domain/state.py) messages of every
sender, so the SEC can subpoena them; older ones are gone from the world (the log and the
read model keep every one).
"""

from domain.context import Recorder
from domain.outcomes import reject_command
from domain.rules import targets
from domain.state import Account, SentMessage, World
from schemas import commands as cmd
from schemas import events as ev


def send(rec: Recorder, account: Account, c: cmd.SendMessage) -> None:
    refusal = targets.refusal(rec.world, account, c.target_agent_id)
    if refusal is not None:
        reject_command(rec, c, *refusal)
        return
    rec.emit(
        ev.MessageDelivered(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            target_agent_id=c.target_agent_id,
            message_id=rec.world.next_message_id,
            content=c.content,
        )
    )


def messages_of(world: World, agent_id: str) -> list[SentMessage]:
    """The kept messages ``agent_id`` sent or received, oldest first (a subpoena)."""
    return [m for m in world.messages if agent_id in (m.sender, m.target)]
