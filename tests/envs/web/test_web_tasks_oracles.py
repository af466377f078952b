"""Oracles of a sample of bundled tasks, run in a real browser against the bundled sites: 1 right, 0 wrong.

One task per kind of check (a must_include and an N/A answer, url_match with program_html behind a helper URL,
`document.` and helper locators, a multi-tab cross-site change). The web env's own tests run every task.
"""

from __future__ import annotations

import pytest

from envs.web.browser import CHROMIUM_ARGS, DEBIAN_CHROMIUM
from envs.web.oracles import oracle_actions, run_actions, wrong_actions
from envs.web.tasks import load_bundled_tasks


def _pick(tasks):
    def first(pred):
        return next(t for t in tasks if pred(t))

    def refs(t):
        return t.eval.reference_answers.model_dump(exclude_none=True) if t.eval.reference_answers else {}

    def locs(t):
        return [(tg.url, tg.locator) for tg in t.eval.program_html]

    return {
        "must_include": first(lambda t: "must_include" in refs(t) and t.sites == ["wikipedia"]),
        "n/a": first(lambda t: t.unachievable),
        "document": first(
            lambda t: any(loc.startswith("document.") for _, loc in locs(t)) and "reddit" in t.sites
        ),
        "helper_url": first(lambda t: any(url.startswith("func:") and not loc for url, loc in locs(t))),
        "helper_locator": first(lambda t: any(loc.startswith("func:shopping") for _, loc in locs(t))),
        "multi_tab_change": first(lambda t: len(t.start_urls) > 1 and t.require_reset),
    }


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=DEBIAN_CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _scores(browser, sites, auth_dir, task, actions, urls, other_answer=None) -> tuple[float, float | None]:
    """Score ACTIONS from the task's start pages; also score OTHER_ANSWER on the same final page."""
    from evaluator.webarena.evaluators import evaluate_task

    sites.reset()
    state = task.storage_state_path(auth_dir)
    context = browser.new_context(storage_state=str(state) if state else None)
    try:
        pages = []
        for url in task.start_urls:
            pages.append(context.new_page())
            pages[-1].goto(url)
        pages[0].bring_to_front()
        page, answer = run_actions(pages[0], actions)
        other = None if other_answer is None else evaluate_task(task, other_answer, page, urls=urls).score
        return evaluate_task(task, answer, page, urls=urls).score, other
    finally:
        context.close()
        sites.reset()


def test_sampled_oracles_score_one_and_wrong_solutions_zero(browser, bundled_sites, bundled_auth_dir):
    urls = bundled_sites.env_vars()
    sample = _pick(load_bundled_tasks(urls, env={}))
    for kind, task in sample.items():
        wrong = wrong_actions(task, urls)
        answer_only = task.eval.eval_types == ["string_match"] and kind != "n/a"  # same pages, other answer
        right, wrong_score = _scores(
            browser,
            bundled_sites,
            bundled_auth_dir,
            task,
            oracle_actions(task.task_id, urls),
            urls,
            wrong[-1]["answer"] if answer_only else None,
        )
        assert right == 1.0, (kind, task.task_id, task.intent)
        if not answer_only and kind != "n/a":  # a wrong reason for an N/A task needs the LLM judge
            wrong_score, _ = _scores(browser, bundled_sites, bundled_auth_dir, task, wrong, urls)
        if kind != "n/a":
            assert wrong_score == 0.0, (kind, task.task_id, task.intent)
