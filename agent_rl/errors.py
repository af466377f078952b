"""Errors a user can act on. The CLI prints them as one line, never as a traceback."""

from __future__ import annotations

import argparse
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class UserError(Exception):
    """Bad input from the user (argument, path, recipe, site). The message says what to do."""


def describe(err: ValidationError, prefix: str = "", option: bool = False) -> str:
    """The first problem of a validation error as one line, `where: message (and N more)`; `where` is the
    field path (`stages[1].rl.iterations`), or the command-line option (`--max-steps`) when `option`."""
    first = err.errors()[0]
    where = prefix
    for part in first["loc"]:
        if option:
            where = where or f"--{str(part).replace('_', '-')}"
        else:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = first["msg"].removeprefix("Value error, ")
    if "input" in first and first["type"] not in ("value_error", "missing"):
        message += f", got {repr(first['input'])[:60]}"
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def options_model(model: type[Model], args: argparse.Namespace | dict[str, Any]) -> Model:
    """`model` from the options of a parsed command line (its fields named as the options); a bad value is a
    UserError naming the option, raised before the command does anything."""
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    try:
        return model.model_validate({name: values[name] for name in model.model_fields if name in values})
    except ValidationError as err:
        raise UserError(describe(err, option=True)) from None
