"""WebArena evaluation through the one episode runner: `run_rollouts` with site-reset lanes, into the store.

Each task is one `EpisodeSpec`. Tasks that change their sites (WebArena's `require_reset`, and every
`program_html` task, since program_html checks what the agent changed; the published configs mark none as
`require_reset`) are exclusive on their sites: they run one at a time per site, each after a reset of its
sites, and after every read-only task on those sites has finished. The other tasks run side by side. With
`WebEnvConfig.login="fresh"` each task that needs a login signs in through its sites' forms as its episode
starts, as WebArena's harness renews the cookies per task. Finished episodes go to the run folder's episode
store (`episodes.jsonl`) at once; a rerun skips them. `results.jsonl`, the summary and the HTML report are views of the store (`webarena_rows`).

With `record_network` on, each episode folder also gets WebArena-Verified's run layout: `agent_response.json`
(the final answer) and `network.har` (the trace), which Verified tasks are scored from, live and offline.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from agent_rl.backends.base import SamplingParams
from agent_rl.core.types import Episode
from agent_rl.errors import UserError
from agent_rl.rollout.evidence import JudgeEvidence
from agent_rl.rollout.runner import Agent, EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from envs.web.browser import BrowserHost, shared_host
from envs.web.env import WebEnv, WebEnvConfig
from envs.web.network import write_har
from evaluator.webarena.evaluators import rescore
from evaluator.webarena.scorer import WebArenaScorer
from evaluator.webarena.verified import is_verified, read_har, score_verified

# Sites that share one database: the shop's admin and storefront (Magento's, and the bundled shop's).
SHARED_STATE = {"shopping_admin": "shopping"}
RESULTS_FILE = "results.jsonl"
TRACE_FILE, RESPONSE_FILE = "network.har", "agent_response.json"  # WebArena-Verified's names
LAST_SCREENSHOTS = 3  # what the judge sees, as in PAE


@dataclass
class RunSettings:
    out_dir: Path
    urls: dict[str, str]  # {"SHOPPING": url, ...}
    parallel: int = 4
    env: WebEnvConfig = field(default_factory=WebEnvConfig)
    judge: Any = None
    helpers: Mapping[str, Callable[..., Any]] | None = None  # None: the bundled sites' helpers
    save_screenshots: bool = True


def lane_sites(task: Any) -> frozenset[str]:
    return frozenset(SHARED_STATE.get(site, site) for site in task.sites)


def changes_state(task: Any) -> bool:
    return bool(task.require_reset) or "program_html" in task.eval.eval_types


class StepRecord(gym.Wrapper):
    """Keeps what the views need: each step's action, error, URL and latency, a screenshot per step (JPEG at
    half size, for the report), and at the end `info["record"]` with the answer, final URL and score details."""

    def __init__(self, env: gym.Env, out_dir: Path, folder: str, screenshots: bool) -> None:
        super().__init__(env)
        self.out_dir, self.folder, self.screenshots = out_dir, folder, screenshots
        self.steps: list[dict[str, Any]] = []
        self.shots: list[str] = []
        self.started = 0.0

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.steps, self.shots, self.started = [], [], time.perf_counter()
        self._shoot(obs)
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        step = {"action": action, "error": obs.get("error", ""), "url": obs.get("url", "")}
        self.steps.append({**step, "latency_s": round(info.get("latency_s", 0.0), 3)})
        self._shoot(obs)
        if terminated or truncated:
            env = self.env.unwrapped
            info["record"] = {
                "task": env.task,  # the filled config, for rescoring offline
                "answer": env.answer,
                "final_url": obs.get("url", ""),
                "steps": self.steps,
                "screenshots": self.shots,
                "score": float(reward),
                "eval": info.get("eval"),
                "early_stop": info.get("early_stop"),
                "error": info.get("error") or info.get("eval_error"),
                "seconds": round(time.perf_counter() - self.started, 3),
                "urls": dict(env.urls),
                **self._save_trace(env),
            }
        return obs, reward, terminated, truncated, info

    def _save_trace(self, env: WebEnv) -> dict[str, str]:
        """The episode's answer and network trace in WebArena-Verified's layout, when the env recorded one."""
        har = env.session.network_har() if env.config.record_network else None
        if har is None:
            return {}
        folder = self.out_dir / "episodes" / self.folder
        write_har(har, folder / TRACE_FILE)
        (folder / RESPONSE_FILE).write_text(env.answer or "")
        return {"network_log": str((folder / TRACE_FILE).relative_to(self.out_dir))}

    def _shoot(self, obs: dict[str, Any]) -> None:
        image = obs.get("som") if obs.get("som") is not None else obs.get("screenshot")
        if not self.screenshots or image is None:
            return
        path = self.out_dir / "episodes" / self.folder / f"{len(self.shots):02d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.resize((image.width // 2, image.height // 2)).save(path, quality=70)
        self.shots.append(str(path.relative_to(self.out_dir)))


def _safe(name: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))


def _summary(task: Any) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "sites": sorted(task.sites),
        "eval_types": sorted(task.eval.eval_types),
        "intent": task.intent,
        "require_reset": task.require_reset,
    }


def task_specs(
    tasks: list[Any],
    settings: RunSettings,
    host: BrowserHost,
    make_agent: Callable[[Any], Agent] | None = None,
    reset_site: Callable[[str], None] | None = None,
) -> list[EpisodeSpec]:
    """One spec per task; MAKE_AGENT gives scripted agents (None: the backend acts)."""
    scorer = WebArenaScorer(settings.judge, settings.urls, settings.helpers)

    def make_env(task_id: Any) -> gym.Env:
        env = WebEnv(settings.env, host=host, urls=settings.urls, scorer=scorer)
        folder = _safe(task_id)
        recorded = StepRecord(env, settings.out_dir, folder, settings.save_screenshots)
        evidence = str(settings.out_dir / "evidence" / folder)
        return JudgeEvidence(
            recorded, evidence, str(settings.out_dir), LAST_SCREENSHOTS, settings.env.max_obs_tokens
        )

    def prepare(task: Any) -> None:
        for site in task.sites if reset_site is not None else []:
            reset_site(site)

    specs = []
    for task in tasks:
        exclusive = changes_state(task)
        specs.append(
            EpisodeSpec(
                str(task.task_id),
                functools.partial(make_env, task.task_id),
                options={"task": task.model_dump()},
                task=_summary(task),
                sites=lane_sites(task),
                exclusive=exclusive,
                prepare=functools.partial(prepare, task) if exclusive else None,
                agent=make_agent(task) if make_agent is not None else None,
            )
        )
    return specs


def episode_row(episode: Episode) -> dict[str, Any]:
    """One results.jsonl row: the task summary, the score and what the episode did."""
    record = (episode.turns[-1].info.get("record") if episode.turns else None) or {}
    score = float(record.get("score", 0.0))
    return {
        **episode.task,
        "score": score,
        "success": score == 1.0 and episode.error is None,
        "answer": record.get("answer"),
        "final_url": record.get("final_url"),
        "steps": record.get("steps", []),
        "screenshots": record.get("screenshots", []),
        "eval": record.get("eval"),
        "early_stop": record.get("early_stop"),
        "truncated": episode.truncated,
        "error": episode.error or record.get("error"),
        "seconds": record.get("seconds"),
    }


def webarena_rows(store: EpisodeStore, order: list[str] | None = None) -> list[dict[str, Any]]:
    """The store as result rows, in ORDER (task ids) when given, else in finishing order."""
    rows = {e.episode_id: episode_row(e) for e in store.read()}
    return [rows[i] for i in order if i in rows] if order is not None else list(rows.values())


def write_results(rows: list[dict[str, Any]], out_dir: Path) -> Path:
    path = out_dir / RESULTS_FILE
    path.write_text("".join(json.dumps(row, default=str) + "\n" for row in rows))
    return path


def run_webarena(
    tasks: list[Any],
    settings: RunSettings,
    backend: Any = None,
    params: SamplingParams | None = None,
    *,
    make_agent: Callable[[Any], Agent] | None = None,
    reset_site: Callable[[str], None] | None = None,
    host: BrowserHost | None = None,
) -> list[dict[str, Any]]:
    """Run TASKS not yet in the run folder's store; return every task's row and write results.jsonl."""
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    store = EpisodeStore(settings.out_dir)
    host = host or shared_host()
    specs = task_specs(tasks, settings, host, make_agent, reset_site)
    pending = {spec.episode_id for spec in specs} - store.finished_ids()
    for site in sorted({s for t in tasks if str(t.task_id) in pending for s in t.sites}):
        if reset_site is not None:  # the read-only tasks start on fresh sites too
            reset_site(site)
    run_rollouts(
        backend,
        specs,
        params or SamplingParams(max_new_tokens=256, temperature=0.0),
        store,
        max_concurrent=max(1, settings.parallel),
        max_turns=settings.env.max_steps + 1,
        step_workers=max(1, settings.parallel),
        description="webarena eval",
    )
    rows = webarena_rows(store, [str(t.task_id) for t in tasks])
    write_results(rows, settings.out_dir)
    return rows


def _rescore(run_dir: Path, record: dict[str, Any], judge: Any) -> Any:
    """Score one recorded episode again: a Verified task from its answer and network trace, any other from
    its answer, final URL and the page contents the run kept."""
    task = record["task"]
    if is_verified(task):
        trace = read_har(run_dir / record["network_log"]) if record.get("network_log") else None
        return score_verified(task, record.get("answer"), trace, record.get("urls") or {})
    details = (record.get("eval") or {}).get("details") or []
    return rescore(task, record.get("answer"), record.get("final_url", ""), details, judge)


def rescore_run(run_dir: Path, judge: Any = None) -> list[dict[str, Any]]:
    """Every episode of a finished run scored again from what it recorded (no sites needed); each row has
    the new `score` and the `recorded_score`. Written to RUN_DIR/rescored.jsonl."""
    store = EpisodeStore(run_dir)
    rows = []
    for episode in store.read():
        record = (episode.turns[-1].info.get("record") if episode.turns else None) or {}
        row = {**episode_row(episode), "recorded_score": float(record.get("score", 0.0))}
        if episode.error is None and record.get("task"):
            try:
                result = _rescore(run_dir, record, judge)
                row.update(score=result.score, success=result.score == 1.0, eval=result.as_dict())
            except UserError as err:
                row.update(score=0.0, success=False, error=str(err))
        rows.append(row)
    if not rows:
        raise UserError(f"{run_dir} holds no finished episodes (no {store.path.name})")
    (run_dir / "rescored.jsonl").write_text("".join(json.dumps(r, default=str) + "\n" for r in rows))
    return rows
