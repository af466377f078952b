"""Learning from stored episodes (filtered BC, and RL on scored episodes) with a real tiny model."""

import functools
from pathlib import Path

import pytest
import torch

from agent_rl.backends.base import SamplingParams
from agent_rl.core.types import Episode, Turn
from agent_rl.models.loading import load_model
from agent_rl.models.tiny import build_tiny_text_model
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, filtered_bc, rl
from agent_rl.train.filtered_bc import select_shortest_successes, update_replay
from agent_rl.train.policy import PolicyWithValue, collate, fill_token_ids, forward_logprobs
from agent_rl.train.rl import encode_turns
from envs.generalpoints import GeneralPointsEnv, format_answer, solve


def episode(task_id, turns, success, error=None):
    return Episode(
        episode_id=f"{task_id}-{turns}-{success}-{error}",
        task={"task_id": task_id},
        turns=[Turn(messages=[{"role": "user", "content": "x"}], response="y") for _ in range(turns)],
        success=success,
        error=error,
    )


def test_selection_keeps_the_shortest_successes_per_task():
    episodes = [
        *(episode("a", n, True) for n in (2, 3, 4, 5, 6)),
        episode("a", 1, False),
        episode("a", 1, True, error="browser crashed"),
        episode("b", 7, True),
        episode("c", 1, False),
    ]
    kept = select_shortest_successes(episodes, keep_percentile=20)
    # task a: 20th percentile of [2..6] is 2.8 -> only the 2-turn success; task b: its only success
    assert sorted((e.task["task_id"], len(e.turns)) for e in kept) == [("a", 2), ("b", 7)]


def test_replay_carries_earlier_iterations_and_keeps_the_newest(tmp_path):
    first = update_replay(tmp_path / "r1", None, [episode("a", i, True) for i in (1, 2, 3)], size=4)
    assert len(first) == 3
    second = update_replay(tmp_path / "r2", tmp_path / "r1", [episode("b", i, True) for i in (1, 2)], size=4)
    assert [e.task["task_id"] for e in second] == ["a", "a", "b", "b"]
    assert [len(e.turns) for e in second] == [2, 3, 1, 2]


class Expert:
    """Stands in for a strong agent: answers with a solver-made formula for the hand in the prompt; with
    `wrong_every=k`, every k-th answer is a legal formula that misses the target instead."""

    name = "expert"

    def __init__(self, wrong_every=0):
        self.wrong_every, self.calls = wrong_every, 0

    def generate(self, prompts, params):
        from agent_rl.backends.base import Generation

        out = []
        for prompt in prompts:
            cards = cards_in(prompt.messages[0]["content"])
            numbers = [{"A": 1, "J": 10, "Q": 10, "K": 10}.get(c) or int(c) for c in cards]
            self.calls += 1
            wrong = self.wrong_every and self.calls % self.wrong_every == 0
            formula = "-".join(map(str, numbers)) if wrong else solve(numbers)[0]
            out.append(Generation(text=format_answer(cards, numbers, formula)))
        return out


def cards_in(prompt_text):
    line = next(line for line in prompt_text.splitlines() if line.startswith("Cards:"))
    return [c.strip(" '[]") for c in line.split(":", 1)[1].split(",")]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_text_model(tmp_path_factory.mktemp("tiny"), seed=0)


def mean_response_logprob(model_path, episodes):
    """Mean log-probability per response token of the episodes' turns under the model."""
    loaded = load_model(model_path, device="cpu")
    fill_token_ids(episodes, loaded.tokenizer)
    samples, _ = encode_turns(episodes, None)
    policy = PolicyWithValue(loaded.model, with_value=False).eval()
    with torch.no_grad():
        batch = collate(samples, loaded.tokenizer.pad_token_id)
        logprobs, _ = forward_logprobs(policy, batch)
    mask = batch["response_mask"]
    return float((logprobs * mask).sum() / mask.sum())


def test_filtered_bc_stage_raises_the_likelihood_of_successful_turns(tiny, tmp_path):
    run_dir = tmp_path / "run"
    store = EpisodeStore(run_dir / "rollout" / "episodes")
    specs = [
        EpisodeSpec(
            f"ep-{i}", functools.partial(GeneralPointsEnv, max_attempts=1), seed=i, task={"task_id": i}
        )
        for i in range(12)
    ]
    run_rollouts(Expert(), specs, SamplingParams(), store=store, progress=False)
    episodes = store.read()
    assert all(e.success for e in episodes)  # the expert solves every hand in one turn
    stage_dir = run_dir / "fbc"
    stage_dir.mkdir(parents=True)
    ctx = StageContext(
        run_dir=run_dir,
        stage_dir=stage_dir,
        artifacts={"model": str(tiny), "episodes": "rollout/episodes"},
        logger=MetricsLogger(run_dir),
        seed=0,
        resume=False,
    )
    before = mean_response_logprob(tiny, store.read())
    out = filtered_bc.run(filtered_bc.Config(epochs=3, batch_size=4, lr=3e-3), ctx)
    after = mean_response_logprob(run_dir / out["checkpoint"], store.read())
    assert after > before + 0.5
    assert len(EpisodeStore(run_dir / out["replay"]).read()) == 12
    [record] = MetricsLogger(run_dir).records()
    assert record["kept"] == 12 and record["turns"] == 12


def test_filtered_bc_without_successes_passes_the_model_on(tiny, tmp_path):
    run_dir = tmp_path / "run"
    store = EpisodeStore(run_dir / "episodes")
    store.append(episode("a", 2, False))
    (run_dir / "fbc").mkdir()
    ctx = StageContext(
        run_dir,
        run_dir / "fbc",
        {"model": str(tiny), "episodes": "episodes"},
        MetricsLogger(run_dir),
        0,
        False,
    )
    out = filtered_bc.run(filtered_bc.Config(), ctx)
    assert Path(out["checkpoint"]) == Path(tiny)


def test_rl_stage_learns_from_stored_scored_episodes(tiny, tmp_path):
    run_dir = tmp_path / "run"
    store = EpisodeStore(run_dir / "judged")
    specs = [
        EpisodeSpec(
            f"ep-{i}",
            functools.partial(GeneralPointsEnv, max_attempts=1),
            seed=i // 2,
            task={"task_id": i // 2},
        )
        for i in range(12)
    ]  # two episodes per hand: one solved, one with a formula that misses (-1)
    run_rollouts(Expert(wrong_every=2), specs, SamplingParams(), store=store, progress=False)
    episodes = store.read()
    solved = [e for e in episodes if e.success]
    missed = [e for e in episodes if not e.success]
    assert len(solved) == len(missed) == 6
    before = mean_response_logprob(tiny, solved) - mean_response_logprob(tiny, missed)
    (run_dir / "rl").mkdir()
    ctx = StageContext(
        run_dir,
        run_dir / "rl",
        {"model": str(tiny), "episodes": "judged"},
        MetricsLogger(run_dir / "rl"),
        0,
        False,
    )
    config = rl.Config(epochs=4, lr=3e-3, minibatch_size=12, micro_batch_size=12, clip=0.5)
    out = rl.run(config, ctx)
    after = mean_response_logprob(run_dir / out["checkpoint"], solved) - mean_response_logprob(
        run_dir / out["checkpoint"], missed
    )
    assert after > before + 0.05  # the solved answers gained on the missed ones
    [record] = MetricsLogger(run_dir / "rl").records()
    assert record["turns"] == 12 and record["success_rate"] == 0.5
