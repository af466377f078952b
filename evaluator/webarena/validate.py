"""Can each task of a WebArena config be scored here? Per task: yes, or the reasons why not.

A task is scoreable when its evaluators are WebArena's, its references are there, every `func:` helper it
names is in the helper table, every locator has a form WebArena runs ('', `document.…`, `[...document.…`,
`func:…`), and (when site URLs are given) every site it uses, or a helper reads, has a URL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from envs.web.tasks import Task, validate_tasks
from envs.web.urls import SITE_VARS
from evaluator.webarena.evaluators import EVAL_TYPES, JS_LOCATOR_PREFIXES, URL_RULE, needs_judge
from evaluator.webarena.helpers import helper_name

# The site a helper reads, besides the page: WebArena's shopping helpers call Magento's REST API.
HELPER_SITES = {
    "shopping_get_latest_order_url": "SHOPPING",
    "shopping_get_sku_latest_review_author": "SHOPPING",
    "shopping_get_sku_latest_review_rating": "SHOPPING",
}


class TaskVerdict(BaseModel):
    task_id: int | str | None
    index: int
    scoreable: bool
    needs_judge: bool = False  # fuzzy_match / N/A: an LLM judge model gives WebArena's score
    reasons: list[str] = []


def _reasons(
    task: Task, helpers: Mapping[str, Callable[..., Any]], urls: Mapping[str, str] | None
) -> list[str]:
    ev = task.eval
    reasons = [f"unknown eval type {t!r}" for t in ev.eval_types if t not in EVAL_TYPES]
    if not ev.eval_types:
        reasons.append("no eval_types")
    refs = ev.reference_answers.model_dump(exclude_none=True) if ev.reference_answers else {}
    if "string_match" in ev.eval_types and not refs:
        reasons.append("string_match without reference_answers")
    if "url_match" in ev.eval_types:
        if not task.reference_urls:
            reasons.append("url_match without reference_url")
        if ev.url_note not in (None, URL_RULE):
            reasons.append(f"url_note {ev.url_note!r} (WebArena knows only {URL_RULE!r})")
    if "program_html" in ev.eval_types and not ev.program_html:
        reasons.append("program_html without targets")
    needed = {SITE_VARS.get(site, site.upper()) for site in task.sites}
    for target in ev.program_html:
        rc = target.required_contents
        if rc.exact_match is None and rc.must_include is None:
            reasons.append("program_html target without exact_match or must_include")
        locator = target.locator
        if locator.strip() and not locator.startswith((*JS_LOCATOR_PREFIXES, "func:")):
            reasons.append(f"locator {locator[:40]!r} is neither '', document.… nor func:…")
        for text in (target.url, locator):
            if not text.startswith("func"):
                continue
            name = helper_name(text)
            if name not in helpers:
                reasons.append(f"program_html helper {name!r} is not implemented")
            elif name in HELPER_SITES:
                needed.add(HELPER_SITES[name])
    if urls is not None:
        reasons += [
            f"no URL for {var} (set {var} or pass --{var.lower().replace('_', '-')})"
            for var in sorted(needed - set(urls))
        ]
    return reasons


def check_tasks(
    source: str | Path | list | dict,
    helpers: Mapping[str, Callable[..., Any]],
    urls: Mapping[str, str] | None = None,
) -> tuple[Any, list[TaskVerdict]]:
    """The parse report of SOURCE and one verdict per entry (malformed entries are not scoreable)."""
    report = validate_tasks(source)
    verdicts = [
        TaskVerdict(task_id=p.task_id, index=p.index, scoreable=False, reasons=[p.reason])
        for p in report.problems
        if p.kind == "invalid"
    ]
    invalid = {v.index for v in verdicts}
    parsed = iter(report.tasks)
    for index in range(len(report.tasks) + len(invalid)):
        if index in invalid:
            continue
        task = next(parsed)
        reasons = _reasons(task, helpers, urls)
        verdicts.append(
            TaskVerdict(
                task_id=task.task_id,
                index=index,
                scoreable=not reasons,
                needs_judge=needs_judge(task),
                reasons=reasons,
            )
        )
    return report, sorted(verdicts, key=lambda v: v.index)
