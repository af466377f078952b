"""An output folder keeps the settings it was started with: a differing rerun is refused, naming the fields."""

import pytest

from agent_rl.core.run_settings import changed_settings, claim_settings
from agent_rl.errors import UserError


def test_changes_are_named_by_their_dotted_path_with_both_values():
    before = {"seed": 1, "stages": [{"rl": {"lr": 1e-5, "epochs": 2}}], "model": "tiny"}
    now = {"seed": 5, "stages": [{"rl": {"lr": 1e-3, "epochs": 2}}], "model": "tiny"}
    assert changed_settings(before, now) == ["seed 1 -> 5", "stages.0.rl.lr 1e-05 -> 0.001"]
    assert changed_settings(before, before) == []


@pytest.mark.parametrize("name", ["settings.json", "config.resolved.yaml"])
def test_a_started_run_refuses_other_settings_and_keeps_its_file(tmp_path, name):
    path = tmp_path / "run" / name
    claim_settings(path, {"model": "oracle", "max_steps": 30, "out": tmp_path}, started=False, hint="fix it")
    before = path.read_text()
    claim_settings(path, {"model": "oracle", "max_steps": 30, "out": tmp_path}, started=True, hint="fix it")
    with pytest.raises(UserError, match=r"started with other settings \(model 'oracle' -> 'wrong'\); fix it"):
        claim_settings(
            path, {"model": "wrong", "max_steps": 30, "out": tmp_path}, started=True, hint="fix it"
        )
    assert path.read_text() == before


def test_a_folder_with_nothing_started_is_claimed_afresh(tmp_path):
    path = tmp_path / "settings.json"
    claim_settings(path, {"seed": 0}, started=False, hint="")
    claim_settings(path, {"seed": 5}, started=False, hint="")
    assert '"seed": 5' in path.read_text()


def test_a_corrupt_settings_file_is_one_clear_error(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"seed": ')
    with pytest.raises(UserError, match="is corrupt"):
        claim_settings(path, {"seed": 0}, started=True, hint="")
