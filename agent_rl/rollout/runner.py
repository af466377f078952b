"""Multi-turn rollouts over many env instances at once.

Each round gathers every episode that waits for a model reply, whatever its turn, into ONE batched backend
call, then steps each env with its reply. An episode that ends is written to the store at once, and a free slot
is refilled from the specs not yet run. Specs whose id is already in the store are skipped, so a rerun of an
interrupted rollout finishes the rest without losing or duplicating episodes.

Specs may name the sites they use: a spec marked `exclusive` (a task that changes its sites) runs alone on its
sites, after every shared spec on them has finished, and after its `prepare` hook (e.g. a site reset); shared
specs run side by side. These are the web scheduler's reset lanes. A spec may bring its own `agent` (a scripted
policy that reads the observation) instead of the backend. With `step_workers > 1`, env resets and steps run
in threads (browser envs wait on I/O, not on this process).

Envs follow the Gymnasium API with chat observations `{"messages": [...], "images": [...]}` and raw model
text as the action. Model output is untrusted: an exception from the env ends that episode with `error` set,
never the run.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent_rl.backends.base import Backend, ChatPrompt, Generation, SamplingParams
from agent_rl.core.types import Episode, Turn
from agent_rl.rollout.store import EpisodeStore


class Agent(Protocol):
    """A policy that picks the next action text from the observation itself (e.g. a scripted oracle)."""

    def act(self, obs: dict[str, Any]) -> str: ...


@dataclass
class EpisodeSpec:
    """One episode to run: how to make its env, how to reset it, and what to record as its task."""

    episode_id: str
    make_env: Callable[[], Any]
    seed: int | None = None
    options: dict[str, Any] | None = None
    task: dict[str, Any] = field(default_factory=dict)
    sites: frozenset[str] = frozenset()  # shared state it reads (and, when exclusive, changes)
    exclusive: bool = False  # runs alone on its sites, after the shared specs on them
    prepare: Callable[[], None] | None = None  # run just before the env is made (e.g. reset its sites)
    agent: Agent | None = None  # acts instead of the backend


class _Lanes:
    """Which pending specs may start now, given the sites the running ones hold."""

    def __init__(self, specs: Sequence[EpisodeSpec]) -> None:
        self.shared_pending = Counter(s for spec in specs if not spec.exclusive for s in spec.sites)
        self.shared_running: Counter = Counter()
        self.exclusive_running: set[str] = set()

    def can_start(self, spec: EpisodeSpec) -> bool:
        if any(s in self.exclusive_running for s in spec.sites):
            return False
        if spec.exclusive:
            return not any(self.shared_pending[s] or self.shared_running[s] for s in spec.sites)
        return True

    def started(self, spec: EpisodeSpec) -> None:
        if spec.exclusive:
            self.exclusive_running.update(spec.sites)
        else:
            self.shared_pending.subtract(spec.sites)
            self.shared_running.update(spec.sites)

    def finished(self, spec: EpisodeSpec) -> None:
        if spec.exclusive:
            self.exclusive_running.difference_update(spec.sites)
        else:
            self.shared_running.subtract(spec.sites)


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
    backend: Backend | None,
    specs: Sequence[EpisodeSpec],
    params: SamplingParams,
    store: EpisodeStore | None = None,
    *,
    max_concurrent: int = 128,
    max_turns: int = 32,
    progress: bool = True,
    description: str = "episodes",
    step_workers: int = 1,
) -> RolloutStats:
    """Run every spec not yet in `store` to its end; return what this call did.

    `max_concurrent` bounds live envs (memory, browsers); `max_turns` ends a runaway episode as truncated;
    `step_workers` threads reset and step envs. BACKEND may be None when every spec has its own agent.
    """
    from tqdm.auto import tqdm

    ids = [spec.episode_id for spec in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("episode ids must be unique within one rollout")
    done = store.finished_ids() if store is not None else set()
    pending = [spec for spec in specs if spec.episode_id not in done]
    lanes = _Lanes(pending)
    pool = ThreadPoolExecutor(max(1, step_workers), thread_name_prefix="rollout-step")
    stats = RolloutStats(skipped=len(specs) - len(pending))
    revision = str(getattr(backend, "revision", "") or getattr(backend, "name", ""))
    started, cpu_started = time.perf_counter(), time.process_time()
    bar = tqdm(total=len(specs), initial=stats.skipped, desc=description, disable=not progress, unit="ep")
    active: list[_Active] = []
    successes = 0

    def finish(item: _Active) -> None:
        nonlocal successes
        lanes.finished(item.spec)
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

    def start(spec: EpisodeSpec) -> _Active:
        episode = Episode(episode_id=spec.episode_id, task=spec.task, seed=spec.seed, model_revision=revision)
        env = None
        try:
            if spec.prepare is not None:
                spec.prepare()
            env = spec.make_env()
            obs, info = env.reset(seed=spec.seed, options=spec.options)
            episode.info["reset_info"] = info
            return _Active(spec, env, obs, episode)
        except Exception as err:
            episode.error = _describe(err)
            return _Active(spec, env, {}, episode)

    def step(item: _Active, text: str) -> tuple | BaseException | None:
        if item.episode.error is not None:
            return None
        try:
            return item.env.step(text)
        except Exception as err:
            return err

    def replies(items: list[_Active]) -> list[tuple[ChatPrompt, Generation]]:
        prompts = [ChatPrompt(item.obs["messages"], list(item.obs.get("images") or [])) for item in items]
        model = [i for i, item in enumerate(items) if item.spec.agent is None]
        generations: list[Generation | None] = [None] * len(items)
        if model:
            batch = backend.generate([prompts[i] for i in model], _round_params(params, stats.rounds))
            stats.rounds += 1
            for i, generation in zip(model, batch, strict=True):
                generations[i] = generation
        for i, item in enumerate(items):
            if item.spec.agent is not None:
                try:
                    generations[i] = Generation(text=item.spec.agent.act(item.obs))
                except Exception as err:  # a failing agent ends its episode, not the run
                    item.episode.error = _describe(err)
                    generations[i] = Generation(text="")
        return list(zip(prompts, generations, strict=True))

    try:
        while pending or active:
            startable = []
            for spec in list(pending):
                if len(active) + len(startable) >= max_concurrent:
                    break
                if lanes.can_start(spec):
                    lanes.started(spec)
                    pending.remove(spec)
                    startable.append(spec)
            for item in pool.map(start, startable):
                if item.episode.error is None:
                    active.append(item)
                else:
                    finish(item)
            if not active:
                continue
            turns = replies(active)
            outcomes = list(pool.map(step, active, [generation.text for _, generation in turns]))
            still_active = []
            for item, (prompt, generation), outcome in zip(active, turns, outcomes, strict=True):
                if outcome is None:  # its agent failed
                    finish(item)
                    continue
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
                if isinstance(outcome, BaseException):
                    item.episode.error = _describe(outcome)
                    finish(item)
                    continue
                obs, reward, terminated, truncated, info = outcome
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
        pool.shutdown(wait=True)
        bar.close()
        stats.seconds = time.perf_counter() - started
        stats.cpu_seconds = time.process_time() - cpu_started
    return stats
