"""`agent-rl serve`: any local model, text or VLM, behind an OpenAI-compatible chat-completions API.

Requests that arrive together are batched into one backend call: a single worker thread owns the model,
takes the first waiting request, gathers whatever else arrives within `batch_window_s` (up to
`max_batch_size`), and answers each. Images are accepted as `data:` URLs only (nothing is fetched).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import astuple, dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent_rl.backends.base import Backend, ChatPrompt, Generation, SamplingParams


class BadRequest(ValueError):
    """The request cannot be served; its message goes back to the client as a 400."""


def decode_data_url(url: str) -> Any:
    from PIL import Image

    if not url.startswith("data:") or ";base64," not in url:
        raise BadRequest("images must be sent as base64 data URLs (data:image/png;base64,...)")
    try:
        return Image.open(io.BytesIO(base64.b64decode(url.split(";base64,", 1)[1]))).convert("RGB")
    except Exception as err:
        raise BadRequest(f"cannot decode image data URL: {err}") from None


def from_openai_messages(messages: Any) -> ChatPrompt:
    """OpenAI chat messages (inline image_url parts) to our ChatPrompt (image parts + images list)."""
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list")
    ours, images = [], []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
            raise BadRequest(f"messages[{i}] needs a role of system, user or assistant")
        content = message.get("content")
        if isinstance(content, list):
            parts = []
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text":
                    parts.append({"type": "text", "text": str(part.get("text", ""))})
                elif kind == "image_url":
                    images.append(decode_data_url(str((part.get("image_url") or {}).get("url", ""))))
                    parts.append({"type": "image"})
                else:
                    raise BadRequest(f"messages[{i}] has a content part of unknown type {kind!r}")
            content = parts
        elif not isinstance(content, str):
            raise BadRequest(f"messages[{i}].content must be a string or a list of parts")
        ours.append({"role": message["role"], "content": content})
    return ChatPrompt(messages=ours, images=images)


def sampling_from_request(body: dict[str, Any]) -> SamplingParams:
    try:
        stop = body.get("stop") or []
        return SamplingParams(
            max_new_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 256),
            temperature=float(body.get("temperature", 1.0)),
            top_p=float(body.get("top_p", 1.0)),
            seed=None if body.get("seed") is None else int(body["seed"]),
            stop=[stop] if isinstance(stop, str) else list(stop),
        )
    except (TypeError, ValueError) as err:
        raise BadRequest(f"bad sampling parameter: {err}") from None


@dataclass
class _Job:
    prompt: ChatPrompt
    params: SamplingParams
    result: Future


class BatchingWorker:
    """Owns the backend on one thread and batches jobs that share sampling parameters."""

    def __init__(self, backend: Backend, max_batch_size: int = 32, batch_window_s: float = 0.01) -> None:
        self.backend = backend
        self.max_batch_size = max_batch_size
        self.batch_window_s = batch_window_s
        self.jobs: queue.Queue[_Job | None] = queue.Queue()
        self.batches_run = 0
        self.thread = threading.Thread(target=self._loop, name="agent-rl-serve-worker", daemon=True)
        self.thread.start()

    def submit(self, prompt: ChatPrompt, params: SamplingParams) -> Future:
        job = _Job(prompt, params, Future())
        self.jobs.put(job)
        return job.result

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=10)

    def _loop(self) -> None:
        while (first := self.jobs.get()) is not None:
            batch, deadline = [first], time.monotonic() + self.batch_window_s
            while len(batch) < self.max_batch_size:
                try:
                    job = self.jobs.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if job is None:
                    self.jobs.put(None)
                    break
                batch.append(job)
            groups: dict[str, list[_Job]] = {}
            for job in batch:  # a batch shares one seed: the first request's (vLLM batches the same way)
                groups.setdefault(repr(astuple(replace(job.params, seed=None))), []).append(job)
            for jobs in groups.values():
                self._run(jobs)

    def _run(self, jobs: list[_Job]) -> None:
        self.batches_run += 1
        try:
            outputs = self.backend.generate([j.prompt for j in jobs], jobs[0].params)
        except Exception as err:  # one bad batch answers its requests with an error, the server goes on
            for job in jobs:
                job.result.set_exception(err)
            return
        for job, output in zip(jobs, outputs, strict=True):
            job.result.set_result(output)


def completion_json(model: str, generations: list[Generation], want_logprobs: bool) -> dict[str, Any]:
    choices = []
    for index, gen in enumerate(generations):
        choice: dict[str, Any] = {
            "index": index,
            "message": {"role": "assistant", "content": gen.text},
            "finish_reason": gen.finish_reason,
            "token_ids": gen.token_ids,
        }
        if want_logprobs:
            choice["logprobs"] = {
                "content": [
                    {"token": str(t), "logprob": lp}
                    for t, lp in zip(gen.token_ids, gen.logprobs, strict=True)
                ]
            }
        choices.append(choice)
    prompt_tokens = len(generations[0].prompt_token_ids) if generations else 0
    completion_tokens = sum(len(g.token_ids) for g in generations)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class ModelServer:
    """An OpenAI-compatible server on a thread: `with ModelServer(backend) as server: server.base_url`."""

    def __init__(
        self,
        backend: Backend,
        model_name: str = "default",
        host: str = "127.0.0.1",
        port: int = 0,
        max_batch_size: int = 32,
        batch_window_s: float = 0.01,
    ) -> None:
        self.model_name = model_name
        self.worker = BatchingWorker(backend, max_batch_size, batch_window_s)
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="agent-rl-serve", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ModelServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.worker.close()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test and CLI output quiet
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str) -> None:
                self._send(status, {"error": {"message": message, "type": "invalid_request_error"}})

            def do_GET(self) -> None:
                if self.path.rstrip("/") in ("/v1/models", "/models"):
                    self._send(
                        200, {"object": "list", "data": [{"id": server.model_name, "object": "model"}]}
                    )
                elif self.path.rstrip("/") in ("/health", "/v1/health"):
                    self._send(200, {"status": "ok"})
                else:
                    self._error(404, f"no route {self.path}; use POST /v1/chat/completions")

            def do_POST(self) -> None:
                if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                    self._error(404, f"no route {self.path}; use POST /v1/chat/completions")
                    return
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = json.loads(self.rfile.read(length) or b"{}")
                    if not isinstance(body, dict):
                        raise BadRequest("the request body must be a JSON object")
                    prompt = from_openai_messages(body.get("messages"))
                    params = sampling_from_request(body)
                    n = int(body.get("n", 1))
                    if not 1 <= n <= 16:
                        raise BadRequest("n must be between 1 and 16")
                except (BadRequest, json.JSONDecodeError, ValueError) as err:
                    self._error(HTTPStatus.BAD_REQUEST, str(err))
                    return
                futures = [server.worker.submit(prompt, params) for _ in range(n)]
                try:
                    generations = [f.result() for f in futures]
                except Exception as err:
                    self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"generation failed: {err}")
                    return
                self._send(200, completion_json(server.model_name, generations, bool(body.get("logprobs"))))

        return Handler


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    parser = add("serve", None, "serve a local model over an OpenAI-compatible API")
    parser.set_defaults(main=main)
    parser.add_argument(
        "--model", required=True, help="local folder (e.g. from `agent-rl model tiny`) or hub id"
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback by default)")
    parser.add_argument("--name", default=None, help="model name reported by the API (default: --model)")
    parser.add_argument("--max-batch-size", type=int, default=32)


def main(args: argparse.Namespace) -> int:
    from agent_rl.backends.transformers_backend import TransformersBackend

    backend = TransformersBackend(args.model, max_batch_size=args.max_batch_size)
    server = ModelServer(backend, args.name or str(args.model), args.host, args.port, args.max_batch_size)
    print(f"serving {args.model} at {server.base_url} (OpenAI-compatible; Ctrl-C stops)", flush=True)
    server.start()
    try:
        server.thread.join()
    finally:
        server.stop()
    return 0


class ServedModel:
    """A `Backend` that starts `agent-rl serve` for a local model on a free loopback port (in this process)
    and talks to it over HTTP, so a recipe exercises the same path as a separately started server."""

    name = "served"

    def __init__(self, model: str, max_batch_size: int = 32, **client_options: Any) -> None:
        from agent_rl.backends.openai_backend import OpenAIBackend
        from agent_rl.backends.transformers_backend import TransformersBackend

        local = TransformersBackend(model, max_batch_size=max_batch_size)
        self.server = ModelServer(local, model_name=str(model), max_batch_size=max_batch_size).start()
        self.client = OpenAIBackend(self.server.base_url, model=str(model), **client_options)
        self.revision = str(model)

    def generate(self, prompts: list[ChatPrompt], params: SamplingParams) -> list[Generation]:
        return self.client.generate(prompts, params)

    def close(self) -> None:
        self.server.stop()
