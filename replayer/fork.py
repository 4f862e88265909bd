"""Counterfactual forks: a new season that is the original up to tick T, then runs on
under changed rules, re-applying the original's recorded commands tick by tick.

The fork is a season like any other (its own streams, in the registry), built the way the
engine builds seasons:

1. Its command log starts with the original's commands up to T's cut, copied as they are
   (same sequences, same dedupe ids), and its event log with the original's events up to
   T's ``TickClosed``, appended tick by tick as the engine appends them.
2. An engine takes the fork's lease and recovers it (the replayer's fold), so it stands at
   T with the original's state hash.
3. The rule change goes on the fork's log as the operator's ``CONFIGURE_SEASON``, so the
   fork replays and verifies on its own (``wss verify``); no change, no command.
4. For each original tick after T, the original's commands of that tick (without those of
   dropped agents) are appended and the engine runs one tick over exactly those: the same
   cut per tick. Commands that no longer make sense get their ordinary rejections.
"""

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client

from domain.hashing import restore, snapshot
from domain.rules.configuration import FIXED_AT_GENESIS
from domain.rules.versions import RULE_SETS, UnknownRulesVersion
from domain.state import World
from replayer.fold import OnTick, Progress, fold
from replayer.pnl import pnl
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import SeasonConfig
from wss.engine import Engine
from wss.errors import WssError
from wss.eventstore.jetstream import StoredMsg
from wss.lease import Lease
from wss.season import new_season_id
from wss.seasonlog import SeasonInfo, SeasonLog, decode_command
from wss.snapshots import Snapshot, SnapshotStore
from wss.streams import MSG_ID

LEASE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class TickCut:
    tick: int
    first_command_seq: int
    last_command_seq: int
    state_hash: str
    closed_seq: int  # the event sequence of its TickClosed


@dataclass(slots=True)
class Path:
    """One world's course, tick by tick: state hashes and last prices."""

    hashes: dict[int, str] = field(default_factory=dict)
    prices: dict[int, dict[str, int]] = field(default_factory=dict)

    def record(self, tick: int, state_hash: str, world: World) -> None:
        self.hashes[tick] = state_hash
        self.prices[tick] = {s: c.last_price for s, c in world.companies.items()}


@dataclass(slots=True)
class ForkReport:
    season: str
    fork: str
    at: int
    last_tick: int  # the last tick both ran (the original's last closed tick, or the end)
    rules_version: int
    changes: dict[str, Any]
    dropped_agents: list[str]
    first_divergent_tick: int | None  # first tick whose state hashes differ
    pnl: dict[str, dict[str, int]]  # agent -> {"original": cents, "fork": cents}
    prices: dict[str, list[list[int]]]  # symbol -> [[tick, original, fork], ...] from T
    fork_ended: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "season": self.season,
            "fork": self.fork,
            "at": self.at,
            "last_tick": self.last_tick,
            "rules_version": self.rules_version,
            "changes": self.changes,
            "dropped_agents": self.dropped_agents,
            "first_divergent_tick": self.first_divergent_tick,
            "fork_ended": self.fork_ended,
            "pnl": self.pnl,
            "prices": self.prices,
        }


def changed_config(
    base: SeasonConfig, base_version: int, changes: dict[str, Any]
) -> tuple[SeasonConfig, int]:
    """``base`` with ``changes`` (dotted keys for nested fields; ``rules_version`` too)."""
    data = base.model_dump(mode="json")
    version = base_version
    for key, value in changes.items():
        if key == "rules_version":
            version = int(value)
            continue
        parts = key.split(".")
        target = data
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                raise WssError(f"--set {key}: {part!r} is not a section of the season config")
            target = target[part]
        if parts[-1] not in target:
            known = ", ".join(sorted(data))
            raise WssError(f"--set {key}: no such config field (fields: {known})")
        target[parts[-1]] = value
    try:
        config = SeasonConfig.model_validate(data)
    except ValueError as error:
        raise WssError(f"config change refused: {str(error).splitlines()[-1].strip()}") from None
    # What CONFIGURE_SEASON would refuse, refused before a fork is made for nothing.
    fixed = [f for f in FIXED_AT_GENESIS if getattr(config, f) != getattr(base, f)]
    if fixed:
        raise WssError(f"config change refused: fixed at genesis: {', '.join(fixed)}")
    if version not in RULE_SETS:
        raise WssError(f"config change refused: {UnknownRulesVersion(version)}")
    return config, version


