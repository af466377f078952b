"""Demonstrations through the browser env, then the warm start on them: the oracles' replies are learned."""

import pytest

from agent_rl.rollout.store import EpisodeStore
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, demonstrations, filtered_bc

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def _ctx(run, name, artifacts):
    return StageContext(run, run / name, artifacts, MetricsLogger(run / name), 0, False)


def _response_loss(model_dir, episodes):
    import torch

    from agent_rl.models.loading import load_model

    loaded = load_model(str(model_dir), device="cpu")
    total = 0.0
    for turn in (t for e in episodes for t in e.turns):
        messages = [
            {
                "role": m["role"],
                "content": m["content"][0]["text"] if isinstance(m["content"], list) else m["content"],
            }
            for m in turn.messages
        ]
        prompt = loaded.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = loaded.tokenizer(prompt + turn.response, return_tensors="pt").input_ids
        labels = ids.clone()
        labels[:, : len(loaded.tokenizer(prompt).input_ids)] = -100
        with torch.no_grad():
            total += loaded.model(input_ids=ids, labels=labels).loss.item()
    return total


def test_oracle_demonstrations_are_stored_in_the_agent_format_and_warm_start_learns_them(
    tmp_path, tiny_text_model
):
    run = tmp_path
    config = demonstrations.Config(task_ids=[0, 30], parallel=2)  # a question, and a change to the site
    out = demonstrations.run(config, _ctx(run, "demos", {}))
    episodes = EpisodeStore(run / out["episodes"]).read()
    assert sorted(e.episode_id for e in episodes) == ["0", "30"] and all(e.success for e in episodes)
    for episode in episodes:
        page = episode.turns[0].messages[-1]["content"][0]["text"]
        assert "Page:\n" in page and "Accessibility tree" not in page  # the compact view
        assert all(
            t.response.startswith("Thought: I ") and " Action: " in t.response for t in episode.turns[:-1]
        )
    answers = {e.episode_id: e.turns[-1].response.split("Action: ")[1] for e in episodes}
    assert answers["0"] == "stop [$67.00]"
    assert answers["30"].startswith("stop [Done: I clicked the link 'My Account'")

    fbc = filtered_bc.Config(keep_percentile=100, epochs=3, batch_size=2, lr=1e-3)
    artifacts = {"model": str(tiny_text_model), "episodes": out["episodes"]}
    trained = filtered_bc.run(fbc, _ctx(run, "warm_start", artifacts))
    assert trained["checkpoint"] == "warm_start/checkpoint"
    assert _response_loss(run / trained["checkpoint"], episodes) < _response_loss(tiny_text_model, episodes)
