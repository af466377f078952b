"""`agent-rl VERB [NOUN] ...`: the one command line.

Each room keeps its commands in its own small module with a `register(add)` hook; `add(verb, noun, help)`
returns the parser of `agent-rl VERB NOUN` (noun None: `agent-rl VERB`), on which the room declares its
options and `set_defaults(main=FUNCTION)`. Rooms import their heavy modules inside those functions, so
building the parser stays cheap. Conventions: `--model` wherever a model is meant (`--judge-model`,
`--proposer-model` beside it), `--out` is always a folder, and one backend syntax
(`agent_rl.backends.options`).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from agent_rl.core.cli_args import OneLineParser
from agent_rl.errors import UserError

VERBS: dict[str, str] = {
    "run": "run a recipe (YAML) into a run folder",
    "eval": "evaluate a model (generalpoints, webarena, judge, ...)",
    "validate": "check task configs before a run",
    "score": "rescore finished runs offline",
    "serve": "serve a local model over an OpenAI-compatible API",
    "bench": "run a benchmark and write its JSON",
    "sites": "the bundled self-hosted web sites",
    "data": "generate datasets",
    "model": "build models",
}
ROOMS = (  # modules with a `register(add)` hook
    "agent_rl.recipe",
    "agent_rl.rollout.cli",
    "agent_rl.commands.webarena",
    "agent_rl.commands.judge",
    "agent_rl.commands.miniwob",
    "agent_rl.serve",
    "agent_rl.bench",
    "envs.web.sites.cli",
    "agent_rl.control.cli",
    "agent_rl.models.tiny",
)


def build_parser() -> argparse.ArgumentParser:
    top = OneLineParser(prog="agent-rl", description="Post-training for foundation-model agents.")
    verbs = top.add_subparsers(dest="verb", metavar="VERB", required=True)
    verb_parsers: dict[str, argparse.ArgumentParser] = {}
    nouns: dict[str, argparse._SubParsersAction] = {}

    def add(verb: str, noun: str | None, help: str) -> argparse.ArgumentParser:
        if verb not in VERBS:
            raise ValueError(f"unknown verb {verb!r}")
        if noun is None:
            parser = verbs.add_parser(verb, help=help, description=help)
            verb_parsers[verb] = parser
            return parser
        if verb not in nouns:
            parent = verbs.add_parser(verb, help=VERBS[verb], description=VERBS[verb])
            nouns[verb] = parent.add_subparsers(dest="noun", metavar="NOUN", required=True)
        return nouns[verb].add_parser(noun, help=help, description=help)

    for room in ROOMS:
        importlib.import_module(room).register(add)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    command = " ".join(x for x in (args.verb, getattr(args, "noun", None)) if x)
    try:
        return int(args.main(args) or 0)
    except UserError as err:
        print(f"agent-rl {command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a path the user gave that cannot be made or written (under a file, in /proc)
        where = f" {err.filename}" if err.filename else ""
        print(f"agent-rl {command}: error: cannot use{where}: {err.strerror or err}", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"agent-rl {command}: error: an input is nested too deeply", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"agent-rl {command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
