"""The judge's input: the episode stores of `webarena eval` folders, read by the shared JSONL reader."""

import pytest

from agent_rl.commands.judge import ruled_episodes
from agent_rl.errors import UserError


def test_a_garbage_line_is_one_clear_error(tmp_path):
    (tmp_path / "episodes.jsonl").write_text('garbage\n{"episode_id": "a"}\n')
    with pytest.raises(UserError, match="episodes.jsonl line 1 is corrupt"):
        ruled_episodes([tmp_path])


def test_an_empty_run_is_refused_not_scored(tmp_path):
    (tmp_path / "episodes.jsonl").write_text(
        '{"episode_id": "a", "task": {}, "turns": []}\n{"episode_id": "b", "tur'
    )
    with pytest.raises(UserError, match="no rule-scored episodes"):
        ruled_episodes([tmp_path])