async def _cuts(
    log: SeasonLog, on_tick: OnTick, progress: Progress | None
) -> tuple[list[TickCut], World, dict[str, int]]:
    """Fold the whole season, recording each tick's command range and hash."""
    cuts: list[TickCut] = []

    def record(
        world: World, closed: ev.TickClosed, tick: list[tuple[StoredMsg, ev.EventBase]]
    ) -> None:
        cuts.append(
            TickCut(
                closed.tick,
                closed.first_command_seq,
                closed.last_command_seq,
                closed.state_hash,
                tick[-1][0].seq,
            )
        )
        on_tick(world, closed, tick)

    folded = await fold(log, on_tick=record, progress=progress)
    return cuts, folded.world, folded.opening_worth


async def _copy_commands(source: SeasonLog, target: SeasonLog, first: int, last: int) -> int:
    """Append source's commands ``first..last`` to target, bytes and dedupe ids as they
    are; returns the last sequence appended (they must land on the same sequences)."""
    done = await target.last_seq(target.streams.command_stream)
    async with contextlib.aclosing(
        source.read(source.streams.command_stream, first, last)
    ) as pages:
        async for page in pages:
            for msg in page:
                done = await _append_command(target, msg)
    return done


async def _append_command(target: SeasonLog, msg: StoredMsg) -> int:
    command_type = msg.subject.rsplit(".", 1)[-1]
    headers = {MSG_ID: msg.headers[MSG_ID]} if MSG_ID in msg.headers else None
    ack = await target.js.publish(
        target.streams.command_subject(command_type), msg.data, headers=headers
    )
    if ack.duplicate:
        raise WssError(f"command {msg.seq} of the original was dropped as a duplicate")
    return int(ack.seq)


async def _copy_events(
    target: SeasonLog, cuts: list[TickCut], ticks: list[list[tuple[str, bytes]]]
) -> int:
    """Append the original's ticks (from genesis; the stored bytes) to target, as the
    engine appends them."""
    seq = 0
    for cut, tick in zip(cuts, ticks, strict=True):
        seq = await target.publish_tick(
            cut.tick, cut.last_command_seq, tick, after_seq=seq, first=0
        )
    return seq


@dataclass(slots=True)
class _Plan:
    """What the original says: its ticks, its course after T, its end, T's rules."""

    info: SeasonInfo
    at: int
    cuts: list[TickCut]
    course: Path
    end: World
    config: SeasonConfig
    rules_version: int
    kept: list[list[tuple[str, bytes]]]  # the stored events of ticks 0..T, tick by tick
    image: dict[str, Any]  # the world at T (domain.hashing.snapshot)
    opening: dict[str, int]  # each agent's worth after the genesis, which both share


async def _plan(original: SeasonLog, at: int, progress: Progress | None) -> _Plan:
    info = await original.require()
    course = Path()
    rules: dict[str, Any] = {}

    kept: list[list[tuple[str, bytes]]] = []

    def on_original(
        world: World, closed: ev.TickClosed, tick: list[tuple[StoredMsg, ev.EventBase]]
    ) -> None:
        if closed.tick >= at:
            course.record(closed.tick, closed.state_hash, world)
        if closed.tick <= at:
            kept.append([(m.subject.rsplit(".", 1)[-1], m.data) for m, _ in tick])
        if closed.tick == at:
            rules["config"], rules["version"] = world.config, world.rules_version
            rules["image"] = snapshot(world)

    cuts, end, opening = await _cuts(original, on_original, progress)
    if not cuts:
        raise WssError(f"season {original.season} has no closed tick yet")
    if not 0 <= at <= cuts[-1].tick:
        raise WssError(
            f"tick {at} is out of range: season {original.season} has ticks 0..{cuts[-1].tick}"
        )
    return _Plan(
        info,
        at,
        cuts,
        course,
        end,
        rules["config"],
        rules["version"],
        kept,
        rules["image"],
        opening,
    )


async def _seed(nc: Client, original: SeasonLog, plan: _Plan) -> tuple[SeasonLog, str]:
    """The fork's streams, holding the original's log up to T."""
    log = SeasonLog(nc, new_season_id())
    created = datetime.now(UTC).isoformat(timespec="seconds")
    await log.create(
        SeasonInfo(season=log.season, seed=plan.info.seed, status="created", created=created)
    )
    kept = plan.cuts[: plan.at + 1]
    cut = kept[-1].last_command_seq
    if await _copy_commands(original, log, 1, cut) != cut:
        raise WssError(f"season {original.season}: its command log has gaps; cannot fork it")
    await _copy_events(log, kept, plan.kept)
    return log, created


