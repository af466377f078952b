"""The compare report: plot and tables from branch curves; branches must share their init checkpoint."""

import json

import pytest

from agent_rl.errors import UserError
from agent_rl.report.figures import (
    by_attempt_table,
    final_table,
    html_page,
    markdown_table,
    plot_success_vs_compute,
    verdicts,
)
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, compare


def point(flops, id_success, ood_success, recognition=0.5):
    results = {
        "id": {
            "success_rate": id_success,
            "recognition_accuracy": recognition,
            "mean_reward": -2.0 + 10 * id_success,
        },
        "rule_ood": {"success_rate": ood_success, "recognition_accuracy": recognition},
    }
    return {"flops": flops, "step": 0, "results": results}


CURVES = {
    "SFT": [point(0, 0.10, 0.05), point(1e9, 0.30, 0.02)],
    "RL": [point(0, 0.10, 0.05), point(3e9, 0.25, 0.08, recognition=0.75)],
}


def test_table_has_final_numbers_and_change_from_init():
    rows = final_table(CURVES, ["id", "rule_ood"], vision=True)
    assert rows[0] == ["metric", "init", "SFT (final, change)", "RL (final, change)"]
    assert rows[1][1:] == ["10.0", "30.0 (+20.0)", "25.0 (+15.0)"]
    assert rows[2][1:] == ["5.0", "2.0 (-3.0)", "8.0 (+3.0)"]
    assert rows[3][3] == "75.0 (+25.0)"  # recognition rows come with vision
    assert rows[5][1:] == ["-1.00", "1.00 (+2.0)", "0.50 (+1.5)"]  # ID mean reward
    assert rows[6][1] == "n/a"  # no reward given for rule-OOD here
    assert rows[-1] == ["training compute (FLOPs)", "0", "1e+09", "3e+09"]
    md = markdown_table(rows)
    assert md.splitlines()[1].count("---") == 4 and "30.0 (+20.0)" in md
    page = html_page("t", rows, "plot.png", ["a <note>"])
    assert "<td>30.0 (+20.0)</td>" in page and "&lt;note&gt;" in page


def test_plot_writes_one_panel_per_setting(tmp_path):
    out = plot_success_vs_compute(CURVES, ["id", "rule_ood"], tmp_path / "p.png")
    from PIL import Image

    width, height = Image.open(out).size
    assert width > 1.5 * height  # two panels side by side


def test_compare_refuses_branches_from_different_inits(tmp_path):
    for name, init in (("a", "model_a"), ("b", "model_b")):
        (tmp_path / init).mkdir()
        (tmp_path / f"{name}.json").write_text(
            json.dumps(
                {
                    "init": init,
                    "parameters": 1,
                    "checkpoints": [{"step": 1, "path": init, "flops": 1.0, "tokens": 1}],
                }
            )
        )
    stage = tmp_path / "compare"
    stage.mkdir()
    ctx = StageContext(
        tmp_path,
        stage,
        {"SFT": "a.json", "RL": "b.json"},
        MetricsLogger(stage),
        0,
        False,
        inputs=("SFT", "RL"),
    )
    with pytest.raises(UserError, match="different checkpoints"):
        compare.run(compare.Config(), ctx)


def rated(success, low, high, within=(0.1, 0.2)):
    return {
        "success_rate": success,
        "success_rate_ci95": [low, high],
        "success_within_attempts": {str(k + 1): w for k, w in enumerate(within)},
    }


def test_verdicts_count_a_move_only_beyond_both_intervals():
    init = {"flops": 0, "results": {"id": rated(0.10, 0.05, 0.15), "rule_ood": rated(0.02, 0.0, 0.06)}}
    curves = {
        "SFT": [
            init,
            {"flops": 1, "results": {"id": rated(0.02, 0.0, 0.04), "rule_ood": rated(0.0, 0.0, 0.03)}},
        ],
        "RL": [
            init,
            {"flops": 2, "results": {"id": rated(0.30, 0.22, 0.38), "rule_ood": rated(0.05, 0.02, 0.1)}},
        ],
    }
    lines = verdicts(curves, ["id", "rule_ood"])
    by_start = {line.split(":")[0]: line for line in lines}
    assert "up, beyond the intervals" in by_start["RL, in distribution"]
    assert "down, beyond the intervals" in by_start["SFT, in distribution"]
    assert "within noise" in by_start["RL, rule OOD (J/Q/K = 11/12/13)"]
    assert "10.0% (95% CI 5.0–15.0) at init" in by_start["RL, in distribution"]
    assert "higher, beyond the intervals" in by_start["RL against SFT, in distribution"]
    assert "within noise" in by_start["RL against SFT, rule OOD (J/Q/K = 11/12/13)"]


def test_by_attempt_table_shows_each_checkpoint_and_setting():
    init = {"flops": 0, "results": {"id": rated(0.2, 0, 1, within=(0.1, 0.2))}}
    curves = {"RL": [init, {"flops": 1, "results": {"id": rated(0.5, 0, 1, within=(0.3, 0.5))}}]}
    rows = by_attempt_table(curves, ["id"])
    assert rows == [
        ["checkpoint", "setting", "within 1", "within 2"],
        ["init", "in distribution", "10.0", "20.0"],
        ["RL", "in distribution", "30.0", "50.0"],
    ]
    page = html_page("t", rows, "p.png", [], ["RL moved"], {"By attempt": rows})
    assert "<h2>By attempt</h2>" in page and "<li>RL moved</li>" in page


def test_plot_adds_a_training_hands_panel_when_rl_logged_it(tmp_path):
    from PIL import Image

    plain = plot_success_vs_compute(CURVES, ["id"], tmp_path / "plain.png")
    logged = {"RL": [{"step": 8, "flops": 3e9, "train_success": 0.4, "train_temperature": 1.0}], "SFT": []}
    more = plot_success_vs_compute(CURVES, ["id"], tmp_path / "more.png", logged)
    assert Image.open(more).size[0] > 1.5 * Image.open(plain).size[0]
