"""OGBench's hindsight relabelling: the sampled goal distributions against their definitions."""

import numpy as np
import pytest
from pydantic import ValidationError

from agent_rl.core.gc_buffer import GoalBuffer, GoalConfig

EPISODES, LENGTH, N = 40, 500, 40_000


def _dataset() -> dict[str, np.ndarray]:
    size = EPISODES * LENGTH
    terminals = np.zeros(size)
    terminals[LENGTH - 1 :: LENGTH] = 1
    obs = np.arange(size, dtype=np.float32)[:, None]  # each observation names its index
    return {
        "observations": obs,
        "next_observations": obs + 1,
        "actions": np.zeros((size, 2)),
        "terminals": terminals,
    }


def _kinds(buffer: GoalBuffer, idx: np.ndarray, goals: np.ndarray) -> dict[str, np.ndarray]:
    same_traj = (goals // LENGTH == idx // LENGTH) & (goals > idx)
    return {"cur": goals == idx, "future": same_traj, "other": ~(goals == idx) & ~same_traj}


def test_value_goals_mix_current_future_and_random_states_in_the_reference_proportions():
    buffer = GoalBuffer(_dataset(), GoalConfig(discount=0.99))
    ids = buffer.sample_indices(N, np.random.default_rng(0))
    kinds = _kinds(buffer, ids["idx"], ids["value_goals"])
    # a random goal lands in the same trajectory's future with probability about (1/EPISODES)/2
    assert kinds["cur"].mean() == pytest.approx(0.2, abs=0.01)
    assert kinds["future"].mean() == pytest.approx(0.5 + 0.3 / EPISODES / 2, abs=0.015)
    assert kinds["other"].mean() == pytest.approx(0.3 * (1 - 1 / EPISODES / 2), abs=0.015)


def test_future_value_goals_are_geometric_offsets_capped_at_the_trajectory_end():
    cfg = GoalConfig(discount=0.99, value_p_curgoal=0.0, value_p_trajgoal=1.0, value_p_randomgoal=0.0)
    buffer = GoalBuffer(_dataset(), cfg)
    ids = buffer.sample_indices(N, np.random.default_rng(1))
    idx, goals = ids["idx"], ids["value_goals"]
    final = buffer.final_state(idx)
    assert np.all(goals >= np.minimum(idx + 1, final)) and np.all(goals <= final)
    room = final - idx
    far = room >= 400  # offsets there are practically never capped: Geometric(0.01) has mean 100
    offsets = (goals - idx)[far]
    assert offsets.mean() == pytest.approx(100, rel=0.05)
    assert (offsets == 1).mean() == pytest.approx(0.01, abs=0.004)
    near = (room < 20) & (room > 0)
    assert np.mean(goals[near] == final[near]) > 0.75  # mostly capped at the end


def test_actor_goals_are_uniform_over_the_rest_of_the_trajectory():
    buffer = GoalBuffer(_dataset())
    ids = buffer.sample_indices(N, np.random.default_rng(2))
    idx, goals = ids["idx"], ids["actor_goals"]
    final = buffer.final_state(idx)
    assert np.all(goals <= final) and np.all(goals >= np.minimum(idx + 1, final))
    start = np.minimum(idx + 1, final)
    span = final - start
    fraction = (goals - start)[span > 100] / span[span > 100]
    assert np.histogram(fraction, bins=4, range=(0, 1))[0] / len(fraction) == pytest.approx(
        [0.25] * 4, abs=0.02
    )


def test_rewards_and_masks_mark_reaching_the_value_goal():
    buffer = GoalBuffer(_dataset())
    batch = buffer.sample(4096, np.random.default_rng(3))
    reached = (batch["value_goals"] == batch["observations"]).squeeze(-1).float()
    assert reached.mean().item() == pytest.approx(0.2, abs=0.03)
    assert (batch["masks"] == 1 - reached).all() and (batch["rewards"] == reached - 1).all()
    positive = GoalBuffer(_dataset(), GoalConfig(gc_negative=False)).sample(512, np.random.default_rng(4))
    assert set(positive["rewards"].unique().tolist()) <= {0.0, 1.0}


def test_goal_probabilities_must_sum_to_one_and_trajectories_must_end():
    with pytest.raises(ValidationError, match="sum to 1"):
        GoalConfig(value_p_curgoal=0.5)
    data = _dataset()
    data["terminals"][-1] = 0
    with pytest.raises(ValueError, match="last transition"):
        GoalBuffer(data)


def test_subgoals_are_k_steps_ahead_capped_at_the_goal_or_the_trajectory_end():
    k = 25
    buffer = GoalBuffer(_dataset(), GoalConfig(subgoal_steps=k, actor_p_trajgoal=0.6, actor_p_randomgoal=0.4))
    ids = buffer.sample_indices(N, np.random.default_rng(5))
    idx, final = ids["idx"], buffer.final_state(ids["idx"])
    assert (ids["low_actor_goals"] == np.minimum(idx + k, final)).all()
    goals, targets = ids["high_actor_goals"], ids["high_actor_targets"]
    on_traj = (goals // LENGTH == idx // LENGTH) & (goals > idx)
    assert on_traj.mean() == pytest.approx(0.6 + 0.4 / EPISODES, abs=0.02)
    capped_at_goal, capped_at_end = (
        targets == np.minimum(idx + k, goals),
        targets == np.minimum(idx + k, final),
    )
    assert (capped_at_goal | capped_at_end).all() and capped_at_end[~on_traj].all()
    assert capped_at_goal[on_traj].mean() > 0.99  # a random goal that falls ahead is capped at the end
    batch = buffer.sample(64, np.random.default_rng(6))
    ahead = batch["low_actor_goals"][:, 0] - batch["observations"][:, 0]
    assert ((ahead >= 0) & (ahead <= k)).all() and (ahead == k).float().mean() > 0.8
    assert "low_actor_goals" not in GoalBuffer(_dataset()).sample(8, np.random.default_rng(6))


SHARSA_N = 25


def _walk(idx: int, goal: int, final: int, n: int) -> int:
    """SHARSA's chunk by its definition: step ahead until at the goal, at the trajectory's end, or n steps."""
    state = idx
    while state != goal and state != final and state - idx < n:
        state += 1
    return state


def _sharsa_buffer(**overrides) -> GoalBuffer:
    cfg = dict(discount=0.999, subgoal_steps=SHARSA_N, subgoal_style="sharsa", gc_negative=False)
    return GoalBuffer(_dataset(), GoalConfig(**(cfg | overrides)))


def test_sharsa_chunks_walk_n_steps_stopping_at_the_goal_or_the_trajectory_end():
    buffer = _sharsa_buffer()
    batch = buffer.sample(4096, np.random.default_rng(7))
    idx = batch["observations"][:, 0].long().numpy()
    final = buffer.final_state(idx)
    for goal_key, chunk_key in (
        ("value_goals", "high_value_subgoals"),
        ("actor_goals", "high_actor_targets"),
    ):
        goals, chunks = batch[goal_key][:, 0].long().numpy(), batch[chunk_key][:, 0].long().numpy()
        expected = [_walk(i, g, f, SHARSA_N) for i, g, f in zip(idx, goals, final, strict=True)]
        assert (chunks == np.array(expected)).all(), goal_key
    goals, chunks = (
        batch["value_goals"][:, 0].long().numpy(),
        batch["high_value_subgoals"][:, 0].long().numpy(),
    )
    steps = chunks - idx
    # all three endings occur: at the goal early, at the trajectory's end, after the full n steps
    assert ((chunks == goals) & (steps < SHARSA_N)).any() and ((chunks == final) & (goals != final)).any()
    assert (steps == SHARSA_N).mean() > 0.5
    assert (batch["high_value_steps"].numpy() == steps).all()
    success = steps < SHARSA_N
    assert (batch["high_value_masks"].numpy() == 1 - success).all()
    assert np.allclose(batch["high_value_rewards"].numpy(), np.where(success, 0.999**steps, 0.0))
    assert (batch["low_actor_goals"][:, 0].long().numpy() == np.minimum(idx + SHARSA_N, final)).all()
    assert "high_actor_goals" not in batch and "low_value_goals" not in batch


def test_sharsa_chunk_rewards_on_a_hand_built_trajectory():
    data = {  # one trajectory of 10 states, each observation its index
        "observations": np.arange(10, dtype=np.float32)[:, None],
        "next_observations": np.arange(1, 11, dtype=np.float32)[:, None],
        "actions": np.zeros((10, 1)),
        "terminals": np.eye(10)[9],
    }
    buffer = GoalBuffer(data, GoalConfig(discount=0.9, subgoal_steps=3, subgoal_style="sharsa"))
    idx, goals = np.array([2, 2, 8, 5, 4]), np.array([4, 9, 0, 1, 4])
    chunks = buffer.steps_towards(idx, goals)
    # goal 2 ahead: stop there; far: 3 steps; end 1 ahead: stop at the end; behind: 3 steps; at the goal: stay
    assert chunks.tolist() == [4, 5, 9, 8, 4]
    positive = GoalBuffer(data, buffer.config.model_copy(update={"gc_negative": False})).n_step_chunk(
        chunks - idx
    )
    assert positive["high_value_rewards"] == pytest.approx([0.81, 0.0, 0.9, 0.0, 1.0])
    assert positive["high_value_masks"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    negative = buffer.n_step_chunk(chunks - idx)  # gc_negative: −1 per step taken, −(1 − γ^k)/(1 − γ)
    assert negative["high_value_rewards"] == pytest.approx([-1.9, -2.71, -1.0, -2.71, 0.0])


def test_double_sharsa_low_value_goals_are_geometric_over_one_minus_one_over_n():
    buffer = _sharsa_buffer(low_value_goals=True)
    assert buffer.config.low_discount == pytest.approx(1 - 1 / SHARSA_N)
    ids = buffer.sample_indices(N, np.random.default_rng(8))
    idx, goals = ids["idx"], ids["low_value_goals"]
    kinds = _kinds(buffer, idx, goals)
    assert kinds["cur"].mean() == pytest.approx(0.2, abs=0.01)
    assert kinds["future"].mean() == pytest.approx(0.5 + 0.3 / EPISODES / 2, abs=0.015)
    future_only = _sharsa_buffer(
        low_value_goals=True, value_p_curgoal=0.0, value_p_trajgoal=1.0, value_p_randomgoal=0.0
    )
    ids = future_only.sample_indices(N, np.random.default_rng(10))
    idx, goals = ids["idx"], ids["low_value_goals"]
    offsets = (goals - idx)[future_only.final_state(idx) - idx >= 400]  # practically never capped there
    assert offsets.mean() == pytest.approx(SHARSA_N, rel=0.05)  # Geometric(1/n) has mean n
    assert (offsets == 1).mean() == pytest.approx(1 / SHARSA_N, abs=0.008)
    batch = buffer.sample(2048, np.random.default_rng(9))
    reached = (batch["low_value_goals"] == batch["observations"]).squeeze(-1).float()
    assert (batch["low_value_rewards"] == reached).all() and (batch["low_value_masks"] == 1 - reached).all()
    with pytest.raises(ValidationError, match="low_value_goals needs subgoal_steps"):
        GoalConfig(low_value_goals=True)
