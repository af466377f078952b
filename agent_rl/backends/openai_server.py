"""Serve any local backend over the OpenAI API: an ASGI app (Starlette) on uvicorn, in a background thread.

`POST /v1/chat/completions` and `POST /v1/completions` (both as in vLLM's server, which users swap in), with
`n` choices and `stream: true` as server-sent events; `GET /v1/models` and `/health`.

One worker thread owns the backend. It takes the first waiting request, gathers what else arrives within
`batch_window_s` (up to `max_batch_size`), and runs requests that share sampling settings as one batch; the
batch takes its first request's seed, as a vLLM batch shares one generator. Requests are isolated: when a
batch fails, each of its requests is run alone, so only the bad one gets an error. Limits answer at once,
before any generation: a body over `max_body_bytes` is 413, a body that does not arrive within
`read_timeout_s` is 408, a prompt over the model's context (with `max_tokens` on top) is 400, and a full
queue (`max_queue` waiting or running choices) is 503. A socket that sends no complete request headers
within `read_timeout_s` (of connecting or of its previous answer) is closed; so are keep-alive sockets idle
for `keep_alive_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from dataclasses import astuple, dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.backends import openai_wire as wire
from agent_rl.backends.base import Backend, ChatPrompt, Generation, SamplingParams
from agent_rl.errors import UserError

CHARS_PER_TOKEN_BOUND = (
    64  # no tokeniser averages more characters per token: longer prompts are refused unread
)


class RequestError(Exception):
    """A request the server refuses, with its HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ServerLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_batch_size: int = Field(32, ge=1)
    batch_window_s: float = Field(0.01, ge=0)
    max_queue: int = Field(256, ge=1)  # choices waiting or running; beyond it requests get a 503
    max_body_bytes: int = Field(16 * 2**20, ge=1024)
    read_timeout_s: float = Field(30.0, gt=0)
    keep_alive_s: int = Field(5, ge=1)
    max_connections: int = Field(1024, ge=1)
    default_max_tokens: int = Field(256, ge=1)  # chat requests that name no max_tokens


@dataclass
class _Job:
    prompt: ChatPrompt | str  # a string is raw text for /v1/completions (no chat template)
    params: SamplingParams
    result: Future


