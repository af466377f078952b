"""`agent-rl serve --model M [--host H --port P]`: a local model, text or VLM, behind the OpenAI API.

The server itself (`agent_rl.backends.openai_server`) is shared with the stages and benchmarks that serve a
local model for workers; this module is the command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from agent_rl.backends.openai_server import ModelServer, ServerLimits, listen
from agent_rl.backends.openai_wire import WireError, parse_request


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    parser = add("serve", None, "serve a local model over an OpenAI-compatible API")
    parser.set_defaults(main=main)
    limits = ServerLimits.model_fields
    parser.add_argument(
        "--model", required=True, help="local folder (e.g. from `agent-rl model tiny`) or hub id"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback by default)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0 picks a free one)")
    parser.add_argument("--name", default=None, help="model name reported by the API (default: --model)")
    parser.add_argument("--max-batch-size", type=int, default=limits["max_batch_size"].default)
    parser.add_argument(
        "--max-queue",
        type=int,
        default=limits["max_queue"].default,
        help="choices waiting or running before requests get 503",
    )


def main(args: argparse.Namespace) -> int:
    from agent_rl.backends.transformers_backend import TransformersBackend
    from agent_rl.errors import UserError

    try:
        limits = parse_request(
            ServerLimits, {"max_batch_size": args.max_batch_size, "max_queue": args.max_queue}
        )
    except WireError as err:
        raise UserError(f"bad option ({err}); see `agent-rl serve --help`") from None
    listen(args.host, args.port).close()  # a bad --host or --port fails now, not after loading the model
    backend = TransformersBackend(args.model, max_batch_size=limits.max_batch_size)
    server = ModelServer(backend, args.name or str(args.model), args.host, args.port, **limits.model_dump())
    print(f"serving {args.model} at {server.base_url} (OpenAI-compatible; Ctrl-C stops)", flush=True)
    server.start()
    try:
        while server.thread.is_alive():
            server.thread.join(0.5)
    finally:
        server.stop()
    return 0
