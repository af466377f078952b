"""Pointmaze navigate data: the waypoint controller in the real maze env, and the generated files."""

import numpy as np
import pytest

from agent_rl.errors import UserError
from envs.control.datasets import load_datasets
from envs.control.generate import GenConfig, generate
from envs.control.pointmaze import WaypointController, make_maze_env

DATASET = "pointmaze-medium-navigate-v0"
CFG = dict(dataset=DATASET, episodes=10, episode_steps=200, chunk_episodes=5, seed=2)


@pytest.fixture(scope="module")
def maze_env():
    import ogbench  # noqa: F401  (registers the env ids)

    env = make_maze_env("pointmaze-medium-v0", episode_steps=1000)
    yield env
    env.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate(GenConfig(**CFG), tmp_path_factory.mktemp("pointmaze"), progress=False)


def test_next_cell_is_the_envs_own_oracle_subgoal_everywhere(maze_env):
    maze = maze_env.unwrapped
    controller = WaypointController.for_env(maze_env)
    assert len(controller.free_cells) == int((maze.maze_map == 0).sum())
    for goal in controller.vertex_cells:
        for start in controller.free_cells:
            expected, _ = maze.get_oracle_subgoal(
                np.array(maze.ij_to_xy(start)), np.array(maze.ij_to_xy(goal))
            )
            assert tuple(controller.centre(controller.next_cell(start, goal))) == tuple(expected)
    # vertex cells leave out the middles of straight corridors: (3, 3) runs left-right between walls
    assert (3, 3) in controller.free_cells and (3, 3) not in controller.vertex_cells
    assert (1, 1) in controller.vertex_cells and controller.cell(controller.centre((5, 4))) == (5, 4)


@pytest.mark.parametrize(("noise", "slack"), [(0.0, 1.2), (0.5, 2.0)])
def test_controller_reaches_the_goal_cell_in_the_real_env(maze_env, noise, slack):
    controller = WaypointController.for_env(maze_env)
    maze, rng = maze_env.unwrapped, np.random.default_rng(0)
    start, goal = (1, 1), (6, 6)  # task1's cells: the far corner, 10 cells away
    np.random.seed(0)
    maze_env.reset(seed=0, options={"task_info": {"init_ij": start, "goal_ij": goal}})
    cells = controller.distances(goal)[start]
    budget = int(slack * cells * controller.unit / 0.2)  # the point moves 0.2 per step at full action
    steps, info = 0, {"success": 0.0}
    while not info["success"] and steps < budget:
        action = controller.action(maze.get_xy(), np.asarray(maze.cur_goal_xy), noise, rng)
        assert np.all(np.abs(action) <= 1.0)
        _, _, _, _, info = maze_env.step(action)
        steps += 1
    assert info["success"] == 1.0, f"not at the goal after {budget} steps"
    assert controller.cell(maze.get_xy()) == goal
    assert steps >= cells * controller.unit / 0.2 * 0.7  # no shortcut through walls


def test_generated_files_have_the_benchmark_format(generated, maze_env):
    train_path, val_path = generated
    assert train_path.name == f"{DATASET}.npz" and val_path.name == f"{DATASET}-val.npz"
    train, val = np.load(train_path), np.load(val_path)
    assert (
        sorted(train.files) == sorted(val.files) == ["actions", "observations", "qpos", "qvel", "terminals"]
    )
    assert train["observations"].shape == (2000, 2) and train["observations"].dtype == np.float32
    assert train["actions"].shape == (2000, 2) and train["actions"].dtype == np.float32
    assert train["terminals"].dtype == bool and val["observations"].shape == (200, 2)
    assert np.flatnonzero(train["terminals"]).tolist() == [199 + 200 * i for i in range(10)]
    np.testing.assert_array_equal(train["qpos"], train["observations"])  # a point's observation is its qpos
    acts = train["actions"]
    assert np.abs(acts).max() <= 1.0 and 0.3 < acts.std() < 1.0  # unit steering plus σ 0.5 noise, clipped
    # the point moves 0.2·action per step (qpos is set, not integrated), walls stop it
    moves = np.linalg.norm(np.diff(train["observations"][:200], axis=0), axis=1)
    assert moves.max() <= 0.2 * np.sqrt(2) + 1e-4 and moves.mean() > 0.1
    controller = WaypointController.for_env(maze_env)
    visited = {controller.cell(xy) for xy in train["observations"]}
    assert len(visited) >= 10  # ten 200-step walks to random goals cover much of the 26-cell maze


