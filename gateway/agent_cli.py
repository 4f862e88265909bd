"""``wss agent run --strategy random|momentum|market_maker|llm --name X --url URL``."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from typing import Any

import httpx

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
    run.add_argument(
        "--retry-seconds",
        type=float,
        default=30.0,
        help="give up on a failing request after retrying this long (default 30)",
    )
    return agent


def _say(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - a command line


def _fail(line: str) -> None:
    print(f"wss agent: {line}", file=sys.stderr, flush=True)  # noqa: T201


def run_agent_command(args: argparse.Namespace) -> int:
    """Run the agent; one clear line for any failure (never a traceback), and the
    summary on exit, including Ctrl-C."""
    import openai  # noqa: PLC0415 - only `wss agent` needs it, not every `wss` command

    session = Session()
    try:
        return asyncio.run(session.run(args))
    except KeyboardInterrupt:
        session.finish("stopped")
        return 130
    except WssApiError as error:
        _fail(f"the gateway answered {error}")
    except httpx.HTTPError as error:
        _fail(f"cannot reach the gateway at {args.url}: {type(error).__name__} {error}".rstrip())
    except TimeoutError:
        _fail("the agent was not admitted to the season in time (is the engine running?)")
    except openai.OpenAIError as error:
        _fail(f"the llm strategy cannot start: {error}")
    session.finish("failed")
    return 2


class Session:
    """One agent's run: registration, the runner, and what is said at the end."""

    def __init__(self) -> None:
        self.runner: AgentRunner | None = None
        self.agent = "?"

    def finish(self, how: str) -> None:
        if self.runner is not None:
            _say(f"{how}: {self.runner.tally.summary(self.agent)}")

    async def run(self, args: argparse.Namespace) -> int:
        strategy = STRATEGIES[args.strategy]()
        client = WssClient(args.url, api_key=args.key, retry_seconds=args.retry_seconds)
        async with client:
            if args.key:
                me = await client.verify()
                self.agent = me["agent_id"]
            else:
                name = args.name or f"{args.strategy}-{secrets.token_hex(3)}"
                me = await client.register(name, args.role)
                self.agent = f"{me['agent_id']} ({name})"
                _say(f"registered {name} as {me['agent_id']}; key {me['api_key']} (keep it)")
                if not me.get("projected"):
                    _say("waiting for the tick that admits it...")
                    await client.wait_registered()
            self.runner = AgentRunner(client, strategy, seed=args.seed, report=_say)
            ticks = f"for {args.ticks} ticks" if args.ticks else "until Ctrl-C"
            _say(f"trading with the {args.strategy} strategy {ticks} at {args.url}")
            await self.runner.run(args.ticks)
        self.finish("done")
        return 0
