"""Backend for any OpenAI-compatible chat-completions server (`agent-rl serve`, `vllm serve`, hosted APIs).

Prompts are sent concurrently (bounded by `concurrency`), each with a timeout and retried with exponential
backoff on connection errors, 429 and 5xx answers. Images go as PNG data URLs in `image_url` parts.
"""

from __future__ import annotations

import base64
import io
import json
import random
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_rl.backends.base import ChatPrompt, Generation, SamplingParams
from agent_rl.errors import UserError

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


class BackendError(UserError):
    """The server could not be reached or answered with something we cannot use."""


def image_data_url(image: Any) -> str:
    """A PIL image, PNG path or bytes as a `data:image/png;base64,...` URL."""
    if isinstance(image, str) and image.startswith("data:"):
        return image
    if isinstance(image, (str, Path)):
        raw = Path(image).read_bytes()
    elif isinstance(image, bytes):
        raw = image
    else:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        raw = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def to_openai_messages(prompt: ChatPrompt) -> list[dict[str, Any]]:
    """Our chat layout (image parts + a side list of images) to OpenAI's (inline `image_url` parts)."""
    images = iter(prompt.images)
    messages = []
    for message in prompt.messages:
        content = message["content"]
        if isinstance(content, list):
            parts = []
            for part in content:
                if part.get("type") == "image":
                    try:
                        image = next(images)
                    except StopIteration:
                        raise ValueError("prompt has more image parts than images") from None
                    parts.append({"type": "image_url", "image_url": {"url": image_data_url(image)}})
                else:
                    parts.append({"type": "text", "text": part.get("text", "")})
            content = parts
        messages.append({"role": message["role"], "content": content})
    return messages


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
        body: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(prompt),
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "logprobs": True,
        }
        if params.seed is not None:
            body["seed"] = params.seed + index  # distinct but reproducible samples within a batch
        if params.stop:
            body["stop"] = params.stop
        answer = self._post("/chat/completions", body)
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise BackendError(
                f"{self.base_url} answered without choices[0].message.content: {str(answer)[:200]}"
            ) from None
        logprob_items = ((choice.get("logprobs") or {}).get("content")) or []
        return Generation(
            text=text,
            token_ids=[int(t) for t in choice.get("token_ids") or []],
            logprobs=[float(item["logprob"]) for item in logprob_items if "logprob" in item],
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
        )

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
