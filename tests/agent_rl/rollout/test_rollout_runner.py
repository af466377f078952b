import functools
import json

import gymnasium as gym
import pytest

from agent_rl.backends import SamplingParams
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from envs.generalpoints import GeneralPointsEnv

PARAMS = SamplingParams(max_new_tokens=6, temperature=1.0, seed=0)


class CountdownEnv(gym.Env):
    """A chat env that ends after `options["turns"]` replies; it rewards each reply by its length."""

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.left = options["turns"]
        self.messages = [{"role": "user", "content": f"Say something {self.left} times."}]
        return {"messages": list(self.messages), "images": []}, {}

    def step(self, action):
        if action == "boom" or self.left == 99:
            raise ValueError("the env choked on this reply")
        self.left -= 1
        self.messages += [{"role": "assistant", "content": action}, {"role": "user", "content": "Again."}]
        done = self.left == 0
        return (
            {"messages": list(self.messages), "images": []},
            float(len(action)),
            done,
            False,
            {"success": done},
        )


class RecordingBackend:
    """Wraps a real backend: records each call's prompts, and raises KeyboardInterrupt at call `interrupt_at`."""

    def __init__(self, backend, interrupt_at=None):
        self.backend, self.interrupt_at, self.calls = backend, interrupt_at, []
        self.name, self.revision = backend.name, backend.revision

    def generate(self, prompts, params):
        if self.interrupt_at is not None and len(self.calls) + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        self.calls.append([len(p.messages) for p in prompts])
        return self.backend.generate(prompts, params)


@pytest.fixture(scope="module")
def backend(tiny_text_model):
    return TransformersBackend(tiny_text_model, device="cpu")


def countdown_specs(turns):
    return [EpisodeSpec(f"ep{i}", CountdownEnv, seed=i, options={"turns": t}) for i, t in enumerate(turns)]


def test_each_round_batches_every_waiting_episode_whatever_its_turn(backend, tmp_path):
    recorder = RecordingBackend(backend)
    stats = run_rollouts(
        recorder, countdown_specs([1, 3, 2, 1, 2]), PARAMS, EpisodeStore(tmp_path), max_concurrent=3
    )
    # round 1: three episodes at turn 1; later rounds mix newly started episodes with older ones
    assert recorder.calls[0] == [1, 1, 1]
    assert any(len(set(call)) > 1 for call in recorder.calls)
    assert stats.rounds == len(recorder.calls) < stats.turns == 1 + 3 + 2 + 1 + 2
    stored = EpisodeStore(tmp_path).read()
    assert sorted(e.episode_id for e in stored) == [f"ep{i}" for i in range(5)]
    assert all(e.success and not e.error for e in stored)
    turn = next(e for e in stored if e.episode_id == "ep1").turns[2]
    assert len(turn.messages) == 5 and turn.messages[0]["content"] == "Say something 3 times."
    assert turn.reward == float(len(turn.response))
    assert len(turn.response_token_ids) == len(turn.response_logprobs) > 0
    assert turn.prompt_token_ids[0] == backend.tokenizer.bos_token_id


def test_env_errors_end_only_their_episode(backend, tmp_path):
    def broken():
        raise RuntimeError("cannot build")

    specs = countdown_specs([2, 99, 1]) + [EpisodeSpec("no-env", broken)]
    stats = run_rollouts(backend, specs, PARAMS, EpisodeStore(tmp_path), progress=False)
    errors = {e.episode_id: e.error for e in stats.episodes}
    assert errors["ep0"] is None and errors["ep2"] is None
    assert errors["ep1"] == "ValueError: the env choked on this reply"
    assert errors["no-env"] == "RuntimeError: cannot build"
    assert len(EpisodeStore(tmp_path).read()) == 4


def test_max_turns_truncates_a_runaway_episode(backend):
    stats = run_rollouts(backend, countdown_specs([50]), PARAMS, max_turns=3, progress=False)
    (episode,) = stats.episodes
    assert len(episode.turns) == 3 and episode.truncated and not episode.success


def gp_specs(n, **env_kwargs):
    make = functools.partial(GeneralPointsEnv, **env_kwargs)
    return [EpisodeSpec(f"gp-{i}", make, seed=i, task={"index": i}) for i in range(n)]


