import json
import shutil

import pytest

from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.cli import main as cli_main
from agent_rl.core.types import Episode, Turn
from agent_rl.rollout.gp_eval import EvalSettings, evaluate_generalpoints, summarise

QUICK = ["--episodes", "4", "--max-attempts", "2", "--max-new-tokens", "8", "--no-progress"]


def test_summary_counts_success_by_attempt_and_recognition():
    def turn(attempt, reward, recognised=True):
        return Turn(
            [], "", reward, info={"attempt": attempt, "graded": True, "recognition_correct": recognised}
        )

    episodes = [
        Episode("a", {}, turns=[turn(1, 5.0)], success=True),
        Episode("b", {}, turns=[turn(1, -1.5, False), turn(2, 5.0)], success=True),
        Episode("c", {}, turns=[turn(1, -1.0), turn(2, -1.5, None), turn(3, -1.0)], truncated=True),
        Episode("d", {}, turns=[turn(1, -3.0)], error="ValueError: x"),
    ]
    result = summarise(episodes, EvalSettings(modality="vision", max_attempts=2), "m")
    assert result["success_rate"] == 0.5 and result["episodes"] == 4 and result["errors"] == 1
    assert result["solved_at_attempt"] == {"1": 0.25, "2": 0.25}
    assert result["success_within_attempts"] == {"1": 0.25, "2": 0.5}
    assert result["mean_reward"] == pytest.approx((5 + 3.5 - 3.5 - 3) / 4)
    assert result["recognition_accuracy"] == pytest.approx(5 / 7)  # b1 wrong, c2 unreadable
    assert result["first_attempt_recognition_accuracy"] == 0.75


@pytest.mark.e2e
def test_eval_command_writes_json_markdown_and_resumes(tiny_text_model, tmp_path, capsys):
    out = tmp_path / "id"
    argv = ["eval", "generalpoints", "--model", str(tiny_text_model), "--out", str(out), *QUICK]
    out.mkdir()
    (out / "settings.json").write_text('{"model": "other"}')  # no episodes to protect
    assert cli_main(argv) == 0
    result = json.loads((out / "summary.json").read_text())
    assert result["episodes"] == 4 and 0 <= result["success_rate"] <= 1
    low, high = result["success_rate_ci95"]
    assert low <= result["success_rate"] <= high
    assert set(result["solved_at_attempt"]) == {"1", "2"}
    assert result["settings"]["variant"] == "id" and result["settings"]["max_attempts"] == 2
    assert "recognition_accuracy" not in result
    assert "| success rate |" in (out / "summary.md").read_text()
    episodes = out / "episodes.jsonl"
    assert len(episodes.read_text().splitlines()) == 4

    assert cli_main(argv) == 0  # a rerun finds every episode done and redoes none
    assert len(episodes.read_text().splitlines()) == 4
    assert json.loads((out / "summary.json").read_text())["mean_reward"] == result["mean_reward"]

    assert cli_main([*argv, "--temperature", "0.5"]) == 2
    assert "other settings (temperature 0.0 -> 0.5)" in capsys.readouterr().err


@pytest.mark.e2e
def test_rule_ood_hands_hold_a_face_card_and_count_it_above_10(tiny_text_model, tmp_path):
    backend = TransformersBackend(tiny_text_model, device="cpu")
    result = evaluate_generalpoints(
        backend,
        out_dir=tmp_path,
        settings=EvalSettings(variant="rule_ood", episodes=3, max_attempts=1, max_new_tokens=4),
        progress=False,
    )
    assert result["episodes"] == 3 and result["settings"]["variant"] == "rule_ood"
    for line in (tmp_path / "episodes.jsonl").read_text().splitlines():
        task = json.loads(line)["task"]
        assert set(task["cards"]) & {"J", "Q", "K"} and max(task["numbers"]) > 10
    assert json.loads((tmp_path / "summary.json").read_text()) == result


@pytest.mark.e2e
def test_vision_eval_reports_recognition_accuracy(tiny_vlm, tmp_path):
    out = tmp_path / "vis"
    argv = [
        "eval",
        "generalpoints",
        "--model",
        str(tiny_vlm),
        "--modality",
        "vision",
        "--variant",
        "visual_ood",
    ]
    assert (
        cli_main([*argv, "--out", str(out), *QUICK[:2], "--max-attempts", "1", "--max-new-tokens", "4"]) == 0
    )
    result = json.loads((out / "summary.json").read_text())
    assert 0 <= result["recognition_accuracy"] <= 1 and result["settings"]["modality"] == "vision"


def test_text_model_with_vision_modality_is_refused_before_any_episode(tiny_text_model, tmp_path, capsys):
    out = tmp_path / "v"
    argv = ["eval", "generalpoints", "--model", str(tiny_text_model), "--out", str(out), *QUICK]
    assert cli_main([*argv, "--modality", "vision"]) == 2
    assert "takes no images" in capsys.readouterr().err
    assert not (out / "episodes.jsonl").exists()


@pytest.mark.e2e
def test_rerun_into_a_folder_with_other_settings_is_refused_naming_them(tiny_text_model, tmp_path, capsys):
    out = tmp_path / "id"
    quick = ["--episodes", "2", "--max-attempts", "1", "--max-new-tokens", "4", "--no-progress"]
    argv = ["eval", "generalpoints", "--out", str(out), *quick]
    assert cli_main([*argv, "--model", str(tiny_text_model)]) == 0
    settings, episodes = (out / "settings.json").read_text(), (out / "episodes.jsonl").read_text()
    capsys.readouterr()

    assert cli_main([*argv, "--model", str(tiny_text_model), "--seed", "5"]) == 2
    err = capsys.readouterr().err
    assert "started with other settings (seed 0 -> 5)" in err and len(err.splitlines()) == 1
    other = shutil.copytree(tiny_text_model, tmp_path / "another-model")
    assert cli_main([*argv, "--model", str(other)]) == 2
    assert f"model '{tiny_text_model}' -> '{other}'" in capsys.readouterr().err
    assert (out / "settings.json").read_text() == settings  # never rewritten under stored episodes
    assert (out / "episodes.jsonl").read_text() == episodes
