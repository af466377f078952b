"""WebArena-Verified tasks, run through our env and scored by the `webarena-verified` package's own evaluators.

A Verified task (`webarena-verified.json`, its Hard subset, or any file in that format: `eval` is a list of
evaluators) becomes a `VerifiedTask` the runner treats like a WebArena task: its start URLs are filled with the
site URLs, it signs in (the Verified harness logs in to every site of a task; sites without a login flow stay
signed out), and a `mutate` task changes state, so it runs on its site's reset lane. The published task rides
along unfilled, for the scorer.

`score_verified` hands the package's `WebArenaVerifiedEvaluator` the task, the agent's final answer (the JSON
response `{"task_type", "status", "retrieved_data", "error_details"}` Verified asks for; the package parses
it) and the episode's network trace (the HAR `envs.web.network` records), with the sites' URLs as the
package's environments. It runs in this venv: with its pure-Python dependencies (the `verified` extra) the
package works on our pydantic (2.14, where it pins 2.12.0) and python-dateutil (4.0, where it pins 2.9).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agent_rl.errors import UserError
from envs.web.tasks import AND_SEP, fill_placeholders
from envs.web.urls import SITE_VARS

RESPONSE_FORMAT = (
    "When you are done, stop with a JSON object as your answer: "
    '{"task_type": "RETRIEVE" | "MUTATE" | "NAVIGATE", "status": "SUCCESS" | "NOT_FOUND_ERROR" | '
    '"ACTION_NOT_ALLOWED_ERROR" | "PERMISSION_DENIED_ERROR" | "DATA_VALIDATION_ERROR" | "UNKNOWN_ERROR", '
    '"retrieved_data": [the values asked for] or null, "error_details": null or why it failed}.'
)


class VerifiedEval(BaseModel):
    """What the runner reads of a task's evaluation: the names of its evaluators."""

    model_config = ConfigDict(extra="forbid")
    eval_types: list[str]


class VerifiedTask(BaseModel):
    """A WebArena-Verified task as the runner and `WebEnv` take it; `verified` is the task as published."""

    model_config = ConfigDict(extra="forbid")
    task_id: int
    sites: list[str]
    intent: str
    start_url: str
    eval: VerifiedEval
    verified: dict[str, Any]
    require_login: bool = True
    storage_state: str | None = None
    require_reset: bool = False
    geolocation: Any = None
    intent_template_id: int | None = None


def is_verified(raw: Mapping[str, Any]) -> bool:
    """Whether a task dict is in WebArena-Verified's format (its `eval` is a list of evaluators)."""
    return isinstance(raw.get("eval"), list) or "verified" in raw


def _package() -> Any:
    try:
        import webarena_verified.types.task as task_types
    except ImportError as err:
        raise UserError(
            "scoring WebArena-Verified tasks needs the webarena-verified package and its dependencies: "
            "`pip install -e '.[verified]'` then `pip install --no-deps webarena-verified==1.2.3` "
            "(scripts/setup.sh does both)"
        ) from err
    logging.getLogger("WebArena-Verified").setLevel(logging.CRITICAL)  # its errors come back in the result
    return task_types


def parse_verified(raw: dict[str, Any]) -> Any:
    """The package's own model of task RAW (a UserError naming the field when it is malformed)."""
    task_types = _package()
    try:
        return task_types.WebArenaVerifiedTask.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = first["msg"].split(" [type=")[0]  # a validator's own message, without pydantic's repr
        reason = f"{where}: {msg}" if where else msg
        raise UserError(
            f"task {raw.get('task_id', '?')} is not a valid WebArena-Verified task: {reason}"
        ) from None


def verified_task(
    raw: dict[str, Any], urls: Mapping[str, str], original: Mapping[str, Any] | None = None
) -> VerifiedTask:
    """Task RAW (Verified format, placeholders kept) ready to run on the sites at URLS.

    ORIGINAL, WebArena's config of the same task id, gives the storage-state file for `--login saved`.
    """
    task = parse_verified(raw)
    filled = fill_placeholders(raw, urls)  # a UserError names a site without a URL
    response = task.expected_agent_response
    return VerifiedTask(
        task_id=task.task_id,
        sites=list(raw["sites"]),
        intent=f"{task.intent}\n{RESPONSE_FORMAT}",
        start_url=AND_SEP.join(filled["start_urls"]),
        eval=VerifiedEval(eval_types=sorted({e["evaluator"] for e in raw["eval"]})),
        verified=raw,
        storage_state=(original or {}).get("storage_state"),
        require_reset=response.is_mutate,  # it changes its site: one at a time, after a reset
        intent_template_id=task.intent_template_id,
    )


