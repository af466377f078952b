"""Bad command lines end in one line on stderr and exit code 2, never a usage block or a traceback, and fail
before any model is loaded (the model named here does not exist: reaching it would be another error)."""

import socket
import subprocess
import sys

import pytest

from agent_rl.cli import main

MODEL = "no-such-model"  # if a check let a bad value through, the command would fail on this name instead
RECIPE = """\
name: bad-inputs
model: tiny
stages:
  - name: sft
    type: sft
  - name: rl
    type: rl
    inputs: {model: sft.checkpoint}
"""


def cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit code and stderr of `agent-rl ARGV`, run in this process."""
    try:
        code = main(argv)
    except SystemExit as done:  # argparse's usage errors exit from inside the parser
        code = done.code
    return code, capsys.readouterr().err


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """Placeholders of the bad inputs: a plain file, deeply nested JSON and YAML, a recipe, an empty run."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a check that fails to fire must not wait on the network
    (tmp_path / "afile").write_text("")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "deep.yaml").write_text(RECIPE + "    rl: " + "[" * 5_000 + "]" * 5_000 + "\n")
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    (tmp_path / "no_stages.yaml").write_text("name: x\nmodel: tiny\nstages: []\n")
    (tmp_path / "empty_run").mkdir()
    (tmp_path / "empty_run" / "episodes.jsonl").write_text("")
    return {
        "{file}": str(tmp_path / "afile"),
        "{tmp}": str(tmp_path),
        "{deep.json}": str(tmp_path / "deep.json"),
        "{deep.yaml}": str(tmp_path / "deep.yaml"),
        "{recipe}": str(tmp_path / "recipe.yaml"),
        "{no_stages}": str(tmp_path / "no_stages.yaml"),
        "{empty_run}": str(tmp_path / "empty_run"),
    }


def fill(argv: list[str], inputs: dict[str, str]) -> list[str]:
    for key, value in inputs.items():
        argv = [arg.replace(key, value) for arg in argv]
    return argv


EVAL_GP = ["eval", "generalpoints", "--model", MODEL, "--out", "{tmp}/e"]  # a later --out wins
WEBARENA = ["eval", "webarena", "--bundled", "--model", "oracle"]
JUDGE = ["eval", "judge", "--model", MODEL, "--runs", "{empty_run}"]
RUN = ["run", "{recipe}", "--out", "{tmp}/run"]
UNDER_A_FILE = ["--out", "{file}/sub"]
IN_PROC = ["--out", "/proc/agent-rl-test"]

