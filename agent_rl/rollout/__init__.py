"""Episodes: the multi-turn runner over many envs at once (runner.py) and the append-only store (store.py)."""

from agent_rl.rollout.runner import EpisodeSpec, RolloutStats, run_rollouts
from agent_rl.rollout.store import EpisodeStore

__all__ = ["EpisodeSpec", "EpisodeStore", "RolloutStats", "run_rollouts"]
