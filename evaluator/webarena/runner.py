"""Run WebArena-format tasks in parallel browser contexts and keep every finished episode.

Tasks run in two phases so parallel episodes never corrupt each other's site state:
1. read-only tasks (no `require_reset`) in parallel, on freshly reset sites;
2. tasks that change a site (`require_reset`): lanes that share no site (nor a site's database) run in
   parallel; inside a lane one task at a time, each after a reset of its sites.
Each finished episode is appended to results.jsonl at once, so a crash loses nothing finished; a rerun with
the same output folder skips the tasks already there.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from agent_rl.core.jsonl import append_jsonl, read_jsonl
from agent_rl.errors import UserError
from envs.web.browser import BrowserHost, shared_host
from envs.web.env import WebEnv, WebEnvConfig


class Agent(Protocol):
    """Anything that picks the next action (raw text, either grammar) from an observation."""

    def act(self, obs: dict[str, Any]) -> str: ...


@dataclass
class RunSettings:
    out_dir: Path
    urls: dict[str, str]  # {"SHOPPING": url, ...}
    parallel: int = 4
    env: WebEnvConfig = field(default_factory=WebEnvConfig)
    judge: Any = None
    save_screenshots: bool = True


# Sites that share one database: the shop's admin and storefront (Magento's, and the bundled shop's).
SHARED_STATE = {"shopping_admin": "shopping"}


def reset_lanes(tasks: list[Any]) -> list[list[Any]]:
    """Group state-changing tasks so that no two lanes touch the same site; order is kept inside a lane."""
    parent: dict[str, str] = {}

    def find(site: str) -> str:
        site = SHARED_STATE.get(site, site)
        parent.setdefault(site, site)
        while parent[site] != site:
            site = parent[site]
        return site

    for task in tasks:
        first, *rest = [find(s) for s in task.sites]
        for other in rest:
            parent[other] = first
    lanes: dict[str, list[Any]] = defaultdict(list)
    for task in tasks:
        lanes[find(task.sites[0])].append(task)
    return list(lanes.values())


def _task_key(task: Any) -> str:
    return str(task.task_id)


def _summary_row(task: Any) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "sites": sorted(task.sites),
        "eval_types": sorted(task.eval.eval_types),
        "intent": task.intent,
        "require_reset": task.require_reset,
    }


class EpisodeRunner:
    """Runs tasks with one WebEnv per worker thread, all sharing one browser."""

    def __init__(
        self,
        settings: RunSettings,
        make_agent: Callable[[Any], Agent],
        reset_site: Callable[[str], None] | None = None,
        host: BrowserHost | None = None,
    ) -> None:
        self.settings = settings
        self.make_agent = make_agent
        self.reset_site = reset_site
        self.host = host or shared_host()
        self.results_path = settings.out_dir / "results.jsonl"
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._envs: list[WebEnv] = []

    def finished(self) -> dict[str, dict[str, Any]]:
        rows = read_jsonl(self.results_path)
        return {str(r["task_id"]): r for r in rows}

    def run(self, tasks: list[Any]) -> list[dict[str, Any]]:
        self.settings.out_dir.mkdir(parents=True, exist_ok=True)
        done = self.finished()
        todo = [t for t in tasks if _task_key(t) not in done]
        if self.reset_site is not None and todo:
            for site in sorted({s for t in todo for s in t.sites}):
                self.reset_site(site)
        readonly = [t for t in todo if not t.require_reset]
        lanes = reset_lanes([t for t in todo if t.require_reset])
        with tqdm(total=len(todo), desc="webarena eval", unit="task") as bar:
            with ThreadPoolExecutor(max(1, self.settings.parallel)) as pool:
                list(pool.map(lambda task: self._run_and_record(task, bar), readonly))
            with ThreadPoolExecutor(max(1, min(self.settings.parallel, len(lanes)))) as pool:
                list(pool.map(lambda lane: [self._run_and_record(t, bar, reset=True) for t in lane], lanes))
        for env in self._envs:
            env.close()
        done = self.finished()
        return [done[_task_key(t)] for t in tasks if _task_key(t) in done]

    def _env(self) -> WebEnv:
        env = getattr(self._local, "env", None)
        if env is None:
            env = WebEnv(
                self.settings.env, host=self.host, judge=self.settings.judge, urls=self.settings.urls
            )
            self._local.env = env
            with self._write_lock:
                self._envs.append(env)
        return env

    def _run_and_record(self, task: Any, bar: tqdm, reset: bool = False) -> None:
        if reset and self.reset_site is not None:
            for site in task.sites:
                self.reset_site(site)
        row = self.run_episode(task)
        with self._write_lock:
            append_jsonl(self.results_path, row, default=str)
            bar.update(1)

    def run_episode(self, task: Any) -> dict[str, Any]:
        """One episode of TASK; failures (unreachable site, crashed browser, judge missing) become `error`."""
        env = self._env()
        row: dict[str, Any] = {**_summary_row(task), "score": 0.0, "success": False, "answer": None}
        row.update(steps=[], error=None, early_stop=None, truncated=False)
        started = time.perf_counter()
        folder = self.settings.out_dir / "episodes" / _safe(task.task_id)
        try:
            agent = self.make_agent(task)
            obs, _ = env.reset(options={"task": task})
            self._save_shot(obs, folder, 0, row)
            done = False
            while not done:
                action = agent.act(obs)
                obs, reward, terminated, truncated, info = env.step(action)
                done = terminated or truncated
                step = {"action": action, "error": obs.get("error", ""), "url": obs.get("url", "")}
                step["latency_s"] = round(info.get("latency_s", 0.0), 3)
                row["steps"].append(step)
                self._save_shot(obs, folder, len(row["steps"]), row)
                if info.get("error"):
                    row["error"] = info["error"]
                if done:
                    row.update(
                        score=reward,
                        success=reward >= 1.0,
                        answer=env.answer,
                        early_stop=info.get("early_stop"),
                        truncated=truncated,
                        eval=info.get("eval"),
                    )
        except UserError as err:
            row["error"] = str(err)
        except Exception as err:  # a crashed browser or a failing agent ends this episode, not the run
            row["error"] = f"{type(err).__name__}: {err}"
        row["seconds"] = round(time.perf_counter() - started, 3)
        return row

    def _save_shot(self, obs: dict[str, Any], folder: Path, index: int, row: dict[str, Any]) -> None:
        image = obs.get("som") if obs.get("som") is not None else obs.get("screenshot")
        if not self.settings.save_screenshots or image is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{index:02d}.jpg"
        image.resize((image.width // 2, image.height // 2)).save(path, quality=70)
        row.setdefault("screenshots", []).append(str(path.relative_to(self.settings.out_dir)))


def _safe(name: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))
