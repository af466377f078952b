"""`agent-rl` command line. Each command lives in its own module, imported only when it is run.

A command module exposes `add_arguments(parser)` and `main(args) -> int | None`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from agent_rl.errors import UserError

COMMANDS: dict[str, tuple[str, str]] = {
    "tiny-model": ("agent_rl.models.tiny", "build a tiny local text model or VLM"),
    "eval": ("agent_rl.evaluate", "evaluate a model on an environment (e.g. generalpoints)"),
    "run": ("agent_rl.recipe", "run a recipe (YAML) into a run folder"),
    "serve": ("agent_rl.serve", "serve a local model over an OpenAI-compatible API"),
    "bench": ("agent_rl.bench", "run a benchmark and write its JSON"),
    "sites": ("envs.web.sites.cli", "serve the bundled self-hosted web sites"),
    "webarena": ("evaluator.webarena.cli", "validate and evaluate WebArena task configs"),
    "judge": ("evaluator.judge.cli", "judge agreement with the WebArena rule evaluators"),
    "control": ("agent_rl.control.cli", "continuous control: dataset generation"),
}


def _top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<12} {text}" for name, (_, text) in COMMANDS.items())
    return argparse.ArgumentParser(
        prog="agent-rl",
        description="Post-training for foundation-model agents.",
        epilog=f"commands:\n{lines}\n\nRun `agent-rl COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    top = _top_parser()
    if not argv or argv[0] in ("-h", "--help"):
        top.print_help()
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        top.error(f"unknown command {name!r}; choose one of: {', '.join(COMMANDS)}")
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"agent-rl {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.main(args) or 0)
    except UserError as err:
        print(f"agent-rl {name}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"agent-rl {name}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