@pytest.mark.e2e
def test_generalpoints_rollout_resumes_after_an_interruption_without_loss_or_duplicates(backend, tmp_path):
    specs = gp_specs(6, max_attempts=2)  # 3 turns each: two graded attempts, then the exhausted step
    store = EpisodeStore(tmp_path)
    interrupted = RecordingBackend(backend, interrupt_at=5)
    with pytest.raises(KeyboardInterrupt):
        run_rollouts(interrupted, specs, PARAMS, store, max_concurrent=3, progress=False)
    first = EpisodeStore(tmp_path).read()
    assert sorted(e.episode_id for e in first) == ["gp-0", "gp-1", "gp-2"]  # finished at round 3

    resumed = RecordingBackend(backend)
    stats = run_rollouts(resumed, specs, PARAMS, EpisodeStore(tmp_path), max_concurrent=3, progress=False)
    assert stats.skipped == 3 and len(stats.episodes) == 3 and len(resumed.calls) == 3
    lines = store.path.read_text().splitlines()
    ids = [json.loads(line)["episode_id"] for line in lines]
    assert sorted(ids) == [f"gp-{i}" for i in range(6)]
    assert EpisodeStore(tmp_path).read()[:3] == first
    for episode in EpisodeStore(tmp_path).read():
        assert [t.info["attempt"] for t in episode.turns] == [1, 2, 3]
        assert episode.truncated and not episode.success and episode.turns[-1].reward == -1.0
        assert episode.turns[1].messages[-1]["content"].startswith("You failed this trial because")
        assert episode.model_revision == backend.revision and episode.task == {"index": int(episode.seed)}


@pytest.mark.e2e
def test_vision_generalpoints_rollout_stores_the_table_image(tiny_vlm, tmp_path):
    vlm = TransformersBackend(tiny_vlm, device="cpu")
    store = EpisodeStore(tmp_path)
    run_rollouts(vlm, gp_specs(2, modality="vision", max_attempts=1), PARAMS, store, progress=False)
    for episode in EpisodeStore(tmp_path).read():
        assert len(episode.turns) == 2
        (path,) = episode.turns[0].images
        assert episode.turns[1].images == [path] and store.image_path(path).is_file()
        assert "recognition_correct" in episode.turns[0].info


class SiteLog:
    """Records, per site, which episodes were live at once; the env for one spec holds its sites while live."""

    def __init__(self):
        self.live, self.events = {}, []

    def env(self, episode_id, sites, turns):
        log = self

        class Env(CountdownEnv):
            def reset(self, *, seed=None, options=None):
                for site in sites:
                    log.live.setdefault(site, set()).add(episode_id)
                    log.events.append((site, frozenset(log.live[site])))
                return super().reset(seed=seed, options={"turns": turns})

            def close(self):
                for site in sites:
                    log.live[site].discard(episode_id)

        return Env


class Says:
    def __init__(self, text):
        self.text = text

    def act(self, obs):
        return self.text


def test_reset_lanes_run_state_changing_specs_alone_after_the_shared_ones():
    log, prepared = SiteLog(), []
    plan = [  # (id, sites, exclusive)
        ("w1", {"shop"}, True),
        ("r1", {"shop"}, False),
        ("r2", {"shop", "forum"}, False),
        ("w2", {"shop"}, True),
        ("w3", {"forum"}, True),
        ("r3", {"wiki"}, False),
    ]
    specs = [
        EpisodeSpec(
            name,
            log.env(name, sites, turns=2),
            sites=frozenset(sites),
            exclusive=exclusive,
            prepare=functools.partial(prepared.append, name),
            agent=Says("ok"),
        )
        for name, sites, exclusive in plan
    ]
    stats = run_rollouts(None, specs, PARAMS, max_concurrent=8, progress=False, step_workers=4)
    assert sorted(e.episode_id for e in stats.episodes) == sorted(name for name, _, _ in plan)
    assert all(e.success and e.error is None for e in stats.episodes) and stats.rounds == 0
    assert sorted(prepared) == sorted(name for name, _, _ in plan)
    for site, live in log.events:  # a writer never shares its site with anyone
        assert not (live & {"w1", "w2", "w3"}) or len(live) == 1, (site, live)
    order = [e.episode_id for e in stats.episodes]
    assert max(order.index("r1"), order.index("r2")) < min(order.index("w1"), order.index("w2"))
    assert order.index("r2") < order.index("w3")
    assert ("shop", {"r1", "r2"}) in log.events  # the shared ones ran side by side


def test_a_failing_agent_ends_its_episode_only():
    class Broken:
        def act(self, obs):
            raise RuntimeError("no plan")

    specs = [
        EpisodeSpec("bad", CountdownEnv, options={"turns": 1}, agent=Broken()),
        EpisodeSpec("good", CountdownEnv, options={"turns": 1}, agent=Says("fine")),
    ]
    stats = run_rollouts(None, specs, PARAMS, progress=False)
    by_id = {e.episode_id: e for e in stats.episodes}
    assert "no plan" in by_id["bad"].error and by_id["good"].success
