"""WebArena task configs: load them as published (`test.raw.json`), fill the site placeholders, validate.

A config file holds one task object or a list of them (a folder of `N.json` files works too). Strings may hold
placeholders such as `__SHOPPING__`; `load_tasks` replaces each with the URL of its site, taken from an explicit
mapping (`{"SHOPPING": url}` or `{"shopping": url}`) or else from the environment variable of the same name.
A task whose placeholder or site has no URL is an error that names the variable.

`validate_tasks` reads a file without needing any URL and reports, per task, what this project cannot handle
(an unknown eval type, an unknown `func:` helper, a site without a URL, a malformed entry).
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent_rl.errors import UserError
from envs.web.urls import PLACEHOLDERS, SITE_VARS, site_urls

_PLACEHOLDER_RE = re.compile("|".join(sorted(map(re.escape, PLACEHOLDERS), key=len, reverse=True)))
EVAL_TYPES = ("string_match", "url_match", "program_html")
AND_SEP = " |AND| "
OR_SEP = " |OR| "
BUNDLED_DIR = Path(__file__).parent / "bundled_tasks"
BUNDLED_TASKS = BUNDLED_DIR / "bundled.raw.json"


def _as_text(value: Any) -> Any:
    """Published configs sometimes hold numbers where strings are meant (e.g. an exact_match of 0)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    return value


class ReferenceAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exact_match: str | None = None
    must_include: list[str] | None = None
    fuzzy_match: list[str] | str | None = None  # "N/A" marks an unachievable task

    _text = field_validator("exact_match", "must_include", "fuzzy_match", mode="before")(_as_text)


class RequiredContents(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exact_match: str | None = None
    must_include: list[str] | None = None  # an entry may list alternatives joined by " |OR| "

    _text = field_validator("exact_match", "must_include", mode="before")(_as_text)


class ProgramHtmlTarget(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str  # a URL, "last" (the final page) or "func:helper(...)"
    locator: str = ""  # "" (whole page), "document.…" (JavaScript) or "func:helper(...)"
    required_contents: RequiredContents


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="allow")
    eval_types: list[str]
    reference_answers: ReferenceAnswers | None = None
    reference_url: str | None = None
    program_html: list[ProgramHtmlTarget] = Field(default_factory=list)
    url_note: str | None = None
    string_note: str | None = None
    reference_answer_raw_annotation: str | None = None


class Task(BaseModel):
    """One WebArena task. Unknown extra fields are kept."""

    model_config = ConfigDict(extra="allow")
    task_id: int | str
    sites: list[str]
    intent: str
    start_url: str
    eval: EvalConfig
    require_login: bool = False
    storage_state: str | None = None
    geolocation: Any = None
    require_reset: bool = False
    intent_template: str = ""
    intent_template_id: int | None = None
    instantiation_dict: dict[str, Any] = Field(default_factory=dict)

    @property
    def start_urls(self) -> list[str]:
        """One URL per tab to open (WebArena joins several with " |AND| ")."""
        return [u.strip() for u in self.start_url.split(AND_SEP.strip()) if u.strip()]

    @property
    def reference_urls(self) -> list[str]:
        """The accepted final URLs of a url_match task (alternatives joined by " |OR| ")."""
        return [u.strip() for u in (self.eval.reference_url or "").split(OR_SEP.strip()) if u.strip()]

    @property
    def unachievable(self) -> bool:
        ref = self.eval.reference_answers
        return ref is not None and ref.fuzzy_match == "N/A"

    def storage_state_path(self, auth_dir: str | Path | None = None) -> Path | None:
        """The storage-state file to sign in with; WebArena writes `./.auth/x_state.json`, looked up in AUTH_DIR."""
        if not self.storage_state:
            return None
        path = Path(self.storage_state)
        return Path(auth_dir) / path.name if auth_dir is not None else path


class TaskProblem(BaseModel):
    task_id: int | str | None
    index: int  # position in the file
    kind: str  # "invalid" (malformed entry) or "unsupported" (well-formed, but we cannot run or score it)
    reason: str


class ValidationReport(BaseModel):
    path: str
    tasks: list[Task]
    problems: list[TaskProblem]

    @property
    def by_site(self) -> Counter:
        return Counter("+".join(sorted(t.sites)) for t in self.tasks)

    @property
    def by_eval_type(self) -> Counter:
        return Counter("+".join(sorted(t.eval.eval_types)) for t in self.tasks)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_raw(source: str | Path | list | dict) -> list[dict]:
    """The task dicts of a config file (a list or one task), a folder of such files, or given data."""
    if isinstance(source, dict):
        return [source]
    if isinstance(source, list):
        data: Any = source
    else:
        path = Path(source)
        if path.is_dir():
            files = sorted(path.glob("*.json"), key=lambda p: (len(p.stem), p.stem))
            if not files:
                raise UserError(f"{path} holds no .json task configs")
            return [task for f in files for task in read_raw(f)]
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as err:
            raise UserError(f"task config {path} does not exist") from err
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise UserError(f"task config {path} is not valid JSON: {err}") from err
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise UserError(f"task config {source} must hold a task object or a list of task objects")
    return data


def _fill(value: Any, urls: Mapping[str, str], missing: set[str]) -> Any:
    if isinstance(value, str):

        def sub(match: re.Match) -> str:
            var = PLACEHOLDERS[match.group(0)]
            if var not in urls:
                missing.add(var)
                return match.group(0)
            return urls[var]

        return _PLACEHOLDER_RE.sub(sub, value)
    if isinstance(value, list):
        return [_fill(v, urls, missing) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, urls, missing) for k, v in value.items()}
    return value


