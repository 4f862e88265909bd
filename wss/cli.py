"""The ``wss`` command line. Errors meant for people print one line, no traceback."""

import argparse
import asyncio
import contextlib
import importlib
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import nats.errors

from wss import replaycli  # light: each of its commands imports what it uses
from wss.errors import WssError
from wss.natsserver import NatsServerError, NatsServerNotFound, NatsUnreachable
from wss.settings import Settings

if TYPE_CHECKING:
    from nats.aio.client import Client

    from schemas.config import SeasonConfig
    from wss.seasonlog import SeasonLog


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wss", description="WallStreetSim: an AI-agent market")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a season (a new one unless --season)")
    run.add_argument("--season", help="resume this season from its log")
    run.add_argument("--seed", type=int, help="seed of a new season (default: random)")
    run.add_argument("--config", type=Path, help="a new season's configuration file (TOML or JSON)")
    run.add_argument("--ticks", type=int, help="stop after this many ticks (default: run on)")
    run.add_argument("--until-tick", type=int, help="stop once this tick is closed")
    run.add_argument("--tick-ms", type=int, default=1000, help="wall time per tick; 0 = flat out")

    run.add_argument("--no-projections", action="store_true", help="don't run the read side")
    run.add_argument("--no-gateway", action="store_true", help="don't serve the HTTP API")
    run.add_argument("--host", default="127.0.0.1", help="gateway address (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8000, help="gateway port (default 8000)")

    sub.add_parser("seasons", help="list seasons with their status, ticks and hashes")

    verify = sub.add_parser("verify", help="re-run a season's commands; compare every event")
    verify.add_argument("--season", required=True)

    stop = sub.add_parser("stop", help="end a season: its engine closes it and seals its log")
    stop.add_argument("--season", required=True)

    project = sub.add_parser("project", help="read projections: status, rebuild, run")
    what = project.add_mutually_exclusive_group(required=True)
    what.add_argument("--status", action="store_true", help="each projection's position and lag")
    what.add_argument(
        "--rebuild", metavar="NAME", help="drop a projection, rebuild it from the log"
    )
    what.add_argument("--run", action="store_true", help="run projections as their own process")
    project.add_argument("--season", help="only this season (default: every season)")

    schemas = sub.add_parser("schemas", help="write the JSON Schemas of commands and events")
    schemas.add_argument("--out", type=Path, default=Path("docs/schemas"))

    if "agent" in argv:
        from gateway.agent_cli import add_agent_parser  # noqa: PLC0415

        add_agent_parser(sub)
    else:
        # Importing the gateway costs seconds: the other commands must not pay for it.
        sub.add_parser("agent", help="run an example agent against a gateway")

    replaycli.add_parsers(sub)

    bench = sub.add_parser("bench", help="benchmarks; each prints one JSON line with --json")
    bench.add_argument(
        "what",
        choices=[
            "match",
            "sec",
            "engine",
            "disk",
            "replay",
            "fork",
            "project",
            "gateway",
            "resume",
            "soak",
        ],
    )
    bench.add_argument("--json", action="store_true", help="print only the JSON line")
    bench.add_argument("--agents", type=int, default=1000, help="engine/disk/soak: agents")
    bench.add_argument("--ticks", type=int, default=0, help="engine/disk/replay: override length")
    bench.add_argument("--events", type=int, default=0, help="resume/fork: season length")
    bench.add_argument("--minutes", type=float, default=0, help="soak: how long (default 10)")
    bench.add_argument("--port", type=int, default=0, help="resume/soak: gateway port")
    bench.add_argument("--home", type=Path, help="resume: build the season here and keep it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv).parse_args(argv)
    settings = Settings()
    if args.command in ("run", "project"):
        from wss.logs import ALL_IN_ONE, configure_logging  # noqa: PLC0415

        configure_logging(ALL_IN_ONE if args.command == "run" else "projections")
    try:
        if args.command == "run":
            from wss import memtrace  # noqa: PLC0415
            from wss.mallocarenas import limit_malloc_arenas  # noqa: PLC0415

            limit_malloc_arenas()
            memtrace.install()
            return asyncio.run(_run(settings, args))
        if args.command == "seasons":
            return asyncio.run(_seasons(settings))
        if args.command == "verify":
            return asyncio.run(_verify(settings, args.season))
        if args.command == "stop":
            return asyncio.run(_stop(settings, args.season))
        if args.command == "project":
            return asyncio.run(_project(settings, args))
        if args.command == "agent":
            from gateway.agent_cli import run_agent_command  # noqa: PLC0415

            return run_agent_command(args)
        if args.command == "schemas":
            from wss.schemagen import write_schemas  # noqa: PLC0415 - per-command imports

            for path in write_schemas(args.out):
                print(f"wrote {path}")
            return 0
        if args.command in replaycli.COMMANDS:
            return replaycli.run(args, settings)
        if args.command == "bench":
            from wss.bench import run_bench  # noqa: PLC0415

            result = run_bench(args, settings)
            print(json.dumps(result) if args.json else json.dumps(result, indent=2))
            return 0
    except (WssError, NatsUnreachable, NatsServerError, NatsServerNotFound) as error:
        print(f"wss: {error}", file=sys.stderr)
        return 2
    except nats.errors.Error as error:  # the connection went away under us
        print(f"wss: NATS: {error or type(error).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1


# What `wss run` serves with, imported in a thread while the embedded nats-server starts
# (restoring a long season's log takes seconds; so do these imports): a resume pays the
# longer of the two, not their sum.
SERVING_MODULES = (
    "wss.gatewaywiring",
    "wss.readside",
    "wss.season",
    "wss.metrics",
    "chdb",
    "pandas",
)


def _import_serving_modules() -> None:
    for name in SERVING_MODULES:
        importlib.import_module(name)


async def _open_season(nc: "Client", settings: Settings, args: argparse.Namespace) -> "SeasonLog":
    """The season to run: the one ``--season`` names (resumed), or a new one."""
    from wss.season import create_season, new_seed  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415
    from wss.seasonstatus import observed  # noqa: PLC0415

    if args.season:
        log = SeasonLog(nc, args.season)
        info = await observed(log, await log.require(), settings.lease_seconds)
        if info.status == "ended":
            raise WssError(f"season {log.season} has ended; replay it with the replayer")
        print(f"season {log.season} (seed {info.seed}) resumes at tick {info.tick}", flush=True)
        return log
    seed = args.seed if args.seed is not None else new_seed()
    config, version = _season_config(args.config)
    log = await create_season(nc, seed, config, rules_version=version)
    print(f"season {log.season} created with seed {seed}", flush=True)
    return log


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.logs import bind  # noqa: PLC0415

    stop = _stop_on_signals()
    if args.season and args.config:
        raise WssError(
            "--config sets up a new season; change a season's rules with wss replay fork"
        )
    importing = asyncio.create_task(asyncio.to_thread(_import_serving_modules))
    async with nats(settings) as conn:
        await importing
        from wss.gatewaywiring import serve_gateway  # noqa: PLC0415
        from wss.metrics import Metrics, serve_metrics  # noqa: PLC0415
        from wss.readside import ReadSide  # noqa: PLC0415
        from wss.readside import prepare as prepare_read_side  # noqa: PLC0415
        from wss.season import run_engine, take_lease  # noqa: PLC0415

        log = await _open_season(conn.nc, settings, args)
        print(f"log: {conn.url}  streams {log.streams.command_stream}, {log.streams.event_stream}")
        quiet = args.tick_ms == 0 and args.ticks is not None and args.ticks > 50
        lease = await take_lease(log, settings)  # before anything else: fail fast if fenced
        bind(season=log.season)
        metrics = Metrics()
        read_side = ReadSide(conn.nc.jetstream(), log.season, settings, metrics)
        metrics.health = read_side.health
        try:
            await prepare_read_side(settings)
            if not args.no_projections:
                read_side.start()
            async with contextlib.AsyncExitStack() as stack:
                if settings.metrics_port is not None:
                    stack.callback(serve_metrics(metrics, settings.metrics_port).close)
                if not args.no_gateway:
                    gateway = await stack.enter_async_context(
                        serve_gateway(
                            log,
                            settings,
                            host=args.host,
                            port=args.port,
                            analytics=not args.no_projections or bool(settings.clickhouse_url),
                            health=read_side.health,
                            metrics=metrics,
                        )
                    )
                    print(f"gateway: {gateway.url}  (agents: curl {gateway.url}/skill.md)")
                result = await run_engine(
                    conn.nc,
                    conn.url,
                    log,
                    settings,
                    ticks=args.ticks,
                    tick_ms=args.tick_ms,
                    stop=stop,
                    until_tick=args.until_tick,
                    on_tick=lambda r: (
                        None if quiet and r.tick % 50 else print(r.line(), flush=True)
                    ),
                    lease=lease,
                    metrics=metrics,
                )
            await read_side.drain(await log.last_seq(log.streams.event_stream))
        finally:
            await lease.release()
            for error in await read_side.stop():
                print(f"wss: {error}", file=sys.stderr)
        status = "ended (log sealed)" if result.ended else "stopped"
        print(f"season {result.season} {status} at tick {result.tick}")
        print(f"final state hash {result.state_hash}")
    return 0


async def _project(settings: Settings, args: argparse.Namespace) -> int:
    from wss import projectcli  # noqa: PLC0415

    if args.status:
        return await projectcli.status(settings, args.season)
    if args.rebuild:
        return await projectcli.rebuild(settings, args.rebuild, args.season)
    return await projectcli.run(settings, args.season, _stop_on_signals())


def _season_config(path: Path | None) -> tuple["SeasonConfig | None", int]:
    """(config, rules_version) from ``--config``; without one the defaults, newest rules."""
    from domain.rules.versions import CURRENT_VERSION  # noqa: PLC0415
    from wss.seasonconfig import load_season_config  # noqa: PLC0415

    return load_season_config(path) if path is not None else (None, CURRENT_VERSION)


def _stop_on_signals() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM: the running tick or batch finishes first."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _verify(settings: Settings, season: str) -> int:
    from replayer import verify  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.progress import Progress  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    async with nats(settings) as conn:
        log = SeasonLog(conn.nc, season)
        await log.require()
        bar = Progress("verifying")
        try:
            verdict = await verify(log, progress=bar)
        finally:
            bar.close()
    if verdict.ok:
        older = f" ({verdict.older_format} of an older format, same field for field)"
        print(
            f"season {season}: {verdict.ticks} ticks, {verdict.events:,} events replayed "
            f"byte for byte{older if verdict.older_format else ''}; "
            f"final state hash {verdict.final_hash}"
        )
        return 0
    print(f"season {season}: DIVERGED at {verdict.divergence}", file=sys.stderr)
    return 1


async def _stop(settings: Settings, season: str) -> int:
    """The operator's STOP_SEASON, on the log like any command (so replays see it too)."""
    from schemas.commands import OPERATOR_ID, StopSeason  # noqa: PLC0415
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import SeasonLog  # noqa: PLC0415

    async with nats(settings) as conn:
        log = SeasonLog(conn.nc, season)
        info = await log.require()
        if info.status == "ended":
            print(f"season {season} has already ended")
            return 0
        seq, _ = await log.submit(StopSeason(command_id="stop", agent_id=OPERATOR_ID))
    print(f"season {season}: stop requested (command {seq}); its engine ends it at the next tick")
    return 0


async def _seasons(settings: Settings) -> int:
    from wss.bootstrap import nats  # noqa: PLC0415
    from wss.seasonlog import SeasonLog, list_seasons  # noqa: PLC0415
    from wss.seasonstatus import observed  # noqa: PLC0415

    async with nats(settings) as conn:
        seasons = [
            await observed(SeasonLog(conn.nc, s.season), s, settings.lease_seconds)
            for s in await list_seasons(conn.nc)
        ]
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
