"""WebArena task configs: loading as published, placeholders, validation, the bundled tasks and their oracles."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agent_rl.errors import UserError
from envs.web.bundled_tasks import build as bundled_build
from envs.web.oracles import oracle_actions, wrong_actions
from envs.web.sites.helpers import HELPERS, call_helper, parse_call
from envs.web.tasks import BUNDLED_TASKS, load_bundled_tasks, load_tasks, validate_tasks

PUBLISHED = {  # the shape of an entry of WebArena's test.raw.json
    "sites": ["shopping"],
    "task_id": 7,
    "require_login": True,
    "storage_state": "./.auth/shopping_state.json",
    "start_url": "__SHOPPING__ |AND| __SHOPPING__/cart",
    "geolocation": None,
    "intent_template": "What is the price of {{product}}?",
    "instantiation_dict": {"product": "a kite"},
    "intent": "What is the price of a kite?",
    "require_reset": False,
    "eval": {
        "eval_types": ["string_match", "url_match"],
        "reference_answers": {"exact_match": 0},
        "reference_url": "__SHOPPING__/a |OR| __SHOPPING__/b",
        "program_html": [],
        "url_note": "GOLD in PRED",
        "string_note": "",
        "reference_answer_raw_annotation": "0",
    },
    "intent_template_id": 3,
}
URLS = {"SHOPPING": "http://shop.test:7770/"}


def test_loader_fills_placeholders_and_splits_tabs_and_alternatives(tmp_path):
    path = tmp_path / "test.raw.json"
    path.write_text(json.dumps([PUBLISHED]))
    (task,) = load_tasks(path, env={"SHOPPING": "http://shop.test:7770/"})
    assert task.start_urls == ["http://shop.test:7770", "http://shop.test:7770/cart"]
    assert task.reference_urls == ["http://shop.test:7770/a", "http://shop.test:7770/b"]
    assert task.eval.reference_answers.exact_match == "0"  # published numbers become strings
    assert task.storage_state_path(tmp_path).name == "shopping_state.json"
    (same,) = load_tasks(PUBLISHED, urls={"shopping": "http://shop.test:7770"}, env={})
    assert same.start_url == task.start_url


def test_missing_site_variable_is_a_clear_error():
    with pytest.raises(UserError, match="SHOPPING"):
        load_tasks([PUBLISHED], env={})
    gitlab = {**PUBLISHED, "sites": ["gitlab"], "start_url": "__GITLAB__/explore"}
    with pytest.raises(UserError, match="GITLAB"):
        load_tasks([gitlab], env={"SHOPPING": "http://x"})
    with pytest.raises(UserError, match="unknown site"):
        load_tasks([PUBLISHED], urls={"nowhere": "http://x"}, env={})


def test_malformed_files_are_user_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        validate_tasks(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(UserError, match="task object"):
        validate_tasks(bad)
    with pytest.raises(UserError, match="does not exist"):
        load_tasks(tmp_path / "missing.json")


def test_validate_names_each_task_it_cannot_handle():
    unknown_type = {
        **PUBLISHED,
        "task_id": 8,
        "eval": {**PUBLISHED["eval"], "eval_types": ["screenshot_match"]},
    }
    helper = {
        **PUBLISHED,
        "task_id": 9,
        "eval": {
            **PUBLISHED["eval"],
            "eval_types": ["program_html"],
            "program_html": [
                {"url": "last", "locator": "func:nope()", "required_contents": {"must_include": ["x"]}}
            ],
        },
    }
    gitlab = {**PUBLISHED, "task_id": 10, "sites": ["gitlab"]}
    no_intent = {k: v for k, v in PUBLISHED.items() if k != "intent"} | {"task_id": 11}
    report = validate_tasks(
        [PUBLISHED, unknown_type, helper, gitlab, no_intent, PUBLISHED], available_sites=["shopping"]
    )
    reasons = {(p.task_id, p.kind): p.reason for p in report.problems}
    assert "screenshot_match" in reasons[(8, "unsupported")]
    assert "'nope' is not implemented" in reasons[(9, "unsupported")]
    assert "GITLAB" in reasons[(10, "unsupported")]
    assert "intent" in reasons[(11, "invalid")]
    assert reasons[(7, "invalid")] == "duplicate task_id"
    assert len(report.tasks) == 4 and not report.ok
    assert report.by_site == Counter({"shopping": 3, "gitlab": 1})


def test_bundled_tasks_count_and_coverage():
    report = validate_tasks(
        BUNDLED_TASKS, available_sites=["shopping", "shopping_admin", "reddit", "wikipedia"]
    )
    assert report.ok, report.problems
    tasks = report.tasks
    assert len(tasks) >= 60
    kinds = Counter(
        k
        for t in tasks
        if t.eval.reference_answers
        for k, v in t.eval.reference_answers.model_dump(exclude_none=True).items()
    )
    assert {"exact_match", "must_include", "fuzzy_match"} <= set(kinds)
    assert sum(t.unachievable for t in tasks) >= 3
    assert {
        "string_match",
        "url_match",
        "program_html",
        "string_match+url_match",
        "program_html+url_match",
    } <= set(report.by_eval_type)
    locators = [tg.locator for t in tasks for tg in t.eval.program_html]
    assert "" in locators
    assert any(loc.startswith("document.") for loc in locators)
    assert any(loc.startswith("func:") for loc in locators)
    assert any(tg.url.startswith("func:") for t in tasks for tg in t.eval.program_html)
    assert any(t.require_login for t in tasks) and any(t.require_reset for t in tasks)
    assert sum(len(t.start_urls) > 1 for t in tasks) >= 2
    helpers = {
        parse_call(x)[0]
        for t in tasks
        for tg in t.eval.program_html
        for x in (tg.url, tg.locator)
        if x.startswith("func:")
    }
    assert helpers <= set(HELPERS)


def test_bundled_files_match_the_seed_data():
    """The committed JSON is what the builder makes from the sites' seed: tasks and sites cannot drift apart."""
    tasks, oracles = bundled_build.build()
    assert json.loads(BUNDLED_TASKS.read_text()) == tasks
    assert json.loads(bundled_build.ORACLES_FILE.read_text()) == oracles


