"""Where the SSE hub starts: from the engine's latest world snapshot, never the log's start.

The hub's only state is the leaderboard's book (cash, positions, marks). Folding it from
the season's first event made start-up grow with the season (a 1.4M-event season could
not be resumed), so the hub seeds the book from the latest snapshot and follows the log
from right after it: start-up is bounded by the snapshot interval, not the season.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.aio.client import Client

from projections.analytics.book import AgentBook
from wss.snapshots import Snapshot, latest_snapshot

__all__ = ["HubSeed", "latest_seed", "nats_url_of", "seed_of"]


@dataclass(frozen=True, slots=True)
class HubSeed:
    book: AgentBook
    seq: int  # the TickClosed the snapshot stands right after
    tick: int


def nats_url_of(nc: Client) -> str:
    """The URL ``nc`` is connected to (the snapshot store opens its own connection)."""
    url = nc.connected_url
    if url is None:
        raise RuntimeError("not connected")
    return url.geturl()


async def latest_seed(nats_url: str, season: str) -> HubSeed | None:
    """The book at the season's latest snapshot; None when it has none yet."""
    snap = await latest_snapshot(nats_url, season)
    return seed_of(snap) if snap is not None else None


def seed_of(snap: Snapshot) -> HubSeed:
    """The hub's book at ``snap`` (a copy: the snapshot's world may go on being folded)."""
    return HubSeed(AgentBook.from_world(snap.world), snap.event_seq, snap.world.tick)
