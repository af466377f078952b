"""`web_rollout` stage: the agent attempts web tasks in real browsers against the bundled sites.

Input `tasks` (a WebArena-format JSON list, placeholders unfilled; or `bundled_task_ids`, rule-scored
bundled tasks, for web RL with the `rl` stage) and `model` (the agent). The bundled
sites are started on free ports for the stage, or `sites_from_env` uses the sites named by SHOPPING, .... Each finished episode goes to the stage's episode store; the
judge's evidence (final answer, last screenshots, final accessibility tree and URL) goes into the last
turn's info, with the screenshots saved as PNG files, so a `judge` stage can score the episode later.

`rollout.backend: ray` runs the browsers in Ray actors (`address` for a cluster); the agent model is then
served over HTTP from this process (or use an `openai` backend pointing at your own server).
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.backends.base import SamplingParams
from agent_rl.core.bounds import Temperature
from agent_rl.errors import UserError
from agent_rl.rollout.evidence import JudgeEvidence
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from agent_rl.stages import StageContext
from envs.web.config import PromptSettings

log = logging.getLogger("agent_rl.stages.web_rollout")


class RolloutSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["local", "ray"] = "local"
    num_workers: int = Field(2, ge=1)
    address: str | None = None
    max_concurrent: int = Field(4, ge=1)  # live browser contexts (per worker with Ray)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    episodes_per_task: int = Field(1, ge=1)
    max_tasks: int | None = Field(None, ge=1)
    max_steps: int = Field(10, ge=1)  # PAE's limit
    vision: bool = False  # show the set-of-marks screenshot to the agent (VLM agents)
    prompt: PromptSettings | None = None  # default: PAE's element list with vision, else the tree
    backend: dict[str, Any] = {"type": "transformers"}
    temperature: Temperature = 1.0
    max_new_tokens: int = Field(128, ge=1)
    last_k_screenshots: int = Field(3, ge=1)
    rollout: RolloutSettings = RolloutSettings()
    sites_from_env: bool = False  # use the sites named by SHOPPING, REDDIT, ... instead of the bundled ones
    # Roll out these bundled tasks (training sites, seed 0) instead of the `tasks` input: their rule evaluators
    # score every episode (reward on the last turn), which the `rl` stage learns from (web RL on rule rewards).
    bundled_task_ids: list[int] | None = None


def make_web_env(task: dict[str, Any], urls: dict[str, str], config: Config, folder: str, run_dir: str):
    from envs.web.env import WebEnv, WebEnvConfig
    from evaluator.webarena import WebArenaScorer

    evaluate = bool((task.get("eval") or {}).get("eval_types"))  # proposed tasks are left to the judge
    prompt = config.prompt or PromptSettings(prompt_view="elements" if config.vision else "tree")
    env_config = WebEnvConfig(
        max_steps=config.max_steps, vision=config.vision, evaluate=evaluate, **prompt.model_dump()
    )
    env = WebEnv(env_config, urls=urls, scorer=WebArenaScorer(urls=urls))
    return JudgeEvidence(env, folder, run_dir, config.last_k_screenshots, prompt.max_obs_tokens)


def episode_specs(
    tasks: list[dict[str, Any]], urls: dict[str, str], config: Config, ctx: StageContext
) -> list[EpisodeSpec]:
    from envs.web.tasks import fill_placeholders

    specs = []
    for task in tasks[: config.max_tasks]:
        filled = fill_placeholders(task, urls)
        for k in range(config.episodes_per_task):
            episode_id = f"task{task['task_id']}-{k}"
            folder = str(ctx.stage_dir / "evidence" / episode_id)
            make_env = functools.partial(make_web_env, filled, urls, config, folder, str(ctx.run_dir))
            summary = {"task_id": task["task_id"], "intent": task["intent"], "sites": task.get("sites", [])}
            specs.append(EpisodeSpec(episode_id, make_env, seed=k, options={"task": filled}, task=summary))
    return specs


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    from envs.web.sites.launcher import live_sites

    tasks = _tasks(config, ctx)
    store = EpisodeStore(ctx.stage_dir / "episodes")
    params = SamplingParams(
        max_new_tokens=config.max_new_tokens, temperature=config.temperature, seed=ctx.seed
    )
    with live_sites(config.sites_from_env) as (live, _):
        urls = {key.upper(): url for key, url in live.items()}
        specs = episode_specs(tasks, urls, config, ctx)
        if config.rollout.backend == "ray":
            stats = _run_on_ray(config, ctx, specs, params, store)
        else:
            with ctx.backend(config.backend) as backend:
                stats = run_rollouts(
                    backend,
                    specs,
                    params,
                    store,
                    max_concurrent=config.rollout.max_concurrent,
                    description="web",
                )
    episodes = store.read()
    record = {
        "stage": ctx.stage_dir.name,
        "episodes": len(episodes),
        "new_episodes": len(stats.episodes),
        "errors": sum(bool(e.error) for e in episodes),
        "mean_turns": sum(len(e.turns) for e in episodes) / max(1, len(episodes)),
        "seconds": round(stats.seconds, 2),
    }
    ctx.logger.log(record)
    log.info("web_rollout: %s", record)
    return {"episodes": ctx.rel(store.folder)}


def _tasks(config: Config, ctx: StageContext) -> list[dict[str, Any]]:
    if config.bundled_task_ids is None:
        return json.loads(ctx.path("tasks").read_text())
    from envs.web.tasks import bundled_raw

    wanted = {str(t) for t in config.bundled_task_ids}
    read_only = [
        t
        for t in bundled_raw(0)
        if not (t["require_login"] or t["require_reset"] or "program_html" in t["eval"]["eval_types"])
    ]  # episodes run side by side, with no site reset between them
    tasks = [t for t in read_only if str(t["task_id"]) in wanted]
    if len(tasks) != len(wanted):
        raise UserError(
            f"web_rollout.bundled_task_ids: {sorted(wanted - {str(t['task_id']) for t in tasks})} are not "
            "read-only bundled tasks that run without a login"
        )
    return tasks


def _run_on_ray(config: Config, ctx: StageContext, specs, params, store):
    from agent_rl.rollout.distributed import RayRolloutConfig, run_rollouts_ray

    ray_config = RayRolloutConfig(
        num_workers=config.rollout.num_workers,
        address=config.rollout.address,
        max_concurrent=config.rollout.max_concurrent,
        chunk_size=max(1, len(specs) // (2 * config.rollout.num_workers)),
    )
    spec = dict(config.backend)
    if spec.get("type", "transformers") == "openai":
        return run_rollouts_ray(spec, specs, params, store, ray_config)
    from agent_rl.backends.openai_server import serving

    with ctx.backend(spec) as local, serving(local) as remote:
        return run_rollouts_ray(remote, specs, params, store, ray_config)
