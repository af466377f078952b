"""Held-out sites: the bundled sites and their tasks built from another seed (other data, same templates)."""

from __future__ import annotations

import json

import pytest

from agent_rl.cli import main
from envs.web.bundled_tasks.build import build
from envs.web.tasks import BUNDLED_TASKS, bundled_oracles, bundled_raw
from evaluator.webarena.evaluators import string_match

HELD_OUT = 1


def _answers(oracles: dict[str, list[dict]]) -> dict[str, str]:
    return {task_id: actions[-1]["answer"] for task_id, actions in oracles.items()}


def test_seed_zero_is_the_published_file_and_seed_one_differs():
    assert bundled_raw(0) == json.loads(BUNDLED_TASKS.read_text())
    held_out = bundled_raw(HELD_OUT)
    assert [t["intent_template"] for t in held_out] == [t["intent_template"] for t in bundled_raw(0)]
    changed = [a for a, b in zip(bundled_raw(0), held_out, strict=True) if a["eval"] != b["eval"]]
    assert len(changed) >= len(held_out) // 2, "most tasks must have other answers on held-out sites"
    assert build(HELD_OUT) == build(HELD_OUT), "the same seed builds the same tasks"


def test_a_seed_zero_answer_fails_a_held_out_task_whose_data_differ():
    train, held_out = _answers(bundled_oracles(0)), _answers(bundled_oracles(HELD_OUT))
    checked = 0
    for task in bundled_raw(HELD_OUT):
        key = str(task["task_id"])
        refs = task["eval"]["reference_answers"] or {}
        if (
            task["eval"]["eval_types"] != ["string_match"]
            or "fuzzy_match" in refs
            or train[key] == held_out[key]
        ):
            continue
        assert string_match(task, held_out[key])[0] == 1.0, (key, task["intent"])
        assert string_match(task, train[key])[0] == 0.0, (key, task["intent"], train[key])
        checked += 1
    assert checked >= 20


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_every_oracle_scores_one_on_the_held_out_sites(tmp_path, oracle_failures):
    out = tmp_path / "heldout"
    args = ["eval", "webarena", "--bundled", "--site-seed", str(HELD_OUT), "--model", "oracle"]
    assert main([*args, "--out", str(out), "--parallel", "4", "--no-screenshots"]) == 0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == len(bundled_raw(HELD_OUT))
    failed = oracle_failures(rows)
    assert not failed, failed
