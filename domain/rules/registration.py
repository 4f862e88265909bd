"""Registration: a free id, a free name and a registrable role get the role's cash and leverage."""

from domain.context import Recorder
from domain.outcomes import reject_command
from domain.rules.roles import REGISTRABLE_ROLES, ROLES
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason


def register(rec: Recorder, c: cmd.RegisterAgent) -> None:
    """REGISTER_AGENT: a free id, a free name and a registrable role get the role's cash."""
    world = rec.world
    if c.agent_id in world.accounts:
        reject_command(rec, c, RejectReason.AGENT_EXISTS, "id in use")
        return
    if c.name in world.names:
        reject_command(rec, c, RejectReason.NAME_TAKEN, "name in use")
        return
    if c.role not in REGISTRABLE_ROLES:
        reject_command(rec, c, RejectReason.MALFORMED, "role is house-only")
        return
    rules = ROLES[c.role]
    rec.emit(
        ev.AgentRegistered(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            name=c.name,
            role=c.role,
            cash=rules.starting_cash,
            max_leverage=rules.max_leverage,
            callback_url=c.callback_url,
            api_key_hash=c.api_key_hash,
        )
    )
