"""``wss replay ...`` and ``wss season ...``: the researcher's commands (replayer/)."""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from wss.errors import WssError
from wss.progress import Progress
from wss.settings import Settings

COMMANDS = ("replay", "season", "export", "report")
PNL_ROWS = 15  # agents in the printed report (--json has them all), biggest change first
PRICE_COLUMNS = 8


def add_parsers(sub: Any) -> None:
    replay = sub.add_parser("replay", help="a season's world at any tick; counterfactual forks")
    what = replay.add_subparsers(dest="replay_command", required=True)
    state = what.add_parser("state", help="the world at the close of a tick, as JSON")
    state.add_argument("--season", required=True)
    state.add_argument("--tick", type=int, help="default: the last closed tick")
    state.add_argument("--agent", help="only this agent's account and orders")
    state.add_argument("--symbol", help="only this symbol's company, book and orders")
    fork = what.add_parser("fork", help="a new season: this one's log to a tick, then new rules")
    fork.add_argument("--season", required=True)
    fork.add_argument("--at", type=int, required=True, help="the last tick kept as it was")
    fork.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="e.g. fee_bps=10"
    )
    fork.add_argument("--config", type=Path, help="a TOML or JSON file of config changes")
    fork.add_argument(
        "--drop-agent", action="append", default=[], metavar="A", help="drop A's commands after T"
    )
    fork.add_argument("--json", action="store_true", help="the divergence report as JSON")

    season = sub.add_parser("season", help="share a season: export it to a file, import one")
    how = season.add_subparsers(dest="season_command", required=True)
    export = how.add_parser("export", help="both streams and a manifest in one compressed file")
    export.add_argument("--season", required=True)
    export.add_argument("--out", type=Path, required=True)
    imported = how.add_parser("import", help="a season from an exported file, checked first")
    imported.add_argument("file", type=Path)

    tables = sub.add_parser("export", help="a season as Parquet or CSV tables (trades, orders...)")
    tables.add_argument("--season", required=True)
    tables.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    tables.add_argument("--out", type=Path, required=True, help="a directory")

    report = sub.add_parser("report", help="a season's scorecard: JSON, an HTML page, PNG plots")
    report.add_argument("--season", required=True)
    report.add_argument("--out", type=Path, help="a directory (default: report-<season>)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "replay" and args.replay_command == "state":
        return asyncio.run(_state(settings, args))
    if args.command == "replay" and args.replay_command == "fork":
        return asyncio.run(_fork(settings, args))
    if args.command == "season" and args.season_command == "export":
        return asyncio.run(_export(settings, args))
    if args.command == "season" and args.season_command == "import":
        return asyncio.run(_import(settings, args))
    if args.command == "export":
        return asyncio.run(_tables(settings, args))
    if args.command == "report":
        return asyncio.run(_report(settings, args))
    raise WssError(f"unknown command {args.command}")


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    from replayer.report import write_report  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    out = args.out or Path(f"report-{args.season}")
    async with nats(settings) as conn:
        bar = Progress("reading")
        card = await write_report(SeasonLog(conn.nc, args.season), out, bar)
        bar.close()
    r = card["returns"]
    kurtosis = r.get("excess_kurtosis")
    print(
        f"season {args.season}: {card['trades']:,} trades, {r['count']:,} returns, excess "
        f"kurtosis {'-' if kurtosis is None else f'{kurtosis:.2f}'}; wrote "
        f"{out / 'report.json'}, {out / 'report.html'} and {len(card['images'])} plots"
    )
    return 0


async def _tables(settings: Settings, args: argparse.Namespace) -> int:
    from replayer.export import export_tables  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    async with nats(settings) as conn:
        log = SeasonLog(conn.nc, args.season)
        counts = await export_tables(log, args.out, args.format, bar := Progress("exporting"))
        bar.close()
    rows = ", ".join(f"{name} {n:,}" for name, n in counts.items())
    print(f"season {args.season}: wrote {args.format} tables to {args.out}: {rows}")
    return 0


async def _state(settings: Settings, args: argparse.Namespace) -> int:
    from replayer.fold import fold  # noqa: PLC0415
    from replayer.state import world_json  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    async with nats(settings) as conn:
        log = SeasonLog(conn.nc, args.season)
        await log.require()
        if args.tick is not None and args.tick < 0:
            raise WssError(f"tick {args.tick} is out of range (ticks start at 0)")
        bar = Progress("replaying")
        folded = await fold(log, until_tick=args.tick, progress=bar)
        bar.close()
    world = folded.world
    if not world.started:
        raise WssError(f"season {args.season} has no closed tick yet")
    if args.tick is not None and world.tick < args.tick:
        raise WssError(
            f"tick {args.tick} is out of range: season {args.season} has ticks 0..{world.tick}"
        )
    if args.agent is not None and args.agent not in world.accounts:
        raise WssError(f"no agent {args.agent!r} in season {args.season} at tick {world.tick}")
    if args.symbol is not None and args.symbol not in world.companies:
        raise WssError(f"no symbol {args.symbol!r} in season {args.season}")
    body = {
        "season": args.season,
        "tick": world.tick,
        "state_hash": folded.last_hash,
        "world": world_json(
            world, agent=args.agent, symbol=args.symbol, opening=folded.opening_worth
        ),
    }
    json.dump(body, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    """--config FILE (TOML or JSON, nested tables as dotted keys) then each --set K=V."""
    changes: dict[str, Any] = {}
    if args.config is not None:
        from wss.seasonconfig import read_config_file  # noqa: PLC0415

        changes.update(_flatten(read_config_file(args.config)))
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise WssError(f"--set {item!r}: expected KEY=VALUE")
        try:
            changes[key.strip()] = json.loads(raw)
        except ValueError:
            changes[key.strip()] = raw
    return changes


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


async def _fork(settings: Settings, args: argparse.Namespace) -> int:
    from replayer.fork import fork_season  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    changes = _changes(args)
    async with nats(settings) as conn:
        report = await fork_season(
            conn.nc,
            conn.url,
            SeasonLog(conn.nc, args.season),
            args.at,
            changes=changes,
            drop_agents=tuple(args.drop_agent),
            snapshot_every=settings.snapshot_every,
            progress=(bar := Progress("forking")),
        )
        bar.close()
    body = report.to_json()
    if args.json:
        print(json.dumps(body, separators=(",", ":")))
        return 0
    print(f"season {report.fork} forked from {report.season} after tick {report.at}")
    dropped = f"; dropped {', '.join(report.dropped_agents)}" if report.dropped_agents else ""
    print(f"changes: {json.dumps(report.changes) if report.changes else 'none'}{dropped}")
    first = report.first_divergent_tick
    print(
        f"first divergent tick: {first}" if first is not None
        else f"identical to the original through tick {report.last_tick}"
    )  # fmt: skip
    print(f"{'agent':<24}{'P&L original':>16}{'P&L fork':>16}{'difference':>16}")
    rows = sorted(report.pnl.items(), key=lambda r: -abs(r[1]["fork"] - r[1]["original"]))
    for agent, pnl in rows[:PNL_ROWS]:
        a, b = pnl["original"] / 100, pnl["fork"] / 100
        print(f"{agent:<24}{a:>16,.2f}{b:>16,.2f}{b - a:>+16,.2f}")
    every = _every(report.last_tick - report.at)
    print(f"prices (original / fork) every {every} ticks:")
    for symbol, path in report.prices.items():
        shown = [p for p in path if (p[0] - report.at) % every == 0 or p is path[-1]]
        cells = "  ".join(f"{t}:{o / 100:.2f}/{f / 100:.2f}" for t, o, f in shown)
        print(f"  {symbol:<6} {cells}")
    return 0


def _every(ticks: int) -> int:
    return max(1, -(-ticks // PRICE_COLUMNS))


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from replayer.archive import export_season  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    async with nats(settings) as conn:
        done = await export_season(SeasonLog(conn.nc, args.season), args.out)
    print(
        f"season {done.season}: {done.commands:,} commands, {done.events:,} events, "
        f"{done.ticks} ticks -> {done.path} ({done.bytes:,} bytes); "
        f"final state hash {done.final_hash}"
    )
    return 0


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from replayer.archive import import_season  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415

    async with nats(settings) as conn:
        verdict = await import_season(conn.nc, args.file, bar := Progress("importing"))
        bar.close()
    print(
        f"season {verdict.season} imported: {verdict.ticks} ticks, {verdict.events:,} events "
        f"replayed byte for byte; final state hash {verdict.final_hash}"
    )
    return 0
