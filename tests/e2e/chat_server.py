"""A stand-in for an OpenAI-compatible endpoint: ``POST /v1/chat/completions``.

It speaks the chat-completions wire protocol and answers as a trading model would: one
limit BUY of the first stock it is shown, at its last price (or no action while the
market is closed). Used to run the ``llm`` example agent without a real model:
``python -m tests.e2e.chat_server --port 8102``, then ``OPENAI_BASE_URL=http://127.0.0.1:8102/v1``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def decide(state: dict[str, Any]) -> dict[str, Any]:
    stocks = state.get("stocks") or []
    if not stocks:
        return {"actions": []}
    first = stocks[0]
    buy = {"type": "BUY", "symbol": first["symbol"], "quantity": 1, "price": first["last_price"]}
    return {"actions": [buy]}


async def completions(request: Request) -> JSONResponse:
    body = await request.json()
    user = next(m for m in reversed(body["messages"]) if m["role"] == "user")
    reply = json.dumps(decide(json.loads(user["content"])))
    request.app.state.calls += 1
    return JSONResponse(
        {
            "id": f"chatcmpl-{request.app.state.calls}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "stand-in"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def create_app() -> Starlette:
    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    app.state.calls = 0
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8102)
    uvicorn.run(create_app(), host="127.0.0.1", port=parser.parse_args().port, log_level="warning")