def fill_placeholders(raw: dict, urls: Mapping[str, str]) -> dict:
    """A copy of task dict RAW with every `__SITE__` placeholder replaced; a missing URL raises UserError."""
    missing: set[str] = set()
    filled = _fill(raw, urls, missing)
    missing |= {SITE_VARS[s] for s in raw.get("sites", []) if s in SITE_VARS and SITE_VARS[s] not in urls}
    if missing:
        names = ", ".join(sorted(missing))
        raise UserError(
            f"task {raw.get('task_id')} needs the URL of its site: set the environment variable(s) {names} "
            "(e.g. SHOPPING=http://localhost:7770), or start the bundled sites with `agent-rl sites serve`"
        )
    return filled


def parse_task(raw: dict) -> Task:
    try:
        return Task.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"task {raw.get('task_id', '?')}: {where}: {first['msg']}") from err


def load_tasks(
    source: str | Path | list | dict,
    urls: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    task_ids: Iterable[int | str] | None = None,
) -> list[Task]:
    """Validated tasks of SOURCE with their placeholders filled (see `site_urls` for where URLs come from)."""
    known = site_urls(urls, env)
    wanted = None if task_ids is None else {str(t) for t in task_ids}
    raws = [r for r in read_raw(source) if wanted is None or str(r.get("task_id")) in wanted]
    return [parse_task(fill_placeholders(r, known)) for r in raws]


@cache
def _built(seed: int) -> tuple[list[dict], dict[str, list[dict]]]:
    from envs.web.bundled_tasks.build import build

    return build(seed)


def bundled_raw(seed: int = 0) -> list[dict]:
    """The bundled task configs (placeholders unfilled) for the sites built from SEED.

    Seed 0 is the published file, `bundled_tasks/bundled.raw.json`; other seeds are the same templates
    instantiated from that seed's data (held-out sites: other products, posts, articles and answers).
    """
    return json.loads(BUNDLED_TASKS.read_text()) if seed == 0 else copy.deepcopy(_built(seed)[0])


def bundled_oracles(seed: int = 0) -> dict[str, list[dict]]:
    """{task id: oracle actions} of the bundled tasks at SEED (seed 0: `bundled_tasks/oracles.json`)."""
    if seed == 0:
        return json.loads((BUNDLED_DIR / "oracles.json").read_text())
    return copy.deepcopy(_built(seed)[1])


def load_bundled_tasks(
    urls: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None, seed: int = 0
) -> list[Task]:
    """The tasks for the bundled sites built from SEED (see `bundled_raw`), filled with URLS."""
    return load_tasks(bundled_raw(seed), urls, env)


def _unsupported(task: Task, available: set[str] | None) -> list[str]:
    from envs.web.sites.helpers import HELPERS, helper_name

    reasons = [f"unknown eval type {t!r}" for t in task.eval.eval_types if t not in EVAL_TYPES]
    if not task.eval.eval_types:
        reasons.append("no eval_types")
    ev = task.eval
    if "string_match" in ev.eval_types and (
        ev.reference_answers is None or not any(ev.reference_answers.model_dump(exclude_none=True).values())
    ):
        reasons.append("string_match without reference_answers")
    if "url_match" in ev.eval_types and not task.reference_urls:
        reasons.append("url_match without reference_url")
    if "program_html" in ev.eval_types and not ev.program_html:
        reasons.append("program_html without targets")
    for target in ev.program_html:
        rc = target.required_contents
        if rc.exact_match is None and not rc.must_include:
            reasons.append("program_html target without exact_match or must_include")
        for text in (target.url, target.locator):
            if text.startswith("func:") and helper_name(text) not in HELPERS:
                reasons.append(f"program_html helper {helper_name(text)!r} is not implemented")
    if available is not None:
        reasons += [
            f"site {s!r} has no URL (set {SITE_VARS.get(s, s.upper())})"
            for s in task.sites
            if s not in available
        ]
    return reasons


def validate_tasks(
    source: str | Path | list | dict, available_sites: Iterable[str] | None = None
) -> ValidationReport:
    """Parse every task of SOURCE (placeholders left as they are) and list the ones we cannot handle.

    A file that is not JSON or not a list of objects raises UserError. AVAILABLE_SITES (site names such as
    "shopping") adds a problem for each task on a site outside it; None skips that check.
    """
    available = None if available_sites is None else set(available_sites)
    tasks: list[Task] = []
    problems: list[TaskProblem] = []
    seen: set[str] = set()
    for index, raw in enumerate(read_raw(source)):
        task_id = raw.get("task_id")
        try:
            task = Task.model_validate(raw)
        except ValidationError as err:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:3])
            problems.append(TaskProblem(task_id=task_id, index=index, kind="invalid", reason=reason))
            continue
        if str(task.task_id) in seen:
            problems.append(
                TaskProblem(task_id=task_id, index=index, kind="invalid", reason="duplicate task_id")
            )
            continue
        seen.add(str(task.task_id))
        tasks.append(task)
        for reason in _unsupported(task, available):
            problems.append(TaskProblem(task_id=task.task_id, index=index, kind="unsupported", reason=reason))
    return ValidationReport(
        path=str(source) if isinstance(source, str | Path) else "<data>", tasks=tasks, problems=problems
    )
