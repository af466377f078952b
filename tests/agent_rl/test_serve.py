"""`agent-rl serve`: a bad --port or --host is one line and exit code 2, before any model is loaded."""

import socket
import subprocess
import sys

import pytest


def serve(*argv: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "agent_rl.cli", "serve", "--model", "/no/such/model", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--port", "-1"], "a port is 0-65535"),
        (["--port", "99999"], "a port is 0-65535"),
        (["--host", "256.1.1.1"], "cannot listen on 256.1.1.1"),
        (["--host", "10.255.255.1"], "Cannot assign requested address"),
        (["--max-queue", "0"], "max_queue"),
    ],
)
def test_bad_server_options_are_one_line(argv, reason):
    done = serve(*argv)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert reason in done.stderr and done.stderr.startswith("agent-rl serve: error:")


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = serve("--port", str(taken.getsockname()[1]))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "Address already in use" in done.stderr and "pick another --port" in done.stderr
