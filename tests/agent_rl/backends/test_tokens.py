"""One tokenisation path: what the learner trains on is token for token what the backend saw and sampled."""

import copy
import functools

import pytest

from agent_rl.backends.base import SamplingParams
from agent_rl.backends.tokens import prompt_token_ids
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from agent_rl.train.policy import fill_token_ids
from agent_rl.train.rl import encode_turns
from envs.generalpoints import GeneralPointsEnv


@pytest.mark.parametrize("modality", ["text", "vision"])
def test_trained_tokens_are_the_sampled_tokens_over_many_turns(modality, request, tmp_path):
    model = request.getfixturevalue("tiny_vlm" if modality == "vision" else "tiny_text_model")
    backend = TransformersBackend(model, device="cpu")
    make_env = functools.partial(GeneralPointsEnv, modality=modality, max_attempts=3)
    specs = [EpisodeSpec(f"ep-{i}", make_env, seed=i) for i in range(3)]
    params = SamplingParams(max_new_tokens=12, temperature=1.0, seed=0)
    episodes = run_rollouts(
        backend, specs, params, EpisodeStore(tmp_path), max_turns=3, progress=False
    ).episodes
    # An untrained model fails: each later prompt holds the earlier answers and the verifier's feedback.
    assert all(len(e.turns) == 3 for e in episodes)
    assert all(bool(t.images) == (modality == "vision") for e in episodes for t in e.turns)

    samples, where = encode_turns(episodes, backend.processor)
    assert len(samples) == 9
    for sample, (e, t) in zip(samples, where, strict=True):
        turn = episodes[e].turns[t]
        assert sample.input_ids[: sample.n_prompt] == turn.prompt_token_ids  # what the model was shown
        assert sample.input_ids[sample.n_prompt :] == turn.response_token_ids  # what it sampled
        assert len(turn.response_token_ids) == len(turn.response_logprobs)

    # A turn stored without ids (an HTTP server's, a demo's) is tokenised on the same path as the backend's.
    for episode in episodes:
        for turn in episode.turns:
            assert (
                prompt_token_ids(turn.messages, turn.images, backend.tokenizer, backend.processor)
                == turn.prompt_token_ids
            )
    stripped = copy.deepcopy(episodes)
    for turn in (t for e in stripped for t in e.turns):
        turn.prompt_token_ids, turn.response_token_ids = None, None
    fill_token_ids(stripped, backend.tokenizer, backend.processor)
    for original, refilled in zip(episodes, stripped, strict=True):
        assert [t.prompt_token_ids for t in refilled.turns] == [t.prompt_token_ids for t in original.turns]
