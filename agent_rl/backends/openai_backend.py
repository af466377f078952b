"""Backend for any OpenAI-compatible chat-completions server (`agent-rl serve`, `vllm serve`, hosted APIs).

Prompts are sent concurrently (bounded by `concurrency`), each with a timeout and retried with exponential
backoff on connection errors, 429 and 5xx answers. Requests and answers are the shared wire models
(`openai_wire`); images go as PNG data URLs in `image_url` parts.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from agent_rl.backends import openai_wire as wire
from agent_rl.backends.base import ChatPrompt, Generation, SamplingParams
from agent_rl.errors import UserError

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


class BackendError(UserError):
    """The server could not be reached or answered with something we cannot use."""


@dataclass
class OpenAIBackend:
    """`generate()` over HTTP. `model` is the served model's name; `api_key` is sent as a bearer token."""

    base_url: str
    model: str = "default"
    api_key: str | None = None
    timeout_s: float = 120.0
    max_retries: int = 4
    backoff_s: float = 0.5
    concurrency: int = 8
    name: str = "openai"

    def generate(self, prompts: list[ChatPrompt], params: SamplingParams) -> list[Generation]:
        if not prompts:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(prompts)))) as pool:
            return list(pool.map(lambda ip: self._complete(ip[1], params, ip[0]), enumerate(prompts)))

    def _complete(self, prompt: ChatPrompt, params: SamplingParams, index: int) -> Generation:
        body = {
            "model": self.model,
            "messages": wire.to_wire_messages(prompt),
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "logprobs": True,
        }
        if params.seed is not None:
            body["seed"] = params.seed + index  # distinct but reproducible samples within a batch
        if params.stop:
            body["stop"] = params.stop
        try:
            request = wire.parse_request(wire.ChatCompletionRequest, body)
        except wire.WireError as err:
            raise BackendError(f"cannot send this prompt to {self.base_url}: {err}") from None
        answer = self._post("/chat/completions", request.model_dump(exclude_none=True, exclude_defaults=True))
        try:
            return wire.parse_chat_completion(answer)
        except wire.WireError as err:
            raise BackendError(f"{self.base_url} answered with something else: {err}") from None

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self.base_url.rstrip("/") + path
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode()
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1) * (1 + random.random() / 2))
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    payload = response.read()
            except urllib.error.HTTPError as err:
                detail = err.read()[:300].decode(errors="replace")
                if err.code not in RETRYABLE_STATUS:
                    raise BackendError(f"{url} answered HTTP {err.code}: {detail}") from None
                last_problem = f"HTTP {err.code}: {detail}"
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
                last_problem = str(getattr(err, "reason", err))
                continue
            try:
                return json.loads(payload)
            except json.JSONDecodeError:
                raise BackendError(f"{url} answered with non-JSON: {payload[:200]!r}") from None
        raise BackendError(
            f"cannot reach an OpenAI-compatible server at {self.base_url} after {self.max_retries + 1} tries "
            f"({last_problem}); start one with `agent-rl serve --model DIR --port P` or fix the base_url"
        )