BAD = [
    # eval generalpoints: every option in its typed model
    ([*EVAL_GP, "--seed", "-1"], "--seed: Input should be greater than or equal to 0"),
    ([*EVAL_GP, "--temperature", "nan"], "--temperature: Input should be a finite number"),
    ([*EVAL_GP, "--temperature", "-1"], "--temperature: Input should be greater than or equal to 0"),
    ([*EVAL_GP, "--top-p", "0"], "--top-p: Input should be greater than 0"),
    ([*EVAL_GP, "--episodes", "100000000"], "--episodes: Input should be less than or equal to 10000"),
    ([*EVAL_GP, "--episodes", "0"], "--episodes: Input should be greater than or equal to 1"),
    ([*EVAL_GP, "--batch-size", "0"], "--batch-size: Input should be greater than or equal to 1"),
    ([*EVAL_GP, "--modality", "audio"], "--modality: Input should be 'text' or 'vision'"),
    ([*EVAL_GP, "--variant", "visual_ood"], "visual_ood differs from id only in the card images"),
    ([*EVAL_GP, "--variant", "nope"], "--variant: Input should be 'id', 'rule_ood' or 'visual_ood'"),
    ([*EVAL_GP, "--backend", "openai"], "--backend openai needs --base-url"),
    ([*EVAL_GP, "--base-url", "http://127.0.0.1:1/v1"], "--base-url goes with --backend openai"),
    ([*EVAL_GP[:3], "/no/such/model", "--out", "{tmp}/e"], "a local folder made by `agent-rl model tiny"),
    ([*EVAL_GP, *UNDER_A_FILE], "is under the file"),
    ([*EVAL_GP, *IN_PROC], "nothing can be written in /proc"),
    ([*EVAL_GP, "--out", "{file}"], "is a file, and --out is a folder"),
    # eval webarena
    ([*WEBARENA, "--max-steps", "-1", "--out", "{tmp}/wa"], "--max-steps: Input should be greater than"),
    ([*WEBARENA, "--parallel", "0", "--out", "{tmp}/wa"], "--parallel: Input should be greater than"),
    ([*WEBARENA, *UNDER_A_FILE], "is under the file"),
    ([*WEBARENA, *IN_PROC], "nothing can be written in /proc"),
    (
        ["eval", "webarena", "--tasks", "{deep.json}", "--model", "oracle", "--out", "{tmp}/wa"],
        "nested too deeply",
    ),
    (["validate", "webarena", "--tasks", "{deep.json}"], "nested too deeply"),
    # eval judge
    ([*JUDGE, "--last-k", "-3", "--out", "{tmp}/j"], "argument --last-k: Input should be greater than"),
    ([*JUDGE, "--max-new-tokens", "0", "--out", "{tmp}/j"], "argument --max-new-tokens: Input should be"),
    ([*JUDGE, "--out", "{tmp}/j"], "no rule-scored episodes"),  # not kappa 1.0 over nothing
    ([*JUDGE, *UNDER_A_FILE], "is under the file"),
    ([*JUDGE, *IN_PROC], "nothing can be written in /proc"),
    # bench: the benchmark's own options, not replaced by defaults
    (["bench", "rollout", "--episodes", "0"], "argument --episodes: Input should be greater than"),
    (["bench", "rl", "--group", "0"], "argument --group: Input should be greater than"),
    (["bench", "rl", "--group", "1"], "argument --group: Input should be greater than or equal to 2"),
    (["bench", "rollout", "--seed", "-1"], "argument --seed: Input should be greater than"),
    (["bench", "rollout", "--nope"], "unrecognized arguments: --nope"),
    (
        ["bench", "web", "--parallel", "1,0"],
        "argument --parallel: Input should be greater than or equal to 1",
    ),
    (["bench", "web", "--parallel", "1,x"], "argument --parallel: Input should be a valid integer"),
    (["bench", "rollout", *UNDER_A_FILE], "is under the file"),
    (["bench", "rollout", *IN_PROC], "nothing can be written in /proc"),
    # data generate
    (["data", "generate", "--episode-steps", "0", "--out", "{tmp}/d"], "argument --episode-steps: Input"),
    (["data", "generate", "--env", "cube-singel-play-v0", "--out", "{tmp}/d"], "no OGBench environment"),
    (["data", "generate", *UNDER_A_FILE], "is under the file"),
    (["data", "generate", *IN_PROC], "nothing can be written in /proc"),
    # run: the recipe's settings, checked at load time with the field's path
    (["run", "{no_stages}", "--out", "{tmp}/run"], "stages: List should have at least 1 item"),
    ([*RUN, "--set", "stages.rl.rl.iterations=-1"], "stages[1].rl.iterations: Input should be greater"),
    ([*RUN, "--set", "stages.rl.rl.micro_batch_size=0"], "stages[1].rl.micro_batch_size: Input should be"),
    ([*RUN, "--set", "stages.rl.rl.group_size=0"], "stages[1].rl.group_size: Input should be greater"),
    ([*RUN, "--set", "stages.rl.rl.hands_per_iter=0"], "stages[1].rl.hands_per_iter: Input should be"),
    ([*RUN, "--set", "stages.rl.rl.temperature=.nan"], "stages[1].rl.temperature: Input should be a finite"),
    ([*RUN, "--set", "stages.rl.rl.lr=0"], "stages[1].rl.lr: Input should be greater than 0"),
    ([*RUN, "--set", "stages.rl.rl.gamma=1.5"], "stages[1].rl.gamma: Input should be less than or equal"),
    ([*RUN, "--set", "stages.sft.sft.batch_size=0"], "stages[0].sft.batch_size: Input should be greater"),
    ([*RUN, "--set", "seed=-1"], "seed: Input should be greater than or equal to 0"),
    ([*RUN, "--set", "tiny.hidden_size=0"], "tiny.hidden_size: Input should be greater than or equal to 1"),
    ([*RUN, "--set", "tiny.image_size=64"], "tiny.image_size is for `model: tiny-vlm`"),
    (["run", "{deep.yaml}", "--out", "{tmp}/run"], "nested too deeply"),
    (["run", "{recipe}", *UNDER_A_FILE], "is under the file"),
    (["run", "{recipe}", *IN_PROC], "nothing can be written in /proc"),
    (["model", "tiny", *UNDER_A_FILE], "is under the file"),
    (["model", "tiny", "--out", "{tmp}/m", "--layers", "0"], "argument --layers: Input should be greater"),
    (["eval", "miniwob", "--model", "random", "--out", "{tmp}/w", "--temperature", "inf"], "a finite number"),
    (["eval", "miniwob", "--model", "random", "--out", "{tmp}/w", "--episodes", "0"], "argument --episodes:"),
    (["sites", "serve", "--port", "70000"], "argument --port: Input should be less than or equal to 65535"),
    (["sites", "serve", "--seed", "-1"], "argument --seed: Input should be greater than or equal to 0"),
    # serve: port and host checked before the model loads
    (["serve", "--model", MODEL, "--port", "-1"], "a port is 0-65535"),
    (["serve", "--model", MODEL, "--port", "99999"], "a port is 0-65535"),
    (["serve", "--model", MODEL, "--host", "256.0.0.1"], "cannot listen on 256.0.0.1"),
    (["serve", "--model", MODEL, "--port", "abc"], "invalid int value: 'abc'"),
]


@pytest.mark.parametrize(("argv", "reason"), BAD, ids=[" ".join(argv) for argv, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(argv, reason, inputs, capsys):
    code, err = cli(fill(argv, inputs), capsys)
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert "Traceback" not in err and reason in err, err


def test_a_port_in_use_is_one_line(inputs, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, err = cli(["serve", "--model", MODEL, "--port", port], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and f"cannot listen on 127.0.0.1:{port}" in err


def test_a_refused_value_names_the_field_in_a_recipe_file_too(inputs, tmp_path, capsys):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(RECIPE + "    rl: {iterations: 0}\n")
    code, err = cli(["run", str(recipe), "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and f"{recipe}: stages[1].rl.iterations: Input should be greater" in err
    assert not (tmp_path / "run").exists()  # refused at load time: no folder, no model


def test_the_installed_command_exits_2_with_one_line(tmp_path):
    """The same through a real process: the exit code and stderr a shell sees."""
    (tmp_path / "afile").write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "agent_rl.cli", "data", "generate", "--out", str(tmp_path / "afile" / "s")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "is under the file" in done.stderr
    assert done.stdout == ""
