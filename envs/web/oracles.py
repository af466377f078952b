"""Scripted oracle solutions of the bundled tasks, as WebArena actions on element descriptions.

An oracle is a list of action dicts (for site seed 0 stored in `bundled_tasks/oracles.json`, for other seeds
built in memory; authored with the tasks in `bundled_tasks/build.py`). Elements are named by ARIA role and accessible name, exactly as Playwright's
`page.get_by_role(role, name=name, exact=True)` finds them; when several match, the first in document order is
meant (the one with the lowest id in a WebArena accessibility tree). Actions:

    {"action": "goto", "url": "__SHOPPING__/cart"}                # placeholders as in task configs
    {"action": "click", "role": "link", "name": "My Orders"}      # links, buttons, radios
    {"action": "type", "role": "textbox", "name": "Price", "text": "49.99", "enter": false}
                                                                 # replaces the field's text; enter presses Enter
    {"action": "tab_focus", "index": 1}                           # 0-based, tabs in start_url order
    {"action": "stop", "answer": "..."}                           # always last; "" for tasks without an answer

`oracle_actions(task_id, urls, seed)` returns the filled list, `wrong_actions(task, urls, seed)` a variant that must score 0
(a wrong answer, or stopping at once without changing anything), and `run_actions(page, actions)` executes them
with sync Playwright and returns the final answer. Tasks with `require_reset` must start on freshly reset sites.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from agent_rl.errors import UserError
from envs.web.tasks import Task, bundled_oracles, fill_placeholders
from envs.web.urls import site_urls

WRONG_ANSWER = "I could not find this"


@cache
def _raw_oracles(seed: int) -> dict[str, list[dict[str, Any]]]:
    return bundled_oracles(seed)


def oracle_actions(
    task_id: int | str, urls: Mapping[str, str] | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """The oracle of bundled task TASK_ID on the sites built from SEED, with site placeholders filled from
    URLS (or the environment)."""
    oracles = _raw_oracles(seed)
    raw = oracles.get(str(task_id))
    if raw is None:
        raise UserError(f"bundled task {task_id} has no oracle; known ids: 0..{len(oracles) - 1}")
    return fill_placeholders({"task_id": task_id, "actions": raw}, site_urls(urls))["actions"]


def wrong_actions(task: Task, urls: Mapping[str, str] | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """A solution that must score 0: string tasks answer wrongly; others stop at once, changing nothing."""
    if "string_match" in task.eval.eval_types:
        return [*oracle_actions(task.task_id, urls, seed)[:-1], {"action": "stop", "answer": WRONG_ANSWER}]
    return [{"action": "stop", "answer": ""}]


def run_actions(page: Any, actions: list[dict[str, Any]], timeout_ms: float = 10_000) -> tuple[Any, str]:
    """Execute ACTIONS with sync Playwright from PAGE; returns (the page in front at the end, the answer)."""
    for step in actions:
        kind = step["action"]
        if kind == "stop":
            return page, str(step.get("answer", ""))
        if kind == "goto":
            page.goto(step["url"], wait_until="load", timeout=timeout_ms)
        elif kind == "tab_focus":
            page = page.context.pages[step["index"]]
            page.bring_to_front()
        elif kind in ("click", "type"):
            element = page.get_by_role(step["role"], name=step["name"], exact=True).first
            if kind == "type":
                element.fill(step["text"], timeout=timeout_ms)
                if step.get("enter"):
                    with page.expect_navigation(wait_until="load", timeout=timeout_ms):
                        element.press("Enter")
            elif step["role"] in ("link", "button"):
                with page.expect_navigation(wait_until="load", timeout=timeout_ms):
                    element.click(timeout=timeout_ms)
            else:
                element.click(timeout=timeout_ms)
        else:
            raise UserError(f"unknown oracle action {kind!r}")
    raise UserError("an oracle must end with a stop action")
