"""The model server on loopback, reached through the OpenAI-compatible backend."""

import json
import socket
import threading
import time
import urllib.request

import pytest
from PIL import Image

from agent_rl.backends.base import ChatPrompt, SamplingParams
from agent_rl.backends.openai_backend import BackendError, OpenAIBackend
from agent_rl.backends.openai_server import ModelServer
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.models.tiny import build_tiny_text_model, build_tiny_vlm
from evaluator.judge import Judge, JudgeInput


@pytest.fixture(scope="module")
def text_server(tiny_text_model):
    local = TransformersBackend(tiny_text_model)
    with ModelServer(local, model_name="tiny") as server:
        yield server, local


def chat(text):
    return ChatPrompt(messages=[{"role": "user", "content": text}])


def test_served_text_model_matches_in_process_greedy_generation(text_server):
    server, local = text_server
    remote = OpenAIBackend(server.base_url, model="tiny")
    prompts = [chat("Cards: ['A', '3', 'K', '10']"), chat("hello"), chat("24")]
    params = SamplingParams(max_new_tokens=12, temperature=0.0)
    got = remote.generate(prompts, params)
    want = local.generate(prompts, params)
    assert [g.text for g in got] == [w.text for w in want]
    assert [g.token_ids for g in got] == [w.token_ids for w in want]
    assert all(len(g.logprobs) == len(g.token_ids) for g in got)


def test_concurrent_requests_are_batched(text_server):
    server, _ = text_server
    before = server.worker.batches_run
    remote = OpenAIBackend(server.base_url, model="tiny", concurrency=8)
    remote.generate([chat(f"hand {i}") for i in range(8)], SamplingParams(max_new_tokens=4, temperature=0.0))
    assert server.worker.batches_run - before < 8


def test_bad_requests_get_a_400_with_a_reason(text_server):
    server, _ = text_server
    request = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=json.dumps({"messages": "not a list"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert "messages" in json.loads(caught.value.read())["error"]["message"]
    with pytest.raises(BackendError, match="cannot send .*role"):  # the client checks the wire format too
        OpenAIBackend(server.base_url).generate(
            [ChatPrompt(messages=[{"role": "robot", "content": "x"}])], SamplingParams(max_new_tokens=2)
        )


def test_unreachable_server_gives_a_clear_error_after_retries():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", max_retries=2, backoff_s=0.01, timeout_s=2)
    started = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach .* after 3 tries.*agent-rl serve"):
        backend.generate([chat("hi")], SamplingParams(max_new_tokens=2))
    assert time.monotonic() - started < 10


def test_retries_ride_out_a_server_that_starts_late(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model_dir = build_tiny_text_model(tmp_path / "m", seed=1)
    servers = []

    def start_late():
        time.sleep(0.5)
        servers.append(ModelServer(TransformersBackend(model_dir), port=port).start())

    thread = threading.Thread(target=start_late)
    thread.start()
    try:
        backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", max_retries=6, backoff_s=0.2)
        [out] = backend.generate([chat("hi")], SamplingParams(max_new_tokens=3, temperature=0.0))
        assert isinstance(out.text, str)
    finally:
        thread.join()
        for server in servers:
            server.stop()


def test_served_vlm_takes_images_as_data_urls_and_judges(tmp_path):
    model_dir = build_tiny_vlm(tmp_path / "vlm", seed=0)
    with ModelServer(TransformersBackend(model_dir), model_name="tiny-vlm") as server:
        judge = Judge(OpenAIBackend(server.base_url, model="tiny-vlm"), mode="vlm", max_new_tokens=8)
        shot = Image.new("RGB", (64, 48), (200, 30, 30))
        verdicts = judge.judge([JudgeInput(task="Open the cart", answer="done", screenshots=[shot, shot])])
    assert len(verdicts) == 1
    # An untrained model writes no verdict line: that is a failure, flagged as unparsable.
    assert verdicts[0].success is False and verdicts[0].parsed is False


def test_a_served_model_scores_continuations_in_process_and_the_openai_client_cannot(tiny_text_model):
    from agent_rl.backends.openai_server import ServedModel
    from agent_rl.errors import UserError

    prompts, endings = [chat("hello"), chat("24")], [" SUCCESS", " NOT SUCCESS"]
    served = ServedModel(str(tiny_text_model))
    try:
        assert served.score(prompts, endings, ["Verdict:"] * 2) == served.local.score(
            prompts, endings, ["Verdict:"] * 2
        )
        assert Judge(served, mode="text", verdict="scored").judge([JudgeInput(task="t", answer="a")])
        with pytest.raises(UserError, match="scores continuations"):
            Judge(served.client, mode="text", verdict="scored")
    finally:
        served.close()
