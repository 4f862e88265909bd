"""The ``wss`` command line. Errors meant for people print one line, no traceback."""

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from wss.errors import WssError
from wss.natsserver import NatsServerError, NatsServerNotFound, NatsUnreachable
from wss.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wss", description="WallStreetSim: an AI-agent market")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a season (a new one unless --season)")
    run.add_argument("--season", help="resume this season from its log")
    run.add_argument("--seed", type=int, help="seed of a new season (default: random)")
    run.add_argument("--ticks", type=int, help="stop after this many ticks (default: run on)")
    run.add_argument("--until-tick", type=int, help="stop once this tick is closed")
    run.add_argument("--tick-ms", type=int, default=1000, help="wall time per tick; 0 = flat out")

    sub.add_parser("seasons", help="list seasons with their status, ticks and hashes")

    schemas = sub.add_parser("schemas", help="write the JSON Schemas of commands and events")
    schemas.add_argument("--out", type=Path, default=Path("docs/schemas"))

    bench = sub.add_parser("bench", help="benchmarks; each prints one JSON line with --json")
    bench.add_argument("what", choices=["match", "engine", "replay"])
    bench.add_argument("--json", action="store_true", help="print only the JSON line")
    bench.add_argument("--agents", type=int, default=1000, help="engine: scripted agents")
    bench.add_argument("--ticks", type=int, default=0, help="engine/replay: override length")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        if args.command == "run":
            return asyncio.run(_run(settings, args))
        if args.command == "seasons":
            return asyncio.run(_seasons(settings))
        if args.command == "schemas":
            from wss.schemagen import write_schemas  # noqa: PLC0415 - per-command imports

            for path in write_schemas(args.out):
                print(f"wrote {path}")
            return 0
        if args.command == "bench":
            from wss.bench import run_bench  # noqa: PLC0415

            result = run_bench(args, settings)
            print(json.dumps(result) if args.json else json.dumps(result, indent=2))
            return 0
    except (WssError, NatsUnreachable, NatsServerError, NatsServerNotFound) as error:
        print(f"wss: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.season import create_season, new_seed, run_engine  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with nats(settings) as conn:
        if args.season:
            log = SeasonLog(conn.nc, args.season)
            info = await log.require()
            print(f"season {log.season} (seed {info.seed}) resumes at tick {info.tick}", flush=True)
        else:
            seed = args.seed if args.seed is not None else new_seed()
            log = await create_season(conn.nc, seed)
            print(f"season {log.season} created with seed {seed}", flush=True)
        print(f"log: {conn.url}  streams {log.streams.command_stream}, {log.streams.event_stream}")
        quiet = args.tick_ms == 0 and args.ticks is not None and args.ticks > 50
        result = await run_engine(
            conn.nc,
            conn.url,
            log,
            settings,
            ticks=args.ticks,
            tick_ms=args.tick_ms,
            stop=stop,
            until_tick=args.until_tick,
            on_tick=lambda r: None if quiet and r.tick % 50 else print(r.line(), flush=True),
        )
        status = "ended (log sealed)" if result.ended else "stopped"
        print(f"season {result.season} {status} at tick {result.tick}")
        print(f"final state hash {result.state_hash}")
    return 0


async def _seasons(settings: Settings) -> int:
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import list_seasons  # noqa: PLC0415

    async with nats(settings) as conn:
        seasons = await list_seasons(conn.nc)
    if not seasons:
        print("no seasons yet: start one with `wss run`")
        return 0
    print(f"{'season':<14}{'status':<10}{'seed':>12}{'ticks':>8}  created                    hash")
    for s in seasons:
        row = f"{s.season:<14}{s.status:<10}{s.seed:>12}{s.tick:>8}  {s.created:<26}"
        print(f"{row} {s.state_hash[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
