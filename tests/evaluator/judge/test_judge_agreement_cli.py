"""`agent-rl judge agreement` over real oracle and wrong-answer episodes on the bundled sites."""

import json

import pytest

from agent_rl.cli import main

pytestmark = pytest.mark.e2e
TASKS = "0,1,34"  # string_match tasks on the shop and the forum


def test_judge_agreement_against_rule_scores(tmp_path):
    for agent in ("oracle", "wrong"):
        argv = ["webarena", "eval", "--bundled", "--agent", agent, "--task-ids", TASKS]
        assert main([*argv, "--out", str(tmp_path / agent), "--parallel", "2"]) == 0
    model = tmp_path / "vlm"
    assert main(["tiny-model", "--out", str(model), "--vision"]) == 0
    out = tmp_path / "agreement.json"
    argv = ["judge", "agreement", "--results", str(tmp_path / "oracle"), str(tmp_path / "wrong")]
    assert (
        main(
            [*argv, "--judge", str(model), "--backend", "served", "--max-new-tokens", "8", "--out", str(out)]
        )
        == 0
    )
    report = json.loads(out.read_text())
    truth = sorted((v["task_id"], v["truth"]) for v in report["verdicts"])
    assert truth == sorted([(t, True) for t in (0, 1, 34)] + [(t, False) for t in (0, 1, 34)])
    assert report["n"] == 6
    # An untrained judge writes no verdict: every episode fails, so it is right on exactly the wrong ones.
    assert report["unparsable"] == 6
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["false_negative_rate"] == 1.0 and report["false_positive_rate"] == 0.0
    assert report["cohens_kappa"] == pytest.approx(0.0)
