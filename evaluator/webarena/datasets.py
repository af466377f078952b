"""The task sets the `webarena-verified` package ships: WebArena's original `test.raw.json`, the audited
WebArena-Verified release and its Hard subset.

The files are read from the installed package without importing it, so listing and counting tasks needs only
`pip install --no-deps webarena-verified`. The original tasks are scored by our WebArena evaluators; the
Verified tasks by the package's own evaluators (`evaluator.webarena.verified`, which needs the `verified`
extra: the package's pure-Python dependencies).
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

from agent_rl.errors import UserError

PACKAGE = "webarena_verified"
FILES = {
    "original": "test.raw.json",
    "verified": "webarena-verified.json",
    "verified-hard": "webarna-verfied-hard.json",  # the package's own spelling
}


def dataset_file(name: str) -> Path:
    """The task file of dataset NAME inside the installed `webarena-verified` package."""
    if name not in FILES:
        raise UserError(f"unknown dataset {name!r}; use one of {', '.join(FILES)}")
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            f"dataset {name!r} ships with the webarena-verified package: `pip install --no-deps webarena-verified`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "dataset" / FILES[name]
    if not path.is_file():
        raise UserError(f"{path} is missing from the installed webarena-verified package")
    return path


def read_verified(name: str) -> list[dict[str, Any]]:
    data = json.loads(dataset_file(name).read_text())
    if not isinstance(data, list) or not all(
        isinstance(t, dict) and isinstance(t.get("eval"), list) for t in data
    ):
        raise UserError(f"{dataset_file(name)} is not in the WebArena-Verified task format")
    return data


def verified_counts(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """Tasks by site and by evaluator, and the expected actions and statuses of the agent responses."""
    response = [
        e.get("expected") or {}
        for t in tasks
        for e in t.get("eval") or []
        if isinstance(e, dict) and e.get("evaluator") == "AgentResponseEvaluator"
    ]
    return {
        "tasks": len(tasks),
        "by_site": dict(Counter("+".join(sorted(t.get("sites", []))) for t in tasks)),
        "by_evaluator": dict(Counter(e.get("evaluator") for t in tasks for e in t.get("eval") or [])),
        "by_action": dict(Counter(r.get("task_type") for r in response)),
        "by_status": dict(Counter(r.get("status") for r in response)),
    }
