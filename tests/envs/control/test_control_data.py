"""Local OGBench dataset generation and loading: the official file format, relabelling, and resume."""

import numpy as np
import pytest

import envs.control.generate as gen
from agent_rl.errors import UserError
from envs.control.datasets import ACTION_CLIP, load_datasets
from envs.control.generate import GenConfig, generate
from envs.control.ogbench_envs import DatasetName

CFG = dict(dataset="cube-single-play-v0", episodes=10, episode_steps=20, chunk_episodes=4, seed=3)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("ogdata")
    return generate(GenConfig(**CFG), out, progress=False)


def test_files_have_the_official_keys_dtypes_and_shapes(generated):
    train_path, val_path = generated
    assert train_path.name == "cube-single-play-v0.npz" and val_path.name == "cube-single-play-v0-val.npz"
    train, val = np.load(train_path), np.load(val_path)
    assert sorted(train.files) == ["actions", "observations", "qpos", "qvel", "terminals"]
    assert train["observations"].shape == (200, 28) and train["observations"].dtype == np.float32
    assert train["actions"].shape == (200, 5) and train["actions"].dtype == np.float32
    assert train["terminals"].dtype == bool and train["qpos"].shape == (200, 21)
    assert val["observations"].shape == (20, 28)  # episodes // 10 validation episodes
    # terminals mark the last step of each episode, as in OGBench's files
    assert np.flatnonzero(train["terminals"]).tolist() == [19 + 20 * i for i in range(10)]
    assert np.abs(train["actions"]).max() <= 1.0 and np.abs(train["actions"]).max() > 0.05


def test_loader_matches_ogbench_and_relabels_single_task_rewards(generated):
    import ogbench

    train_path, _ = generated
    train, val = load_datasets("cube-single-play-v0", train_path, task=2)
    _, ref_train, ref_val = ogbench.make_env_and_datasets(
        "cube-single-play-singletask-task2-v0", dataset_path=str(train_path)
    )
    assert (
        sorted(train)
        == sorted(ref_train)
        == ["actions", "masks", "next_observations", "observations", "rewards", "terminals"]
    )
    for key in ("observations", "next_observations", "terminals", "rewards", "masks"):
        np.testing.assert_array_equal(train[key], ref_train[key])
    np.testing.assert_array_equal(train["actions"], np.clip(ref_train["actions"], -ACTION_CLIP, ACTION_CLIP))
    assert len(val["observations"]) == len(ref_val["observations"]) == 19
    # next_observations shift within an episode: 19 transitions per 20-step episode
    assert len(train["observations"]) == 190
    raw = np.load(train_path)["observations"]
    np.testing.assert_array_equal(train["next_observations"][0], raw[1])
    np.testing.assert_array_equal(train["observations"][19], raw[20])  # the second episode starts fresh
    assert train["terminals"][18] == 1.0 and train["terminals"][:18].sum() == 0
    # cube-single has one subtask: reward is 0 or -1 and the mask is 0 exactly when it is done
    assert set(np.unique(train["rewards"])) <= {-1.0, 0.0}
    np.testing.assert_array_equal(train["masks"], (train["rewards"] != 0).astype(np.float32))


def test_loader_without_task_has_no_rewards_and_bad_paths_are_user_errors(generated, tmp_path):
    train, _ = load_datasets("cube-single-play-v0", generated[0])
    assert "rewards" not in train and "qpos" not in train
    with pytest.raises(UserError, match="data generate"):
        load_datasets("cube-single-play-v0", tmp_path / "missing.npz")
    with pytest.raises(UserError, match="not an OGBench dataset name"):
        DatasetName.parse("cube_single")


def test_interrupted_generation_resumes_to_the_same_data(generated, tmp_path, monkeypatch):
    real = gen._collect_episode
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:  # dies inside the second chunk
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(gen, "_collect_episode", flaky)
    with pytest.raises(KeyboardInterrupt):
        generate(GenConfig(**CFG), tmp_path, progress=False)
    chunks = sorted(p.name for p in (tmp_path / ".chunks-cube-single-play-v0").glob("chunk_*.npz"))
    assert chunks == ["chunk_00000.npz"]  # the finished chunk survived, the partial one was never written
    calls.clear()
    monkeypatch.setattr(gen, "_collect_episode", real)
    train_path, _ = generate(GenConfig(**CFG), tmp_path, progress=False)
    resumed, fresh = np.load(train_path), np.load(generated[0])
    for key in fresh.files:
        np.testing.assert_array_equal(resumed[key], fresh[key])
    assert not (tmp_path / ".chunks-cube-single-play-v0").exists()


def test_generation_rejects_what_it_cannot_make(tmp_path):
    with pytest.raises(UserError, match="at least 10"):
        generate(GenConfig(episodes=5), tmp_path, progress=False)
    with pytest.raises(UserError, match="locomotion"):
        generate(
            GenConfig(dataset="antmaze-large-navigate-v0", episodes=10, noise_style="play"),
            tmp_path,
            progress=False,
        )


def test_gen_data_command_writes_both_splits(tmp_path, capsys):
    from agent_rl.cli import main

    code = main(
        [
            "data",
            "generate",
            "--env",
            "puzzle-3x3-noisy-v0",
            "--episodes",
            "10",
            "--episode-steps",
            "5",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0 and "wrote" in capsys.readouterr().out
    train = np.load(tmp_path / "puzzle-3x3-noisy-v0.npz")
    assert train["observations"].shape[0] == 50 and train["button_states"].dtype == np.int64
    assert np.load(tmp_path / "puzzle-3x3-noisy-v0-val.npz")["observations"].shape[0] == 5
    assert main(["data", "generate", "--env", "nope", "--episodes", "10", "--out", str(tmp_path)]) == 2


def test_a_rerun_with_another_seed_is_refused_naming_the_field(generated):
    train_path, _ = generated
    before = train_path.read_bytes()
    with pytest.raises(UserError, match=r"other settings \(seed 3 -> 5\)"):
        generate(GenConfig(**{**CFG, "seed": 5}), train_path.parent, progress=False)
    assert train_path.read_bytes() == before
    assert generate(GenConfig(**CFG), train_path.parent, progress=False)[0] == train_path  # same: reused


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"episode_steps": 0}, "--episode-steps and --chunk-episodes must be at least 1"),
        ({"chunk_episodes": 0}, "must be at least 1"),
        ({"dataset": "cube-singel-play-v0"}, "no OGBench environment .*Did you mean"),
    ],
)
def test_bad_generation_settings_are_one_clear_error(tmp_path, change, reason):
    with pytest.raises(UserError, match=reason):
        generate(GenConfig(**{**CFG, **change}), tmp_path, progress=False)
    assert not list(tmp_path.iterdir())  # nothing recorded or written
