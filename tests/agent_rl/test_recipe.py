"""Recipe validation (one clear message naming the field) and the stage runner (state, resume)."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agent_rl.errors import UserError
from agent_rl.recipe import apply_overrides, load_recipe

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def base() -> dict:
    return {
        "name": "t",
        "seed": 1,
        "model": "tiny",
        "stages": [
            {"name": "sft", "type": "sft", "inputs": {"model": "model"}, "sft": {"max_steps": 2}},
            {"name": "rl", "type": "rl", "inputs": {"model": "sft.checkpoint"}, "rl": {"lr": 1e-5}},
        ],
    }


def error_of(tmp_path, data, overrides=None) -> str:
    with pytest.raises(UserError) as info:
        load_recipe(write(tmp_path, data), overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_valid_recipe_loads(tmp_path):
    recipe = load_recipe(write(tmp_path, base()))
    assert [s.name for s in recipe.stages] == ["sft", "rl"]


def test_wrong_type_names_the_field(tmp_path):
    data = base()
    data["stages"][1]["rl"]["lr"] = "fast"
    assert "stages[1].rl.lr: Input should be a valid number" in error_of(tmp_path, data)


def test_unknown_key_in_stage_settings(tmp_path):
    data = base()
    data["stages"][0]["sft"]["epoks"] = 3
    assert "stages[0].sft.epoks: Extra inputs are not permitted" in error_of(tmp_path, data)


def test_unknown_top_level_key_and_stage_section(tmp_path):
    data = base()
    data["sedd"] = 3
    assert "sedd: Extra inputs are not permitted" in error_of(tmp_path, data)
    data = base()
    data["stages"][0]["rl"] = {}
    assert "stages[0]" in error_of(tmp_path, data) and "unknown key 'rl'" in error_of(tmp_path, data)


def test_unknown_stage_type_and_bad_wiring(tmp_path):
    data = base()
    data["stages"][1]["type"] = "rlhf"
    assert "stages[1].type: unknown stage type 'rlhf'" in error_of(tmp_path, data)
    data = base()
    data["stages"][1]["inputs"] = {"model": "nope.checkpoint"}
    assert "does not name an earlier stage" in error_of(tmp_path, data)


def test_missing_files(tmp_path):
    data = base()
    data["model"] = "./no/such/model"
    assert "model: model folder './no/such/model' does not exist" in error_of(tmp_path, data)
    with pytest.raises(UserError, match="not found"):
        load_recipe(tmp_path / "absent.yaml")


def test_overrides_address_stages_by_name(tmp_path):
    data = apply_overrides(base(), ["seed=7", "stages.rl.rl.lr=0.5", "stages.0.sft.max_steps=9"])
    assert (
        data["seed"] == 7
        and data["stages"][1]["rl"]["lr"] == 0.5
        and data["stages"][0]["sft"]["max_steps"] == 9
    )
    assert "stages[1].rl.lr" in error_of(tmp_path, base(), ["stages.rl.rl.lr=abc"])


def test_every_shipped_recipe_validates():
    recipes = sorted((ROOT / "recipes").glob("*.yaml"))
    assert recipes, "recipes/ is empty"
    for path in recipes:
        load_recipe(path)


def test_cli_prints_one_line_and_exits_2(tmp_path):
    data = base()
    data["stages"][1]["rl"]["lr"] = "fast"
    done = subprocess.run(
        [sys.executable, "-m", "agent_rl.cli", "run", str(write(tmp_path, data))],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("agent-rl run: error:")
    assert "stages[1].rl.lr" in done.stderr


@pytest.mark.e2e
def test_resume_after_a_kill_skips_finished_stages(tmp_path):
    """Kill `agent-rl run` during the RL stage; `--resume` keeps the SFT stage and RL's first checkpoint."""
    import json
    import os
    import signal
    import time

    data = {
        "name": "resume",
        "seed": 0,
        "model": "tiny",
        "tiny": {"hidden_size": 64, "layers": 1},
        "stages": [
            {
                "name": "sft",
                "type": "sft",
                "inputs": {"model": "model"},
                "sft": {"max_steps": 3, "batch_size": 2, "lr": 1e-3, "data": {"hands": 8}},
            },
            {
                "name": "rl",
                "type": "rl",
                "inputs": {"model": "sft.checkpoint"},
                "rl": {
                    "iterations": 30,
                    "hands_per_iter": 2,
                    "group_size": 2,
                    "max_new_tokens": 8,
                    "save_every": 1,
                    "env": {"max_attempts": 1},
                    "epochs": 1,
                },
            },
        ],
    }
    recipe, run_dir = write(tmp_path, data), tmp_path / "run"
    command = [sys.executable, "-m", "agent_rl.cli", "run", str(recipe), "--out", str(run_dir)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 240
    while not (run_dir / "rl" / "checkpoint-1" / "trainer_state.json").exists():
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.time() < deadline, "RL never saved its first checkpoint"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    state = json.loads((run_dir / "state.json").read_text())
    assert list(state["finished"]) == ["sft"]
    sft_mtime = (run_dir / "sft" / "final" / "model.safetensors").stat().st_mtime
    episodes_before = (run_dir / "rl" / "episodes" / "iter-0000" / "episodes.jsonl").read_text()

    done = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    state = json.loads((run_dir / "state.json").read_text())
    assert list(state["finished"]) == ["sft", "rl"]
    assert (run_dir / "sft" / "final" / "model.safetensors").stat().st_mtime == sft_mtime
    log = (run_dir / "run.log").read_text()
    assert "stage sft (sft): already finished, skipping" in log
    assert "resuming RL from" in log
    assert (run_dir / "rl" / "episodes" / "iter-0000" / "episodes.jsonl").read_text() == episodes_before
    iterations = [
        json.loads(line)["iteration"] for line in (run_dir / "rl" / "metrics.jsonl").read_text().splitlines()
    ]
    assert iterations[-1] == 30 and iterations.count(1) == 1


@pytest.mark.parametrize("saved_state", [True, False], ids=["state saved", "killed before any state"])
def test_resume_with_other_settings_is_refused_naming_them_and_keeps_the_resolved_config(
    tmp_path, saved_state
):
    from agent_rl.recipe import run_recipe

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    started = load_recipe(write(tmp_path, base()))
    (run_dir / "config.resolved.yaml").write_text(yaml.safe_dump(started.model_dump(), sort_keys=False))
    if saved_state:
        (run_dir / "state.json").write_text('{"finished": {}, "artifacts": {}}')
    before = (run_dir / "config.resolved.yaml").read_text()
    changed = load_recipe(write(tmp_path, base()), ["seed=5", "stages.rl.rl.lr=0.001"])
    with pytest.raises(UserError, match=r"other settings \(seed 1 -> 5, stages\.1\.rl\.lr 1e-05 -> 0\.001\)"):
        run_recipe(changed, run_dir, resume=True)
    assert (run_dir / "config.resolved.yaml").read_text() == before