async def fork_season(
    nc: Client,
    nats_url: str,
    original: SeasonLog,
    at: int,
    *,
    changes: dict[str, Any] | None = None,
    drop_agents: tuple[str, ...] = (),
    snapshot_every: int = 0,
    progress: Progress | None = None,
) -> ForkReport:
    """Fork ``original`` after tick ``at``; see the module's docstring. ``progress`` is
    told of the original's fold, then of the fork's ticks."""
    changes = dict(changes or {})
    plan = await _plan(original, at, progress)
    config, version = changed_config(plan.config, plan.rules_version, changes)
    cuts = plan.cuts
    later = await _commands_after(original, cuts[at].last_command_seq, cuts[-1].last_command_seq)
    log, created = await _seed(nc, original, plan)
    kept_seq = cuts[at].closed_seq
    lease = Lease(log.js, log.season, LEASE_SECONDS)
    await lease.acquire()
    snapshots = SnapshotStore(nats_url) if snapshot_every > 0 else None
    engine = Engine(log, lease, snapshots, max(snapshot_every, 1))
    course = Path()
    try:
        # The world at T, as the original's fold left it: the fork's log holds the same
        # events, so folding them again would give this same world.
        start = Snapshot(restore(plan.image), kept_seq, cuts[at].state_hash)
        await engine.recover(start)
        if engine.last_hash != cuts[at].state_hash:
            raise WssError(f"fork of {original.season} does not stand at tick {at}'s hash")
        course.record(at, engine.last_hash, engine.world)
        pending: int | None = None
        if config != plan.config or version != plan.rules_version:
            configure = cmd.ConfigureSeason(
                command_id=f"fork-{original.season}-{at}",
                agent_id=cmd.OPERATOR_ID,
                config=config,
                rules_version=version,
            )
            pending, _ = await log.submit(configure)
        for cut in cuts[at + 1 :]:
            last = pending
            for msg in later[cut.first_command_seq : cut.last_command_seq + 1]:
                if decode_command(msg).agent_id not in drop_agents:
                    last = await _append_command(log, msg)
            report = await engine.tick(at_least=last)
            pending = None
            if report is None:
                break
            course.record(report.tick, report.state_hash, engine.world)
            if progress is not None:
                progress(report.tick, cuts[-1].tick)
            if engine.world.ended:
                break
        ended = engine.world.ended
        status = "ended" if ended else "stopped"
        await log.save_info(
            SeasonInfo(
                log.season, plan.info.seed, status, created, engine.world.tick, engine.last_hash
            )
        )
        if ended:
            await log.seal()
    finally:
        await engine.close()
        await lease.release()
        if snapshots is not None:
            snapshots.close()
    return _report(
        plan,
        ForkReport(
            season=original.season,
            fork=log.season,
            at=at,
            last_tick=at,
            rules_version=version,
            changes=changes,
            dropped_agents=list(drop_agents),
            first_divergent_tick=None,
            pnl={},
            prices={},
            fork_ended=engine.world.ended,
        ),
        course,
        engine.world,
    )


class _Later:
    """The original's commands after the fork's point, sliced by sequence."""

    def __init__(self, after: int, msgs: list[StoredMsg]) -> None:
        self.after, self.msgs = after, msgs

    def __getitem__(self, seqs: slice) -> list[StoredMsg]:
        return self.msgs[seqs.start - self.after - 1 : seqs.stop - self.after - 1]


async def _commands_after(original: SeasonLog, after: int, last: int) -> _Later:
    msgs: list[StoredMsg] = []
    async for page in original.read(original.streams.command_stream, after + 1, last):
        msgs.extend(page)
    return _Later(after, msgs)


def _report(plan: _Plan, report: ForkReport, course: Path, fork_end: World) -> ForkReport:
    """The divergence: first differing state hash, P&L in both, price paths side by side."""
    before = plan.course
    ticks = sorted(set(before.hashes) & set(course.hashes))
    report.first_divergent_tick = next(
        (t for t in ticks if before.hashes[t] != course.hashes[t]), None
    )
    report.last_tick = ticks[-1] if ticks else plan.at
    for world, name in ((plan.end, "original"), (fork_end, "fork")):
        for account in world.accounts.values():
            row = report.pnl.setdefault(account.agent_id, {"original": 0, "fork": 0})
            row[name] = pnl(world, account, plan.opening)
    report.prices = {
        symbol: [[t, before.prices[t][symbol], course.prices[t][symbol]] for t in ticks]
        for symbol in plan.end.companies
    }
    return report
