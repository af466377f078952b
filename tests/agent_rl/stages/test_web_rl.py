"""Web RL on rule rewards: bundled tasks rolled out in the browser, scored by their rule evaluators, then the
`rl` stage's turn-level update on those episodes."""

import json

import pytest

from agent_rl.errors import UserError
from agent_rl.rollout.store import EpisodeStore
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, rl, web_rollout

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def _ctx(run, name, artifacts):
    return StageContext(run, run / name, artifacts, MetricsLogger(run / name), 0, False)


def test_bundled_rollouts_carry_rule_rewards_into_an_rl_update(tmp_path, tiny_text_model):
    run = tmp_path
    config = web_rollout.Config(
        bundled_task_ids=[0, 68],
        episodes_per_task=2,
        max_steps=2,
        max_new_tokens=8,
        prompt={"prompt_view": "compact", "max_obs_tokens": 160},
    )
    out = web_rollout.run(config, _ctx(run, "rollout", {"model": str(tiny_text_model)}))
    episodes = EpisodeStore(run / out["episodes"]).read()
    assert sorted(e.episode_id for e in episodes) == ["task0-0", "task0-1", "task68-0", "task68-1"]
    for episode in episodes:
        last = episode.turns[-1]
        assert last.info["eval"]["details"]  # the rule evaluator scored it
        assert last.reward == last.info["eval"]["score"] == last.info["rule_score"]
        assert episode.success == (last.reward == 1.0)

    settings = rl.Config(epochs=1, minibatch_size=4, micro_batch_size=2, lr=1e-4)
    trained = rl.run(settings, _ctx(run, "rl", {"model": str(tiny_text_model), "episodes": out["episodes"]}))
    assert (run / trained["checkpoint"] / "config.json").is_file()
    record = json.loads((run / "rl" / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["turns"] == sum(len(e.turns) for e in episodes)


def test_only_read_only_bundled_tasks_can_be_rolled_out_side_by_side(tmp_path):
    config = web_rollout.Config(bundled_task_ids=[0, 30])  # 30 changes the account page
    with pytest.raises(UserError, match=r"\['30'\] are not read-only"):
        web_rollout._tasks(config, _ctx(tmp_path, "rollout", {}))
