"""What the judge gets from a web episode: the last k pages, and no answer for an episode cut short."""

import gymnasium as gym
import pytest

from agent_rl.rollout.evidence import JudgeEvidence


class _Pages(gym.Env):
    """Stands in for WebEnv's observation dicts: page i has one heading; the episode ends at step `end`."""

    def __init__(self, end: int, early_stop: str = "") -> None:
        self.end, self.early_stop, self.i, self.answer = end, early_stop, 0, None

    def _obs(self):
        return {
            "url": f"http://site/{self.i}",
            "nodes": [(1, "heading", f"Page {self.i}")],
            "screenshot": None,
        }

    def reset(self, **kwargs):
        self.i = 0
        return self._obs(), {}

    def step(self, action):
        self.i += 1
        done = self.i == self.end
        info = {"early_stop": self.early_stop} if done and self.early_stop else {}
        if done:
            self.answer = f"Early stop: {self.early_stop}" if self.early_stop else "$12"
        return self._obs(), 0.0, done, False, info


@pytest.mark.parametrize(("early_stop", "answer"), [("", "$12"), ("3 unparsable actions in a row", None)])
def test_evidence_keeps_the_last_pages_and_drops_an_early_stop_answer(tmp_path, early_stop, answer):
    env = JudgeEvidence(_Pages(end=4, early_stop=early_stop), str(tmp_path / "ev"), str(tmp_path), 3, 50)
    env.reset()
    for _ in range(4):
        *_, info = env.step("x")
    evidence = info["evidence"]
    assert evidence["answer"] == answer
    assert evidence["pages"] == [f"URL: http://site/{i}\n[1] heading 'Page {i}'" for i in (2, 3, 4)]
