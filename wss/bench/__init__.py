"""``wss bench ...``: benchmarks that print figures, never pass/fail (see docs/PERFORMANCE.md)."""

import argparse
from typing import Any

from wss.settings import Settings


def run_bench(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    result: dict[str, Any]
    if args.what == "match":
        from wss.bench.match import bench_match  # noqa: PLC0415 - each bench loads its own world

        result = bench_match()
        return result
    if args.what == "sec":
        from wss.bench.sec import bench_sec  # noqa: PLC0415

        result = bench_sec()
        return result
    if args.what == "engine":
        from wss.bench.engine import bench_engine  # noqa: PLC0415

        result = bench_engine(agents=args.agents, ticks=args.ticks or 30)
        return result
    if args.what == "disk":
        from wss.bench.engine import bench_disk  # noqa: PLC0415

        result = bench_disk(agents=args.agents, ticks=args.ticks or 60)
        return result
    if args.what == "replay":
        from wss.bench.replay import bench_replay  # noqa: PLC0415

        result = bench_replay(events=args.ticks or 1_000_000)
        return result
    if args.what == "fork":
        from wss.bench.replay import bench_fork  # noqa: PLC0415

        result = bench_fork(events=args.events or 100_000)
        return result
    if args.what == "project":
        from wss.bench.project import bench_project  # noqa: PLC0415

        result = bench_project()
        return result
    if args.what == "gateway":
        from gateway.bench import bench_gateway  # noqa: PLC0415

        result = bench_gateway(agents=args.agents)
        return result
    if args.what == "resume":
        from wss.bench.resume import bench_resume  # noqa: PLC0415

        result = bench_resume(events=args.events or 1_500_000, port=args.port, home=args.home)
        return result
    if args.what == "soak":
        from wss.bench.soak import bench_soak  # noqa: PLC0415

        result = bench_soak(minutes=args.minutes or 10, agents=args.agents, port=args.port)
        return result
    raise ValueError(args.what)
