"""`agent-rl eval judge` over real oracle and wrong-answer episodes on the bundled sites."""

import json

import pytest

from agent_rl.backends.openai_server import ModelServer
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.cli import main

pytestmark = pytest.mark.e2e
TASKS = "0,1,34"  # string_match tasks on the shop and the forum


def test_judge_agreement_against_rule_scores(tmp_path):
    for agent in ("oracle", "wrong"):
        argv = ["eval", "webarena", "--bundled", "--model", agent, "--task-ids", TASKS]
        assert main([*argv, "--out", str(tmp_path / agent), "--parallel", "2"]) == 0
    model = tmp_path / "vlm"
    assert main(["model", "tiny", "--out", str(model), "--vision"]) == 0
    out = tmp_path / "agreement"
    runs = ["--runs", str(tmp_path / "oracle"), str(tmp_path / "wrong")]
    with ModelServer(TransformersBackend(str(model)), model_name="judge") as server:  # the judge over HTTP
        argv = ["eval", "judge", "--model", "judge", "--backend", "openai", "--base-url", server.base_url]
        assert main([*argv, *runs, "--max-new-tokens", "8", "--out", str(out)]) == 0
    report = json.loads((out / "agreement.json").read_text())
    truth = sorted((v["task_id"], v["truth"]) for v in report["verdicts"])
    assert truth == sorted([(t, True) for t in (0, 1, 34)] + [(t, False) for t in (0, 1, 34)])
    assert report["n"] == 6
    # An untrained judge writes no verdict: every episode fails, so it is right on exactly the wrong ones.
    assert report["unparsable"] == 6
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["false_negative_rate"] == 1.0 and report["false_positive_rate"] == 0.0
    assert report["cohens_kappa"] == pytest.approx(0.0)
    # A scored text judge gives every episode a verdict, with its log-odds, and the best threshold here.
    text_model = tmp_path / "text"
    assert main(["model", "tiny", "--out", str(text_model)]) == 0
    scored = tmp_path / "scored"
    argv = ["eval", "judge", "--model", str(text_model), "--mode", "text", "--threshold=-1e9"]
    assert main([*argv, *runs, "--out", str(scored)]) == 0
    report = json.loads((scored / "agreement.json").read_text())
    assert report["unparsable"] == 0 and report["threshold"] == -1e9
    asked = [v for v in report["verdicts"] if v["confidence"] is not None]
    assert len(asked) == 6 and all(v["judge"] for v in asked)  # every answer clears a threshold that low
    assert report["false_negative_rate"] == 0.0 and report["best_threshold_here"]["accuracy"] >= 0.5
