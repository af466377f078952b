"""How an episode of `WebEnv` is scored: the env is given a `Scorer` and never imports an evaluator.

`evaluator.webarena.WebArenaScorer` implements it with WebArena's rule evaluators; envs.web.miniwob's
`MiniWobScorer` reads the reward a MiniWoB++ page computed itself.
"""

from __future__ import annotations

from typing import Any, Protocol


class ScoreResult(Protocol):
    """What a scorer returns: a score in [0, 1] and a JSON-able record of how it was reached."""

    score: float

    def as_dict(self) -> dict[str, Any]: ...


class Scorer(Protocol):
    """Scores a finished episode from its task config, the agent's final answer and the live page.

    `page` is the env's blocking page view (`envs.web.session.SyncPage`): `.url`, `.goto`, `.content`,
    `.evaluate`, and `.network_har()` (the episode's network trace, when the env records one).
    """

    def __call__(self, task: dict[str, Any], answer: str, page: Any) -> ScoreResult: ...
