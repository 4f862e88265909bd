"""A season's status as it is, not as its engine last wrote it.

The registry (``wss_seasons``) is written by the engine every 10 ticks, so after a crash
it still says "running" and lags by up to 9 ticks. The truth is elsewhere: whether an
engine holds the season's lease right now, and the log's last ``TickClosed``.
"""

from dataclasses import replace

from nats.js.errors import NotFoundError

from schemas.events import TickClosed
from wss.lease import lease_is_live
from wss.seasonlog import SeasonInfo, SeasonLog

CRASHED = "crashed"  # the registry says running, but no engine holds the lease


async def last_tick_closed(log: SeasonLog) -> TickClosed | None:
    subject = log.streams.event_subject("TickClosed")
    try:
        msg = await log.js.get_last_msg(log.streams.event_stream, subject, direct=True)
    except NotFoundError:
        return None
    return TickClosed.model_validate_json(msg.data or b"{}")


async def observed(log: SeasonLog, info: SeasonInfo, lease_seconds: float) -> SeasonInfo:
    """``info`` with the status read from the lease and tick/hash from the log."""
    closed = await last_tick_closed(log)
    if closed is not None:
        info = replace(info, tick=closed.tick, state_hash=closed.state_hash)
    if await lease_is_live(log.js, log.season, lease_seconds):
        return replace(info, status="running")
    if info.status == "running":
        return replace(info, status=CRASHED)
    return info
