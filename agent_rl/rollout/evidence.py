"""What a judge needs from a web episode: the last screenshots (saved as PNG files), the final answer, the
last pages in text (the compact view of each of the last k observations, for a text judge), the final
accessibility tree and URL, recorded in the last turn's info when the episode ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

from envs.web.prompt import compact_view

TREE_CHARS = 6000


class JudgeEvidence(gym.Wrapper):
    """Keeps the last k screenshots; when the episode ends, saves them and records what a judge needs."""

    def __init__(self, env: gym.Env, folder: str, run_dir: str, last_k: int, page_tokens: int) -> None:
        """PAGE_TOKENS: the budget of each recorded page's compact view (the agent's own, in a rollout)."""
        super().__init__(env)
        self.folder, self.run_dir, self.last_k = Path(folder), Path(run_dir), last_k
        self.page_tokens = page_tokens
        self.shots: list[Any] = []
        self.pages: list[str] = []

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.shots, self.pages = [obs.get("screenshot")], [self._page(obs)]
        return obs, info

    def _page(self, obs: dict[str, Any]) -> str:
        return f"URL: {obs.get('url', '')}\n" + compact_view(obs.get("nodes") or [], self.page_tokens)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.shots = (self.shots + [obs.get("screenshot")])[-self.last_k :]
        self.pages = (self.pages + [self._page(obs)])[-self.last_k :]
        if terminated or truncated:
            self.folder.mkdir(parents=True, exist_ok=True)
            paths = []
            for i, shot in enumerate(s for s in self.shots if s is not None):
                path = self.folder / f"{i}.png"
                shot.save(path)
                paths.append(str(path.relative_to(self.run_dir)))
            info["evidence"] = {
                # An episode cut short never answered (its answer is "Early stop: ..."): PAE gives it 0 unasked.
                "answer": None if info.get("early_stop") else self.env.unwrapped.answer,
                "screenshots": paths,
                "pages": list(self.pages),
                "axtree": str(obs.get("axtree", ""))[:TREE_CHARS],
                "url": obs.get("url", ""),
            }
            if "eval" in info:
                info["rule_score"] = float(reward)
        return obs, reward, terminated, truncated, info
