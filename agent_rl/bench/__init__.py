"""Benchmarks: `agent-rl bench NAME` runs `agent_rl.bench.<NAME>` and writes its JSON.

A benchmark module exposes `add_arguments(parser)` (optional) and `run(args) -> dict`. Results report ratios
measured side by side in one run, since absolute times on shared machines are noise.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from agent_rl.core.cli_args import OneLineParser, out_folder
from agent_rl.errors import UserError


def available() -> list[str]:
    return sorted(
        m.name.replace("_", "-") for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")
    )


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    parser = add("bench", None, "run a benchmark and write its JSON")
    parser.add_argument("name", help=f"benchmark to run: {', '.join(available())}")
    parser.add_argument(
        "options", nargs=argparse.REMAINDER, help="--out DIR, --quick, and the benchmark's own options"
    )
    parser.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    if args.name not in available():
        raise UserError(f"unknown benchmark {args.name!r}; choose one of: {', '.join(available())}")
    module = importlib.import_module(f"agent_rl.bench.{args.name.replace('-', '_')}")
    parser = OneLineParser(prog=f"agent-rl bench {args.name}", description=module.__doc__)
    parser.add_argument("--out", type=out_folder, default=Path("runs/bench"), help="folder for NAME.json")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run (used by tests)")
    if hasattr(module, "add_arguments"):
        module.add_arguments(parser)
    args = argparse.Namespace(name=args.name, **vars(parser.parse_args(args.options)))
    started = time.time()
    result = module.run(args)
    result = {
        "benchmark": args.name,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "seconds": round(time.time() - started, 2),
        **result,
    }
    out = args.out / f"{args.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return 0