def test_ogbench_loads_the_files_and_relabels_single_task_rewards(generated):
    import ogbench

    train_path, _ = generated
    train, val = load_datasets(DATASET, train_path, task=1)
    _, ref_train, _ = ogbench.make_env_and_datasets(
        "pointmaze-medium-navigate-singletask-task1-v0", dataset_path=str(train_path)
    )
    for key in ("observations", "next_observations", "terminals", "rewards", "masks"):
        np.testing.assert_array_equal(train[key], ref_train[key])
    assert len(train["observations"]) == 10 * 199 and len(val["observations"]) == 199
    assert set(np.unique(train["rewards"])) <= {-1.0, 0.0}
    np.testing.assert_array_equal(train["masks"], -train["rewards"])


def test_stitch_episodes_walk_to_one_goal_four_cells_away_and_stay(maze_env, tmp_path):
    cfg = {**CFG, "dataset": "pointmaze-medium-stitch-v0", "episode_steps": 201}
    train_path, _ = generate(GenConfig(**cfg), tmp_path, progress=False)
    episodes = np.load(train_path)["observations"].reshape(10, 201, 2)
    controller = WaypointController.for_env(maze_env)
    for obs in episodes:
        start, end = controller.cell(obs[0]), controller.cell(obs[-1])
        assert controller.distances(start)[end] == 4
        assert {controller.cell(xy) for xy in obs[-40:]} == {end}  # arrived, then waits at the goal


def test_same_seed_same_data_and_another_seed_differs(generated, tmp_path):
    again, _ = generate(GenConfig(**CFG), tmp_path / "a", progress=False)
    other, _ = generate(GenConfig(**{**CFG, "seed": 3}), tmp_path / "b", progress=False)
    ref = np.load(generated[0])
    np.testing.assert_array_equal(np.load(again)["observations"], ref["observations"])
    assert not np.array_equal(np.load(other)["observations"], ref["observations"])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"noise_style": "play"}, "'navigate' or 'stitch' style"),
        ({"action_noise": -0.1}, "at least 0"),
        ({"dataset": "pointmaze-medum-navigate-v0"}, "no OGBench environment"),
        ({"dataset": "antmaze-medium-navigate-v0"}, "expert policies"),
        ({"dataset": "visual-pointmaze-medium-navigate-v0"}, "state-based"),
        ({"dataset": "cube-single-play-v0", "action_noise": 0.3}, "pointmaze data only"),
    ],
)
def test_what_cannot_be_made_is_one_clear_error(tmp_path, change, reason):
    with pytest.raises(UserError, match=reason):
        generate(GenConfig(**{**CFG, **change}), tmp_path, progress=False)


def test_data_generate_command_takes_the_action_noise(tmp_path, capsys):
    from agent_rl.cli import main

    args = ["data", "generate", "--env", DATASET, "--episodes", "10", "--episode-steps", "5"]
    assert main([*args, "--action-noise", "0.1", "--out", str(tmp_path)]) == 0
    assert '"action_noise": 0.1' in (tmp_path / f"{DATASET}.settings.json").read_text()
    assert np.load(tmp_path / f"{DATASET}.npz")["observations"].shape == (50, 2)
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--action-noise", "-1", "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2 and "--action-noise" in capsys.readouterr().err
