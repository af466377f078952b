"""The PAE report from stage artifacts: held-out success with Wilson intervals, judge agreement, task flow."""

import json

import pytest

from agent_rl.core.stats import wilson_interval
from agent_rl.core.types import Episode, Turn
from agent_rl.report.pae import pae_report
from agent_rl.rollout.store import EpisodeStore
from agent_rl.runlog import MetricsLogger


def _summary(run, stage, solved, tasks):
    """An evaluation's summary and its per-task rows: SOLVED, the task ids it solved out of range(TASKS)."""
    path = run / stage / "webarena" / "summary.json"
    path.parent.mkdir(parents=True)
    success = len(solved)
    path.write_text(json.dumps({"overall": {"tasks": tasks, "success": success, "rate": success / tasks}}))
    rows = [{"task_id": t, "success": t in solved, "score": float(t in solved)} for t in range(tasks)]
    (path.parent / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _judged(folder, cases):
    """CASES: (task id, judge verdict, rule score or None)."""
    store = EpisodeStore(folder)
    for i, (task_id, verdict, rule) in enumerate(cases):
        info = {} if rule is None else {"rule_score": rule}
        episode = Episode(f"e{i}", {"task_id": task_id}, turns=[Turn([], "stop [x]", info=info)])
        episode.success, episode.info["judge"] = verdict, {"success": verdict}
        store.append(episode)
    return folder


def _iteration(run, k, cases, meta, drawn, episodes, seconds):
    tasks = run / f"propose_{k}" / "tasks.json"
    tasks.parent.mkdir(parents=True)
    tasks.write_text(json.dumps([{"task_id": i} for i in range(len({c[0] for c in cases}))]))
    tasks.with_suffix(".meta.json").write_text(json.dumps({"report": meta}))
    MetricsLogger(run / f"rollout_{k}").log({"new_episodes": episodes, "seconds": seconds})
    MetricsLogger(run / f"fbc_{k}").log({"kept": drawn, "drawn": drawn, "drawn_judged": drawn - 1})
    return {
        "tasks": tasks,
        "judged": _judged(run / f"judge_{k}" / "episodes", cases),
        "rollout": run / f"rollout_{k}",
        "filtered_bc": run / f"fbc_{k}",
    }


def test_the_report_counts_what_the_stages_recorded(tmp_path):
    run = tmp_path
    evals = [
        _summary(run, "eval_0", {0, 1, 2, 3, 4, 5}, 16),
        _summary(run, "eval_1", {0, 1, 2, 3, 4, 6, 7}, 16),
    ]
    before = _summary(run, "eval_base", set(), 16)
    meta = {
        "shopping": {
            "parsed": 5,
            "unparsable": 1,
            "kept": 2,
            "duplicate": 2,
            "needs_login": 1,
            "topped_up": 2,
        },
        "reddit": {"parsed": 0, "unparsable": 3, "kept": 0, "topped_up": 4},
    }
    # judge vs rule: TP, FP, TN, FN, TP, and one proposed task without a rule score
    cases = [
        (0, True, 1.0),
        (1, True, 0.0),
        (2, False, 0.0),
        (3, False, 1.0),
        (4, True, 1.0),
        (5, True, None),
    ]
    it = _iteration(run, 1, cases, meta, drawn=4, episodes=6, seconds=120)
    report = pae_report(run, evals, [it], run / "report", before=before)

    assert [p["success"] for p in report["heldout"]] == [6, 7]
    assert report["heldout"][0]["wilson_low"] == pytest.approx(wilson_interval(6, 16)[0])
    # paired on the same tasks: 6 gained and none lost (p = 2/2^6), then 2 gained and 1 lost (p = 1)
    changes = [(c["gained"], c["lost"], c["mcnemar_p"]) for c in report["changes"]]
    assert changes == [(6, 0, pytest.approx(2 / 64)), (2, 1, pytest.approx(1.0))]
    assert report["before_warm_start"]["label"] == "eval_base" and report["before_warm_start"]["rate"] == 0
    pooled = report["judge"]["pooled"]
    assert (pooled["n"], pooled["true_positive"], pooled["false_positive"], pooled["false_negative"]) == (
        5,
        2,
        1,
        1,
    )
    assert pooled["false_positive_rate"] == pytest.approx(1 / 2) and pooled["accuracy"] == pytest.approx(
        3 / 5
    )
    flow = report["iterations"][0]
    assert flow["tasks"]["dropped"] == {
        "unparsable": 4,
        "duplicate": 2,
        "needs_login": 1,
        "time_or_location": 0,
    }
    assert (flow["tasks"]["kept"], flow["tasks"]["topped_up"]) == (2, 6)
    assert (flow["tasks"]["judged_successes"], flow["tasks"]["rule_successes"]) == (4, 3)
    assert flow["trained_on"] == 4 and flow["trained_on_judged"] == 3 and flow["episodes_per_minute"] == 3.0
    text = (run / "report" / "report.md").read_text()
    assert "| 0 | eval_0 | 6/16 (37.5%)" in text and "| before warm start | eval_base | 0/16" in text
    assert "eval_0 against eval_base: 0/16 -> 6/16 held-out tasks solved (6 gained, 0 lost" in text
    assert "p = 0.031, a change at the 5% level" in text and "p = 1.000, within noise" in text
    assert (
        "trained on 4 trajectories drawn from the replay buffer: 3 of the agent's own judged successes and 1 "
        in text
    )
    assert (
        "The judge passed 4 of its 6 episodes; of the 5 with a rule score, the rule evaluators passed 3"
        in text
    )
    assert (run / "report" / "heldout.png").stat().st_size > 1000
