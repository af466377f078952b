"""Multi-turn rollouts over many env instances at once.

Each round gathers every episode that waits for a model reply, whatever its turn, into ONE batched backend
call, then steps each env with its reply. An episode that ends is written to the store at once, and a free slot
is refilled from the specs not yet run. Specs whose id is already in the store are skipped, so a rerun of an
interrupted rollout finishes the rest without losing or duplicating episodes.

Envs follow the Gymnasium API with chat observations `{"messages": [...], "images": [...]}` and raw model
text as the action. Model output is untrusted: an exception from the env ends that episode with `error` set,
never the run.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_rl.backends.base import Backend, ChatPrompt, SamplingParams
from agent_rl.core.types import Episode, Turn
from agent_rl.rollout.store import EpisodeStore


@dataclass
class EpisodeSpec:
    """One episode to run: how to make its env, how to reset it, and what to record as its task."""

    episode_id: str
    make_env: Callable[[], Any]
    seed: int | None = None
    options: dict[str, Any] | None = None
    task: dict[str, Any] = field(default_factory=dict)


@dataclass
class RolloutStats:
    episodes: list[Episode] = field(default_factory=list)  # finished in this call, in finishing order
    skipped: int = 0  # already in the store
    rounds: int = 0  # batched backend calls
    turns: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # this process's CPU time: what the work cost, whatever else runs on the cores


@dataclass
class _Active:
    spec: EpisodeSpec
    env: Any | None  # None when making the env failed
    obs: dict[str, Any]
    episode: Episode


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"[:1000]


def _success(info: dict[str, Any]) -> bool:
    return bool(info.get("success", info.get("is_success", False)))


def _round_params(params: SamplingParams, round_index: int) -> SamplingParams:
    """A fresh but reproducible seed per round, so rounds do not replay the same random draws."""
    if params.seed is None:
        return params
    return SamplingParams(**{**params.__dict__, "seed": params.seed + 1_000_003 * round_index})


def run_rollouts(
    backend: Backend,
    specs: Sequence[EpisodeSpec],
    params: SamplingParams,
    store: EpisodeStore | None = None,
    *,
    max_concurrent: int = 128,
    max_turns: int = 32,
    progress: bool = True,
    description: str = "episodes",
) -> RolloutStats:
    """Run every spec not yet in `store` to its end; return what this call did.

    `max_concurrent` bounds live envs (memory, browsers); `max_turns` ends a runaway episode as truncated.
    """
    from tqdm.auto import tqdm

    ids = [spec.episode_id for spec in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("episode ids must be unique within one rollout")
    done = store.finished_ids() if store is not None else set()
    pending = deque(spec for spec in specs if spec.episode_id not in done)
    stats = RolloutStats(skipped=len(specs) - len(pending))
    revision = str(getattr(backend, "revision", "") or getattr(backend, "name", ""))
    started, cpu_started = time.perf_counter(), time.process_time()
    bar = tqdm(total=len(specs), initial=stats.skipped, desc=description, disable=not progress, unit="ep")
    active: list[_Active] = []
    successes = 0

    def finish(item: _Active) -> None:
        nonlocal successes
        try:
            if item.env is not None:
                item.env.close()
        except Exception as err:  # a failing close must not lose the episode
            item.episode.info["close_error"] = _describe(err)
        if store is not None:
            store.append(item.episode)
        stats.episodes.append(item.episode)
        successes += item.episode.success
        bar.update(1)
        bar.set_postfix(success=f"{successes / len(stats.episodes):.2f}")

    def start(spec: EpisodeSpec) -> None:
        episode = Episode(episode_id=spec.episode_id, task=spec.task, seed=spec.seed, model_revision=revision)
        env = None
        try:
            env = spec.make_env()
            obs, info = env.reset(seed=spec.seed, options=spec.options)
            episode.info["reset_info"] = info
            active.append(_Active(spec, env, obs, episode))
        except Exception as err:
            episode.error = _describe(err)
            finish(_Active(spec, env, {}, episode))

    try:
        while pending or active:
            while pending and len(active) < max_concurrent:
                start(pending.popleft())
            if not active:
                continue
            prompts = [
                ChatPrompt(item.obs["messages"], list(item.obs.get("images") or [])) for item in active
            ]
            generations = backend.generate(prompts, _round_params(params, stats.rounds))
            stats.rounds += 1
            still_active = []
            for item, prompt, generation in zip(active, prompts, generations, strict=True):
                stats.turns += 1
                stats.generated_tokens += len(generation.token_ids)
                turn = Turn(
                    messages=copy.deepcopy(prompt.messages),
                    response=generation.text,
                    prompt_token_ids=generation.prompt_token_ids,
                    response_token_ids=generation.token_ids,
                    response_logprobs=generation.logprobs,
                    images=prompt.images,
                    info={"finish_reason": generation.finish_reason},
                )
                item.episode.turns.append(turn)
                try:
                    obs, reward, terminated, truncated, info = item.env.step(generation.text)
                except Exception as err:
                    item.episode.error = _describe(err)
                    finish(item)
                    continue
                turn.reward = float(reward)
                turn.info.update(info)
                item.obs = obs
                out_of_turns = len(item.episode.turns) >= max_turns
                if terminated or truncated or out_of_turns:
                    item.episode.success = _success(info)
                    item.episode.truncated = bool(truncated or (out_of_turns and not terminated))
                    finish(item)
                else:
                    still_active.append(item)
            active = still_active
    finally:
        for item in active:  # interrupted: unfinished episodes are dropped, a rerun starts them afresh
            with contextlib.suppress(Exception):
                item.env.close()
        bar.close()
        stats.seconds = time.perf_counter() - started
        stats.cpu_seconds = time.process_time() - cpu_started
    return stats
