"""What a judge needs from a web episode: the last screenshots (saved as PNG files), the final answer,
the final accessibility tree and URL, recorded in the last turn's info when the episode ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

TREE_CHARS = 6000


class JudgeEvidence(gym.Wrapper):
    """Keeps the last k screenshots; when the episode ends, saves them and records what a judge needs."""

    def __init__(self, env: gym.Env, folder: str, run_dir: str, last_k: int) -> None:
        super().__init__(env)
        self.folder, self.run_dir, self.last_k = Path(folder), Path(run_dir), last_k
        self.shots: list[Any] = []

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.shots = [obs.get("screenshot")]
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.shots = (self.shots + [obs.get("screenshot")])[-self.last_k :]
        if terminated or truncated:
            self.folder.mkdir(parents=True, exist_ok=True)
            paths = []
            for i, shot in enumerate(s for s in self.shots if s is not None):
                path = self.folder / f"{i}.png"
                shot.save(path)
                paths.append(str(path.relative_to(self.run_dir)))
            info["evidence"] = {
                "answer": self.env.unwrapped.answer,
                "screenshots": paths,
                "axtree": str(obs.get("axtree", ""))[:TREE_CHARS],
                "url": obs.get("url", ""),
            }
            if "eval" in info:
                info["rule_score"] = float(reward)
        return obs, reward, terminated, truncated, info