class BatchingWorker:
    """Owns the backend on one thread and batches jobs that share sampling parameters."""

    def __init__(self, backend: Backend, limits: ServerLimits) -> None:
        self.backend = backend
        self.limits = limits
        self.context = getattr(backend, "context_length", None)
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.batches_run = 0
        self._pending = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="agent-rl-serve-worker", daemon=True)
        self.thread.start()

    def submit(self, prompts: list[ChatPrompt | str], params: SamplingParams) -> list[Future]:
        """Queue one job per prompt, all or none: a full queue is a 503 for the whole request."""
        if self.context is not None and any(
            wire.prompt_chars(p) > CHARS_PER_TOKEN_BOUND * self.context for p in prompts
        ):
            raise RequestError(
                400, f"the prompt is far longer than the model's context of {self.context} tokens"
            )
        with self._lock:
            if self._stopping.is_set():
                raise RequestError(503, "the server is shutting down")
            if self._pending + len(prompts) > self.limits.max_queue:
                raise RequestError(503, f"the server is busy ({self._pending} choices queued); retry shortly")
            self._pending += len(prompts)
        jobs = [_Job(prompt, params, Future()) for prompt in prompts]
        for job in jobs:
            job.result.add_done_callback(self._release)
            self.jobs.put(job)
        return [job.result for job in jobs]

    def close(self) -> None:
        self._stopping.set()
        self.thread.join(timeout=30)

    def _release(self, _: Future) -> None:
        with self._lock:
            self._pending -= 1

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self.jobs.get(timeout=0.1)
            except queue.Empty:
                continue
            batch, deadline = [first], time.monotonic() + self.limits.batch_window_s
            while len(batch) < self.limits.max_batch_size:
                try:
                    batch.append(self.jobs.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            groups: dict[str, list[_Job]] = {}
            for job in batch:
                if job.result.set_running_or_notify_cancel():  # False: its client gave up waiting
                    key = (isinstance(job.prompt, str), astuple(replace(job.params, seed=None)))
                    groups.setdefault(repr(key), []).append(job)
            for jobs in groups.values():
                try:
                    self._run([job for job in jobs if self._fits(job)])
                except Exception as err:  # never let the worker die: answer whatever is left
                    for job in jobs:
                        if not job.result.done():
                            job.result.set_exception(err)
        while not self.jobs.empty():  # answer what is left rather than leave clients hanging
            if (left := self.jobs.get().result).set_running_or_notify_cancel():
                left.set_exception(RequestError(503, "the server is shutting down"))

    def _fits(self, job: _Job) -> bool:
        """Check the prompt against the model's context; a job that does not fit is answered with a 400."""
        counter = getattr(self.backend, "count_prompt_tokens", None)
        if self.context is None or counter is None:
            return True
        try:
            tokens = counter(job.prompt)
        except Exception as err:
            job.result.set_exception(err)
            return False
        wanted = tokens + job.params.max_new_tokens
        if wanted > self.context:
            job.result.set_exception(
                RequestError(
                    400,
                    f"this model's context is {self.context} tokens; you asked for {wanted} "
                    f"({tokens} in the prompt, {job.params.max_new_tokens} in max_tokens): "
                    "shorten the prompt or lower max_tokens",
                )
            )
            return False
        return True

    def _run(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        self.batches_run += 1
        try:
            if isinstance(jobs[0].prompt, str):
                outputs = self.backend.complete([j.prompt for j in jobs], jobs[0].params)  # type: ignore[attr-defined]
            else:
                outputs = self.backend.generate([j.prompt for j in jobs], jobs[0].params)  # type: ignore[misc]
        except Exception as err:
            if len(jobs) == 1:
                jobs[0].result.set_exception(err)
            else:  # one bad request must not fail the others: find it by running each alone
                for job in jobs:
                    self._run([job])
            return
        for job, output in zip(jobs, outputs, strict=True):
            job.result.set_result(output)


def _status(err: BaseException) -> int:
    if isinstance(err, RequestError):
        return err.status
    return 400 if isinstance(err, (wire.WireError, UserError)) else 500


def _error_response(status: int, message: str) -> Any:
    from starlette.responses import JSONResponse

    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": status}}, status)


async def _read_json(request: Any, limits: ServerLimits) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limits.max_body_bytes):
        raise RequestError(
            413, f"the request body is over the server's limit of {limits.max_body_bytes} bytes"
        )
    chunks: list[bytes] = []

    async def collect() -> None:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_body_bytes:
                raise RequestError(
                    413, f"the request body is over the server's limit of {limits.max_body_bytes} bytes"
                )
            chunks.append(chunk)

    try:
        await asyncio.wait_for(collect(), limits.read_timeout_s)
    except asyncio.TimeoutError:
        raise RequestError(
            408, f"the request body did not arrive within {limits.read_timeout_s:g} s"
        ) from None
    try:
        return json.loads(b"".join(chunks) or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RequestError(400, f"the body is not valid JSON: {err}") from None
    except RecursionError:
        raise RequestError(400, "the body's JSON is nested too deeply") from None


def _sse(events: list[BaseModel]) -> Any:
    from starlette.responses import StreamingResponse

    async def body() -> AsyncIterator[str]:
        for event in events:
            yield f"data: {event.model_dump_json(exclude_none=True)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


class ModelServer:
    """`with ModelServer(backend) as server: server.base_url`: the OpenAI API on a loopback port."""

    def __init__(
        self,
        backend: Backend,
        model_name: str = "default",
        host: str = "127.0.0.1",
        port: int = 0,
        max_batch_size: int = 32,
        batch_window_s: float = 0.01,
        **limits: Any,
    ) -> None:
        import uvicorn

        self.model_name = model_name
        self.limits = ServerLimits(max_batch_size=max_batch_size, batch_window_s=batch_window_s, **limits)
        self.socket = listen(host, port)
        self.worker = BatchingWorker(backend, self.limits)
        config = uvicorn.Config(
            self.app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http=_read_deadline_protocol(self.limits.read_timeout_s),
            timeout_keep_alive=self.limits.keep_alive_s,
            limit_concurrency=self.limits.max_connections,
            backlog=2048,
        )
        self.uvicorn = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.uvicorn.run, kwargs={"sockets": [self.socket]}, name="agent-rl-serve", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/v1"

    def client_spec(self) -> dict[str, Any]:
        """The backend spec (`make_backend`) that reaches this server: what workers are given."""
        return {"type": "openai", "base_url": self.base_url, "model": self.model_name}

    def start(self) -> ModelServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.uvicorn.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the model server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.uvicorn.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.worker.close()
        self.socket.close()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the ASGI app ----------------------------------------------------------------------------------

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.exceptions import HTTPException
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def models(request: Any) -> Any:
            return JSONResponse({"object": "list", "data": [{"id": self.model_name, "object": "model"}]})

        async def health(request: Any) -> Any:
            return JSONResponse({"status": "ok"})

        async def refused(request: Any, err: Exception) -> Any:
            if isinstance(err, HTTPException):
                return _error_response(err.status_code, f"{err.detail}: {request.method} {request.url.path}")
            return _error_response(_status(err), str(err))

        post, get = ["POST"], ["GET"]
        routes = [
            Route(path, handler, methods=methods)
            for prefix in ("/v1", "")
            for path, handler, methods in (
                (f"{prefix}/chat/completions", self._chat, post),
                (f"{prefix}/completions", self._completions, post),
                (f"{prefix}/models", models, get),
                (f"{prefix}/health", health, get),
            )
        ]
        return Starlette(
            routes=routes,
            exception_handlers={
                HTTPException: refused,
                RequestError: refused,
                wire.WireError: refused,
                UserError: refused,
            },
        )

    async def _generate(self, prompts: list[ChatPrompt | str], params: SamplingParams) -> list[Generation]:
        futures = self.worker.submit(prompts, params)
        try:
            return list(await asyncio.gather(*(asyncio.wrap_future(f) for f in futures)))
        except Exception as err:
            status = _status(err)
            raise RequestError(status, str(err) if status < 500 else f"generation failed: {err}") from None

    async def _chat(self, request: Any) -> Any:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        req = wire.parse_request(wire.ChatCompletionRequest, await _read_json(request, self.limits))
        prompt = await run_in_threadpool(wire.to_chat_prompt, req.messages)  # decodes images off the loop
        gens = await self._generate(
            [prompt] * req.n, wire.sampling_params(req, self.limits.default_max_tokens)
        )
        usage = wire.usage(len(gens[0].prompt_token_ids), sum(len(g.token_ids) for g in gens))
        ident, created = wire.new_id("chatcmpl"), wire.now()

        def logprobs(gen: Generation) -> wire.ChoiceLogprobs | None:
            return wire.chat_logprobs(gen) if req.logprobs else None

        if not req.stream:
            choices = [
                wire.ChatChoice(
                    index=i,
                    message=wire.AssistantMessage(content=g.text),
                    finish_reason=g.finish_reason,
                    logprobs=logprobs(g),
                    token_ids=g.token_ids,
                )
                for i, g in enumerate(gens)
            ]
            answer = wire.ChatCompletion(
                id=ident, created=created, model=self.model_name, choices=choices, usage=usage
            )
            return JSONResponse(answer.model_dump(exclude_none=True))

        def chunk(
            choices: list[wire.ChunkChoice], usage: wire.Usage | None = None
        ) -> wire.ChatCompletionChunk:
            return wire.ChatCompletionChunk(
                id=ident, created=created, model=self.model_name, choices=choices, usage=usage
            )

        events = []
        for i, g in enumerate(gens):  # the text arrives whole: generation is batched, not incremental
            events.append(chunk([wire.ChunkChoice(index=i, delta=wire.Delta(role="assistant", content=""))]))
            events.append(
                chunk(
                    [
                        wire.ChunkChoice(
                            index=i,
                            delta=wire.Delta(content=g.text),
                            logprobs=logprobs(g),
                            token_ids=g.token_ids,
                        )
                    ]
                )
            )
            events.append(
                chunk([wire.ChunkChoice(index=i, delta=wire.Delta(), finish_reason=g.finish_reason)])
            )
        if req.stream_options and req.stream_options.include_usage:
            events.append(chunk([], usage))
        return _sse(events)

    async def _completions(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        req = wire.parse_request(wire.CompletionRequest, await _read_json(request, self.limits))
        if not hasattr(self.worker.backend, "complete"):
            raise RequestError(400, "this backend serves chat only: use /v1/chat/completions")
        prompts = [p for p in req.prompts for _ in range(req.n)]  # choices are ordered prompt by prompt
        gens = await self._generate(list(prompts), wire.sampling_params(req, self.limits.default_max_tokens))
        prompt_tokens = sum(len(g.prompt_token_ids) for g in gens[:: req.n])
        usage = wire.usage(prompt_tokens, sum(len(g.token_ids) for g in gens))
        ident, created = wire.new_id("cmpl"), wire.now()
        choices = [
            wire.CompletionChoice(
                index=i,
                text=(prompt if req.echo else "") + g.text,
                finish_reason=g.finish_reason,
                logprobs=wire.completion_logprobs(g) if req.logprobs is not None else None,
                token_ids=g.token_ids,
            )
            for i, (prompt, g) in enumerate(zip(prompts, gens, strict=True))
        ]
        answer = wire.Completion(
            id=ident, created=created, model=self.model_name, choices=choices, usage=usage
        )
        if not req.stream:
            return JSONResponse(answer.model_dump(exclude_none=True))
        events: list[BaseModel] = []
        for choice in choices:
            whole = choice.model_copy(update={"finish_reason": None})
            last = wire.CompletionChoice(index=choice.index, text="", finish_reason=choice.finish_reason)
            events += [answer.model_copy(update={"choices": [c], "usage": None}) for c in (whole, last)]
        if req.stream_options and req.stream_options.include_usage:
            events.append(answer.model_copy(update={"choices": []}))
        return _sse(events)


def _read_deadline_protocol(timeout_s: float) -> type:
    """uvicorn's h11 protocol, plus a deadline for request headers (uvicorn alone waits on a silent socket
    for ever, one slow client per connection slot)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class ReadDeadlineProtocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_deadline()

        def _arm_deadline(self) -> None:
            self.loop.call_later(timeout_s, self._deadline, self.cycle)

        def _deadline(self, cycle_then: Any) -> None:
            if self.cycle is cycle_then and not self.transport.is_closing():  # no new request began
                self.transport.close()

    return ReadDeadlineProtocol


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or a one-line UserError saying why there cannot be one."""
    problem = f"cannot listen on {host}:{port}"
    if not 0 <= port <= 65535:  # getaddrinfo would wrap 99999 round to another port
        raise UserError(f"{problem}: a port is 0-65535 (0 picks a free one)")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, OverflowError, UnicodeError) as err:
        raise UserError(
            f"{problem}: {err}; give a local address such as 127.0.0.1 and a port 0-65535"
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except (OSError, OverflowError) as err:
        sock.close()
        raise UserError(f"{problem}: {err}; pick another --port (0 picks a free one) or --host") from None
    return sock


@contextlib.contextmanager
def serving(backend: Backend, model_name: str = "default", **server_options: Any) -> Iterator[dict[str, Any]]:
    """Serve a local backend on a free loopback port for workers (Ray actors, other processes) for the
    duration of the block; yields the `openai` backend spec that reaches it."""
    with ModelServer(backend, model_name, **server_options) as server:
        yield server.client_spec()


class ServedModel:
    """A `Backend` that serves a local model on a free loopback port (in this process) and talks to it over
    HTTP, so a recipe exercises the same path as a separately started `agent-rl serve`. Scoring given
    continuations (`score`) has no route on the wire: it runs on the local model, in process."""

    name = "served"

    def __init__(self, model: str, max_batch_size: int = 32, **client_options: Any) -> None:
        from agent_rl.backends import make_backend
        from agent_rl.backends.transformers_backend import TransformersBackend

        self.local = TransformersBackend(model, max_batch_size=max_batch_size)
        self._stack = contextlib.ExitStack()
        spec = self._stack.enter_context(serving(self.local, str(model), max_batch_size=max_batch_size))
        self.client = make_backend({**spec, **client_options})
        self.revision = str(model)

    def generate(self, prompts: list[ChatPrompt], params: SamplingParams) -> list[Generation]:
        return self.client.generate(prompts, params)

    def score(
        self, prompts: list[ChatPrompt], continuations: list[str], reply_starts: list[str] | None = None
    ) -> list[list[float]]:
        return self.local.score(prompts, continuations, reply_starts)

    def close(self) -> None:
        self._stack.close()
