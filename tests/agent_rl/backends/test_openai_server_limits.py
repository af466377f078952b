"""The model server under hostile and careless clients: the official `openai` client, raw sockets, 50 at once.

Each test names a failure of the old server (issue 16) and asserts the answer a client now gets.
"""

import json
import math
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from PIL import Image

from agent_rl.backends.openai_server import ModelServer
from agent_rl.backends.openai_wire import image_data_url
from agent_rl.backends.transformers_backend import TransformersBackend

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def local(tiny_text_model):
    return TransformersBackend(tiny_text_model)


@pytest.fixture(scope="module")
def server(local):
    with ModelServer(local, model_name="tiny", batch_window_s=0.05) as running:
        yield running


def client(server, **options):
    return openai.OpenAI(base_url=server.base_url, api_key="none", max_retries=0, timeout=60, **options)


def post(server, body: bytes, path="/chat/completions", headers=None):
    """Status and decoded answer of one raw POST (bodies the openai client would never send)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        server.base_url + path, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_official_client_create_n_and_logprobs(server):
    answer = client(server).chat.completions.create(
        model="tiny", messages=HELLO, max_tokens=5, n=2, logprobs=True, temperature=1.0, seed=3
    )
    assert [c.index for c in answer.choices] == [0, 1]
    for choice in answer.choices:
        assert len(choice.logprobs.content) == len(choice.model_extra["token_ids"]) <= 5
        assert all(math.isfinite(item.logprob) and item.logprob <= 0 for item in choice.logprobs.content)
    assert answer.usage.completion_tokens == sum(len(c.model_extra["token_ids"]) for c in answer.choices)


def test_official_client_stream_yields_the_same_text_as_a_plain_call(server):
    plain = client(server).chat.completions.create(model="tiny", messages=HELLO, max_tokens=6, temperature=0)
    chunks = list(
        client(server).chat.completions.create(
            model="tiny",
            messages=HELLO,
            max_tokens=6,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) >= 3 and text == plain.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == plain.choices[0].finish_reason
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens


def test_completions_endpoint_continues_raw_text_like_the_backend(server, local):
    from agent_rl.backends.base import SamplingParams

    answer = client(server).completions.create(
        model="tiny", prompt=["2 + 2 =", "Cards:"], max_tokens=4, temperature=0, n=2, logprobs=0
    )
    want = local.complete(["2 + 2 =", "Cards:"], SamplingParams(max_new_tokens=4, temperature=0))
    assert [c.text for c in answer.choices] == [want[0].text] * 2 + [want[1].text] * 2
    assert len(answer.choices[0].logprobs.token_logprobs) == len(want[0].token_ids)
    streamed = client(server).completions.create(
        model="tiny", prompt="2 + 2 =", max_tokens=4, temperature=0, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed if c.choices) == want[0].text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_tokens", -5),
        ("max_tokens", 0),
        ("top_p", 0),
        ("top_p", 5),
        ("temperature", -1),
        ("temperature", 2.5),
        ("seed", 2**70),
        ("n", 0),
        ("n", 1000),
        ("stop", ["a", "b", "c", "d", "e"]),
    ],
)
def test_out_of_range_sampling_parameters_are_400_naming_the_field(server, field, value):
    with pytest.raises(openai.BadRequestError) as caught:
        client(server).chat.completions.create(model="tiny", messages=HELLO, **{field: value})
    assert field in caught.value.message


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}',
        b'{"messages": [{"role": "user", "content": "hi"}], "temperature": Infinity}',
        b'{"messages": [{"role": "user", "content": "hi"}], "top_p": -Infinity}',
        b'{"messages": [{"role": "user", "content": "hi"}], "n": [2]}',
        b'{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "x.png"}]}]}',
        b'{"messages": [{"role": "user", "content": "hi"}], "temprature": 0.5}',
        b'{"messages": []}',
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe not json",
        b"[1, 2]",
    ],
)
def test_malformed_requests_are_400_with_a_json_error(server, body):
    status, answer = post(server, body)
    assert status == 400 and answer["error"]["message"]


def test_http_images_are_refused_and_nothing_is_fetched(server):
    part = {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/x.png"}}
    status, answer = post(server, json.dumps({"messages": [{"role": "user", "content": [part]}]}).encode())
    assert status == 400 and "data URL" in answer["error"]["message"]


def ask_together(server, conversations):
    """Statuses of requests sent at the same instant (so that they share the server's batch window)."""
    clients = [client(server) for _ in conversations]
    together = threading.Barrier(len(conversations))

    def ask(job):
        openai_client, messages = job
        together.wait()
        try:
            openai_client.chat.completions.create(model="tiny", messages=messages, max_tokens=3, seed=1)
            return 200
        except openai.APIStatusError as err:
            return err.status_code

    with ThreadPoolExecutor(len(conversations)) as pool:
        return list(pool.map(ask, zip(clients, conversations, strict=True)))


def test_an_image_for_a_text_model_fails_alone(local):
    """It once failed 10 of 20 unrelated requests: now it is refused before it joins a batch."""
    shot = {"type": "image_url", "image_url": {"url": image_data_url(Image.new("RGB", (8, 8), "red"))}}
    bad = [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, shot]}]
    with ModelServer(local, batch_window_s=1.0) as server:  # a wide window: all six arrive in one
        assert ask_together(server, [bad] + [HELLO] * 5) == [400] + [200] * 5
        assert server.worker.batches_run == 1


