"""Goal-conditioned evaluation in real OGBench episodes: each task's goal reaches the agent."""

import gymnasium
import numpy as np
import pytest

from agent_rl.control.evaluate import evaluate_goals
from agent_rl.control.gcbc import GCBC, GCBCConfig


@pytest.mark.e2e
def test_evaluate_goals_runs_each_task_with_its_goal_observation():
    import ogbench  # noqa: F401

    env = gymnasium.make("cube-single-v0", max_episode_steps=3)
    obs_dim = env.observation_space.shape[0]
    agent = GCBC(obs_dim, env.action_space.shape[0], GCBCConfig(actor_hidden=(8,)))
    goals = []

    def act(obs, goal):
        goals.append(np.asarray(goal).copy())
        return agent.act(obs, goal)

    result = evaluate_goals(act, env, tasks=[1, 2], episodes=1)
    env.close()
    assert set(result) == {"task1", "task2", "success"} and 0.0 <= result["success"] <= 1.0
    assert len(goals) == 6 and goals[0].shape == (obs_dim,)
    assert not np.allclose(goals[0], goals[3])  # task 1 and task 2 have different goals