@dataclass
class VerifiedResult:
    """The package's `TaskEvalResult` for one episode, as the env's scorers return it."""

    score: float
    result: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "evaluator": "webarena-verified", **self.result}


def _environments(sites: list[str], urls: Mapping[str, str]) -> dict[str, Any]:
    from webarena_verified.types.config import EnvironmentConfig

    missing = [SITE_VARS.get(s, s.upper()) for s in sites if SITE_VARS.get(s, s.upper()) not in urls]
    if missing:
        raise UserError(f"scoring needs the URL of {', '.join(missing)}: pass it as when the run was made")
    return {site: EnvironmentConfig(urls=[urls[SITE_VARS.get(site, site.upper())]]) for site in sites}


def trace_of(har: Mapping[str, Any] | None) -> Any:
    """The package's `NetworkTrace` of a HAR document (an empty trace when nothing was recorded)."""
    from webarena_verified.types.tracing import NetworkTrace

    entries = list(((har or {}).get("log") or {}).get("entries") or [])
    if not entries:  # the package refuses an empty list; a task with no network evaluator needs none
        return NetworkTrace.model_construct(is_playwright=False, src_file=Path("<no requests>"), events=())
    return NetworkTrace.from_content(entries)


def score_verified(
    task: Mapping[str, Any], answer: str | None, har: Mapping[str, Any] | None, urls: Mapping[str, str]
) -> VerifiedResult:
    """Score one episode of Verified TASK (a `VerifiedTask` dump) with the package's evaluators."""
    parsed = parse_verified(dict(task["verified"]))
    from webarena_verified.api.internal.evaluator import WebArenaVerifiedEvaluator
    from webarena_verified.types.config import WebArenaVerifiedConfig
    from webarena_verified.types.eval import TaskEvalContext

    config = WebArenaVerifiedConfig(environments=_environments(list(task["verified"]["sites"]), urls))
    context = TaskEvalContext(
        task=parsed, agent_response_raw=answer, network_trace=trace_of(har), config=config
    )
    # The context calling pattern scores any task in the format, not only the 812 of the package's file;
    # the reader is only used to look tasks up by id.
    evaluator = WebArenaVerifiedEvaluator(config=config, reader=None)  # type: ignore[arg-type]
    result = json.loads(evaluator.evaluate_task(context=context).model_dump_json())
    return VerifiedResult(float(result.get("score", 0.0)), result)


def read_har(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"network trace {path} is not readable JSON: {err}") from err


def load_verified_tasks(
    raws: list[dict[str, Any]],
    urls: Mapping[str, str],
    originals: Mapping[str, Mapping[str, Any]] | None = None,
    task_ids: list[str] | None = None,
) -> list[VerifiedTask]:
    """RAWS (Verified format) as runnable tasks; only TASK_IDS when given, so only their sites need URLs."""
    wanted = None if task_ids is None else set(task_ids)
    chosen = [r for r in raws if wanted is None or str(r.get("task_id")) in wanted]
    return [verified_task(r, urls, (originals or {}).get(str(r.get("task_id")))) for r in chosen]


def check_verified(raws: list[dict[str, Any]], urls: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """Per task, whether it is valid and why the package's evaluators cannot score it here (no reasons: they can).

    A task must parse as the package's model and name only evaluators the package has; with URLS given, each
    of its sites needs one.
    """
    _package()
    from webarena_verified.core.evaluation.evaluators import EVALUATOR_REGISTRY

    out = []
    for raw in raws:
        reasons, valid = [], True
        try:
            parse_verified(raw)
        except UserError as err:
            reasons.append(str(err))
            valid = False
        reasons += [
            f"unknown evaluator {e.get('evaluator')!r}"
            for e in raw.get("eval") or []
            if e.get("evaluator") not in EVALUATOR_REGISTRY
        ]
        if urls is not None:
            reasons += [
                f"no URL for site {s!r} (set {SITE_VARS.get(s, s.upper())})"
                for s in raw.get("sites", [])
                if SITE_VARS.get(s, s.upper()) not in urls
            ]
        out.append(
            {"task_id": raw.get("task_id"), "valid": valid, "scoreable": not reasons, "reasons": reasons}
        )
    return out
