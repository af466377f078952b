"""`agent-rl serve --model smollm2-135m`: the CLI, as a real process on loopback, answers a chat completion."""

import socket
import subprocess
import sys
import time

import pytest

from agent_rl.backends.base import ChatPrompt, SamplingParams
from agent_rl.backends.openai_backend import OpenAIBackend

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"agent-rl serve did not listen on {port} within {timeout} s")


def test_serve_builtin_model_answers_a_chat_completion(smollm2_dir):
    port = free_port()
    cmd = [sys.executable, "-m", "agent_rl.cli", "serve", "--model", "smollm2-135m", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(port, proc)
        client = OpenAIBackend(f"http://127.0.0.1:{port}/v1", model="smollm2-135m")
        prompt = ChatPrompt(messages=[{"role": "user", "content": "What is the capital of France?"}])
        (answer,) = client.generate([prompt], SamplingParams(max_new_tokens=16, temperature=0.0))
        assert "Paris" in answer.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
