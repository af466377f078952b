"""argparse `type=` helpers shared by every command, so a bad option is argparse's one-line usage error
(`agent-rl eval judge: error: argument --last-k: ...`) before the command loads anything.

Options a command gathers into a pydantic model are checked there instead (`agent_rl.errors.options_model`).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from pydantic import TypeAdapter, ValidationError


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line that says where to look, not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def arg_type(kind: Any, name: str = "value") -> Callable[[str], Any]:
    """A `type=` that parses with pydantic's rules for `kind` (e.g. `agent_rl.core.bounds.Count`)."""
    adapter = TypeAdapter(kind)

    def parse(text: str) -> Any:
        try:
            return adapter.validate_strings(text)
        except ValidationError as err:
            raise argparse.ArgumentTypeError(f"{err.errors()[0]['msg']}, got {text!r}") from None

    parse.__name__ = name
    return parse


def comma_list(kind: Any, name: str = "list") -> Callable[[str], list[Any]]:
    """A `type=` for `1,4,8`: comma-separated values, each checked as `kind`."""
    one = arg_type(kind)

    def parse(text: str) -> list[Any]:
        values = [one(part.strip()) for part in text.split(",") if part.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"give one value or more, comma-separated, got {text!r}")
        return values

    parse.__name__ = name
    return parse


def out_folder(text: str) -> Path:
    """A `type=` for `--out`: a folder that exists or can be made (not a file, nor under one, nor where
    nothing can be written, like /proc). Checked by making and removing a folder in its nearest existing
    ancestor, so a command fails on a bad --out before it runs, not when it first saves."""
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a file, and --out is a folder")
    ancestor = next(p for p in (path.absolute(), *path.absolute().parents) if p.exists())
    if not ancestor.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is under the file {ancestor}: pick a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".agent-rl-check-", dir=ancestor))
    except OSError as err:
        message = f"cannot make {path}: nothing can be written in {ancestor} ({err.strerror})"
        raise argparse.ArgumentTypeError(message) from None
    return path
