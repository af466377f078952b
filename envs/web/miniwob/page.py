"""Driving a MiniWoB++ page through its own JavaScript (`core.js`), as the package's Selenium env does.

An episode starts with `Math.seedrandom(seed); core.startEpisodeReal()`; the instruction is
`core.getUtterance()`; the task ends itself by calling `core.endEpisode`, which sets `WOB_DONE_GLOBAL`,
`WOB_REWARD_GLOBAL` (with the time penalty) and `WOB_RAW_REWARD_GLOBAL` (without). Success is raw reward > 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

_START_JS = """([seed, maxTimeMs]) => {
  Math.seedrandom(seed);
  if (maxTimeMs !== null) core.EPISODE_MAX_TIME = maxTimeMs;
  core.startEpisodeReal();
  return true;
}"""
_READY_JS = "() => (typeof WOB_TASK_READY === 'undefined' || WOB_TASK_READY) ? core.getUtterance() : null"
_OUTCOME_JS = """() => ({done: WOB_DONE_GLOBAL, reward: WOB_REWARD_GLOBAL, raw_reward: WOB_RAW_REWARD_GLOBAL,
  reason: WOB_REWARD_REASON == null ? '' : String(WOB_REWARD_REASON)})"""


@dataclass
class MiniWobPage:
    """The MiniWoB++ part of a task config: `task["miniwob"] = {"task": name, "episode_time_s": ...}`."""

    name: str
    episode_time_s: float | None = None  # None keeps the page's own limit (10 s of task time)
    seed: int | None = None

    @classmethod
    def of(cls, task: dict[str, Any]) -> MiniWobPage | None:
        spec = task.get("miniwob")
        return None if not spec else cls(spec["task"], spec.get("episode_time_s"), spec.get("seed"))

    def start(self, page: Any, seed: int | None, ready_timeout_s: float = 10.0) -> str:
        """Start a seeded episode on PAGE (a `SyncPage`) and return the task's instruction."""
        chosen = seed if seed is not None else self.seed
        limit = None if self.episode_time_s is None else round(self.episode_time_s * 1000)
        page.evaluate(_START_JS, [str(chosen) if chosen is not None else str(time.time_ns()), limit])
        deadline = time.monotonic() + ready_timeout_s
        while True:
            utterance = page.evaluate(_READY_JS)
            if utterance is not None:
                return str(utterance)
            if time.monotonic() > deadline:
                raise TimeoutError(f"MiniWoB++ task {self.name} did not get ready in {ready_timeout_s:.0f} s")
            time.sleep(0.05)

    @staticmethod
    def outcome(page: Any) -> dict[str, Any]:
        return page.evaluate(_OUTCOME_JS)

    @classmethod
    def done(cls, page: Any) -> bool:
        return bool(page.evaluate("() => WOB_DONE_GLOBAL"))


@dataclass
class MiniWobResult:
    score: float
    raw_reward: float
    reward: float
    done: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "raw_reward": self.raw_reward,
            "reward": self.reward,
            "done": self.done,
            "reason": self.reason,
        }


class MiniWobScorer:
    """A `Scorer` that reads the reward the page computed: 1 when the task ended with raw reward > 0."""

    def __call__(self, task: dict[str, Any], answer: str, page: Any) -> MiniWobResult:
        out = MiniWobPage.outcome(page)
        raw = float(out["raw_reward"]) if out["done"] else 0.0
        return MiniWobResult(
            score=1.0 if raw > 0 else 0.0,
            raw_reward=raw,
            reward=float(out["reward"]) if out["done"] else 0.0,
            done=bool(out["done"]),
            reason=out["reason"] or ("" if out["done"] else "the episode ended before the task did"),
        )