class FailsOnBoom:
    """The real backend, except that a prompt saying "boom" breaks generation for its whole batch."""

    name = "fails-on-boom"

    def __init__(self, backend):
        self.backend = backend

    def generate(self, prompts, params):
        if any("boom" in str(p.messages) for p in prompts):
            raise RuntimeError("boom")
        return self.backend.generate(prompts, params)


def test_a_request_that_breaks_its_batch_fails_alone(local):
    """A seed of 2**70 once turned its batch of 6 into 500s (now it is a 400 before batching)."""
    boom = [{"role": "user", "content": "boom"}]
    with ModelServer(FailsOnBoom(local), batch_window_s=1.0) as server:
        assert ask_together(server, [boom] + [HELLO] * 5) == [500] + [200] * 5
        assert server.worker.batches_run == 7  # the shared batch failed, then each ran alone


def test_prompts_over_the_context_are_400_before_generation(server, local):
    context = local.context_length
    started = time.monotonic()
    long = [{"role": "user", "content": "7 " * context}]
    with pytest.raises(openai.BadRequestError, match="context is"):
        client(server).chat.completions.create(model="tiny", messages=long, max_tokens=4)
    huge = [{"role": "user", "content": "x" * 5_000_000}]  # once grew the process to 24 GB
    with pytest.raises(openai.BadRequestError, match="far longer than the model's context"):
        client(server).chat.completions.create(model="tiny", messages=huge, max_tokens=4)
    assert time.monotonic() - started < 20
    with pytest.raises(openai.BadRequestError, match="max_tokens"):  # prompt fits, prompt + max_tokens not
        client(server).chat.completions.create(model="tiny", messages=HELLO, max_tokens=context)


def test_bodies_over_the_limit_are_413(local):
    with ModelServer(local, max_body_bytes=64 * 1024) as server:
        status, answer = post(server, json.dumps({"messages": HELLO, "user": "x" * 100_000}).encode())
        assert status == 413 and "limit" in answer["error"]["message"]


def test_a_full_queue_is_503_not_a_hang(local):
    with ModelServer(local, max_queue=2) as server:
        with pytest.raises(openai.APIStatusError) as caught:
            client(server).chat.completions.create(model="tiny", messages=HELLO, n=3, max_tokens=2)
        assert caught.value.status_code == 503
        assert client(server).chat.completions.create(model="tiny", messages=HELLO, n=2, max_tokens=2)


def test_a_body_shorter_than_its_content_length_times_out_with_408(local):
    with ModelServer(local, read_timeout_s=1.0) as server:
        host, port = server.socket.getsockname()[:2]
        with socket.create_connection((host, port), timeout=10) as conn:
            conn.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"messages"'
            )
            started = time.monotonic()
            reply = conn.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 5


def test_fifty_concurrent_clients_see_no_reset_and_no_5xx(server):
    """The old server's listen backlog of 5 reset 3-6 of 50 concurrent connections."""
    outcomes: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()

    def user(i: int) -> None:
        for _ in range(2):
            try:
                answer = client(server).chat.completions.create(
                    model="tiny", messages=[{"role": "user", "content": f"hand {i}"}], max_tokens=2, seed=i
                )
                outcome = "ok" if answer.choices else "empty"
            except openai.APIStatusError as err:
                outcome = f"http {err.status_code}"
            except openai.APIConnectionError as err:
                outcome = f"connection: {err.__cause__!r}"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert outcomes == ["ok"] * 100, sorted(set(outcomes))
    assert time.monotonic() - started < 180


@pytest.mark.parametrize("sent", [b"", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"])
def test_a_socket_that_never_finishes_its_headers_is_closed(local, sent):
    with ModelServer(local, read_timeout_s=1.0) as server:
        with socket.create_connection(server.socket.getsockname()[:2], timeout=10) as conn:
            conn.sendall(sent)
            started = time.monotonic()
            assert conn.recv(100) == b""  # closed by the server, not by our 10 s timeout
        assert time.monotonic() - started < 5
