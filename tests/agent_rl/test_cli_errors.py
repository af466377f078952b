"""Bad command lines end in one line on stderr and exit code 2, never a usage block or a traceback."""

import subprocess
import sys

import pytest


def agent_rl(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent_rl.cli", *argv], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["serve", "--model", "m", "--port", "abc"], "invalid int value: 'abc'; see `agent-rl serve --help`"),
        (["data", "generate", "--episodes", "10", "--out", "{file}/sub"], "Not a directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, argv, reason):
    afile = tmp_path / "afile"
    afile.write_text("")
    done = agent_rl(*(a.replace("{file}", str(afile)) for a in argv))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert reason in done.stderr