def test_every_bundled_task_has_an_oracle_and_a_wrong_variant():
    urls = {
        "SHOPPING": "http://s",
        "SHOPPING_ADMIN": "http://s/admin",
        "REDDIT": "http://r",
        "WIKIPEDIA": "http://w",
        "HOMEPAGE": "http://h",
    }
    for task in load_bundled_tasks(urls, env={}):
        actions = oracle_actions(task.task_id, urls)
        assert actions[-1]["action"] == "stop"
        assert not any("__" in str(a.get("url", "")) for a in actions)
        wrong = wrong_actions(task, urls)
        assert wrong[-1]["action"] == "stop" and wrong != actions
    with pytest.raises(UserError, match="no oracle"):
        oracle_actions(10_000, urls)


def test_helper_calls_are_parsed_never_evaluated(bundled_sites):
    urls = bundled_sites.env_vars()
    assert parse_call("func:reddit_get_post_url('__last_url__')", "http://r/f/books/3/x") == (
        "reddit_get_post_url",
        ["http://r/f/books/3/x"],
    )
    assert (
        call_helper("func:reddit_get_post_url('__last_url__')", urls, "http://r/f/books/3/x")
        == "http://r/f/books/3"
    )
    assert call_helper("func:shopping_get_latest_order_url()", urls).startswith(urls["SHOPPING"] + "/orders/")
    app = bundled_sites.app("shop")
    latest = app.one("SELECT author FROM reviews WHERE sku = 'SP-1007' ORDER BY created DESC, id DESC")[
        "author"
    ]
    assert call_helper("func:shopping_get_sku_latest_review_author('SP-1007')", urls) == latest
    for evil in ["func:shopping_get_latest_order_url(__import__('os').getcwd())", "func:os.system('true')"]:
        with pytest.raises(UserError):
            call_helper(evil, urls)
