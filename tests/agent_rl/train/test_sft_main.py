import pytest

from agent_rl.train.sft import main


@pytest.mark.parametrize(
    "config, message",
    [
        ("lr: -1", "must be the settings as a JSON object"),
        ("[1]", "not a JSON object"),
        ('{"lr": -1}', "--config lr: Input should be greater than 0"),
        ('{"no_such_setting": 1}', "no_such_setting"),
    ],
)
def test_bad_config_is_one_line_before_anything_is_written(tmp_path, capsys, config, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "tiny", "--out", str(out), "--config", config])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()
