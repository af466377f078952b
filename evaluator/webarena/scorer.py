"""`WebArenaScorer`: WebArena's rule evaluators as the `envs.web.scoring.Scorer` a `WebEnv` is given, and
WebArena-Verified's evaluators for tasks in that format (from the answer and the episode's network trace)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from evaluator.webarena.evaluators import EvalResult, evaluate_task
from evaluator.webarena.verified import VerifiedResult, is_verified, score_verified


@dataclass
class WebArenaScorer:
    """JUDGE answers fuzzy_match / N/A checks; URLS and HELPERS serve `func:` helpers (see `evaluate_task`)."""

    judge: Any = None
    urls: Mapping[str, str] | None = None
    helpers: Mapping[str, Callable[..., Any]] | None = None

    def __call__(self, task: dict[str, Any], answer: str, page: Any) -> EvalResult | VerifiedResult:
        if is_verified(task):
            return score_verified(task, answer, page.network_har(), self.urls or {})
        return evaluate_task(task, answer, page, judge=self.judge, urls=self.urls, helpers=self.helpers)
