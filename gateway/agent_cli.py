"""``wss agent run --strategy random|momentum|market_maker|llm --name X --url URL``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from gateway.agents import STRATEGIES, AgentRunner
from gateway.client import WssApiError, WssClient

__all__ = ["add_agent_parser", "run_agent_command"]


def add_agent_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``agent run`` to ``wss``'s subcommands."""
    agent: argparse.ArgumentParser = subparsers.add_parser(
        "agent", help="run an example agent against a gateway"
    )
    sub = agent.add_subparsers(dest="agent_command", required=True)
    run = sub.add_parser("run", help="register (or use --key) and trade every tick")
    run.add_argument("--strategy", choices=sorted(STRATEGIES), default="random")
    run.add_argument("--name", help="agent name (default: <strategy>-<random>)")
    run.add_argument("--role", default="retail_trader")
    run.add_argument("--url", default=os.environ.get("WSS_URL", "http://127.0.0.1:8000"))
    run.add_argument(
        "--key",
        default=os.environ.get("WSS_KEY"),
        help="an existing API key instead of registering",
    )
    run.add_argument("--ticks", type=int, help="stop after this many ticks")
    run.add_argument("--seed", type=int, help="seed of the strategy's randomness")
    return agent


def run_agent_command(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except WssApiError as error:
        print(f"wss agent: {error}", file=sys.stderr)  # noqa: T201 - a command line
        return 2
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace) -> int:
    async with WssClient(args.url, api_key=args.key) as client:
        if args.key:
            me = await client.verify()
        else:
            name = args.name or f"{args.strategy}-{os.urandom(3).hex()}"
            me = await client.register(name, args.role)
            print(f"registered {name} as {me['agent_id']}; key {me['api_key']}")  # noqa: T201
        runner = AgentRunner(client, STRATEGIES[args.strategy](), seed=args.seed)
        await runner.run(args.ticks)
        print(f"agent {me['agent_id']} done: {runner.sent} actions sent")  # noqa: T201
    return 0
