"""The OpenAI chat-completions and completions wire format, shared by the client backend and `agent-rl serve`.

Requests are validated as the OpenAI API defines them (ranges included; unknown fields are refused, as the
API does); responses and stream chunks are built from the same models. Two additions, as vLLM's server has
them: each choice carries the generated `token_ids`, and log-probability tokens are written `token_id:N`.
Images travel as base64 `data:` URLs only; nothing is ever fetched.
"""

from __future__ import annotations

import base64
import io
import math
import time
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent_rl.backends.base import ChatPrompt, Generation, SamplingParams

MAX_N = 16  # choices per request; each one is a row in the server's batch
MAX_STOP = 4  # as the OpenAI API allows
INT64 = 2**63


class WireError(ValueError):
    """A request that does not follow the wire format; its message is one line, sent back with a 400."""


# -- requests ----------------------------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextPart(_Request):
    type: Literal["text"]
    text: str


class ImageURL(_Request):
    url: str
    detail: Literal["auto", "low", "high"] = "auto"


class ImagePart(_Request):
    type: Literal["image_url"]
    image_url: ImageURL


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class ChatMessage(_Request):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[ContentPart]
    name: str | None = None


class StreamOptions(_Request):
    include_usage: bool = False


class _Sampling(_Request):
    """The fields both endpoints share, range-checked as the OpenAI API documents them."""

    model: str | None = None  # the one served model answers whatever name is asked for
    temperature: float = Field(1.0, ge=0.0, le=2.0, allow_inf_nan=False)
    top_p: float = Field(1.0, gt=0.0, le=1.0, allow_inf_nan=False)
    n: int = Field(1, ge=1, le=MAX_N)
    seed: int | None = Field(None, ge=-INT64, lt=INT64)
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None

    @field_validator("stop")
    @classmethod
    def _stop_strings(cls, stop: str | list[str] | None) -> list[str]:
        stops = [stop] if isinstance(stop, str) else list(stop or [])
        if len(stops) > MAX_STOP or not all(stops):
            raise ValueError(f"give up to {MAX_STOP} non-empty stop strings")
        return stops


class ChatCompletionRequest(_Sampling):
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(
        None, ge=0, le=0, description="only the sampled token's log-probability is returned"
    )


class CompletionRequest(_Sampling):
    prompt: str | list[str] = Field(min_length=1)
    max_tokens: int = Field(16, ge=1)  # the completions API's default
    echo: bool = False
    logprobs: int | None = Field(
        None, ge=0, le=0, description="only the sampled token's log-probability is returned"
    )

    @property
    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)


def parse_request(model: type[BaseModel], body: Any) -> Any:
    """Validate a decoded JSON body (or settings); a WireError says, in one line, what is wrong and where."""
    if not isinstance(body, dict):
        raise WireError("the request body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as err:
        problems = []
        for item in err.errors()[:3]:
            where = ".".join(str(part) for part in item["loc"])
            message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append(f"{where}: {message}" if where else message)
        raise WireError("; ".join(problems)) from None


def sampling_params(
    request: ChatCompletionRequest | CompletionRequest, default_max_tokens: int
) -> SamplingParams:
    if isinstance(request, ChatCompletionRequest):
        max_tokens = request.max_completion_tokens or request.max_tokens or default_max_tokens
    else:
        max_tokens = request.max_tokens
    return SamplingParams(
        max_new_tokens=max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        seed=request.seed,
        stop=list(request.stop or []),
    )


# -- images and messages -----------------------------------------------------------------------------------


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


def decode_data_url(url: str) -> Any:
    """The RGB image in a base64 data URL; PIL refuses decompression bombs."""
    from PIL import Image

    if not url.startswith("data:") or ";base64," not in url:
        raise WireError("images must be sent as base64 data URLs (data:image/png;base64,...)")
    try:
        return Image.open(io.BytesIO(base64.b64decode(url.split(";base64,", 1)[1]))).convert("RGB")
    except Exception as err:
        raise WireError(f"cannot decode image data URL: {err}") from None


def to_wire_messages(prompt: ChatPrompt) -> list[dict[str, Any]]:
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


def to_chat_prompt(messages: list[ChatMessage]) -> ChatPrompt:
    """OpenAI chat messages (inline image parts) to our ChatPrompt; `developer` is the newer `system`."""
    ours, images = [], []
    for message in messages:
        content: Any = message.content
        if isinstance(content, list):
            parts: list[dict[str, Any]] = []
            for part in content:
                if isinstance(part, TextPart):
                    parts.append({"type": "text", "text": part.text})
                else:
                    images.append(decode_data_url(part.image_url.url))
                    parts.append({"type": "image"})
            content = parts
        role = "system" if message.role == "developer" else message.role
        ours.append({"role": role, "content": content})
    return ChatPrompt(messages=ours, images=images)


def prompt_chars(prompt: ChatPrompt | str) -> int:
    """Characters of text in a prompt: a cheap bound on its tokens before any tokeniser runs."""
    if isinstance(prompt, str):
        return len(prompt)
    total = 0
    for message in prompt.messages:
        content = message["content"]
        parts = content if isinstance(content, list) else [{"text": content}]
        total += sum(len(part.get("text") or "") for part in parts)
    return total


# -- responses ---------------------------------------------------------------------------------------------


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore")  # servers add fields of their own


class TopLogprob(_Response):
    token: str
    logprob: float
    bytes: list[int] | None = None


class TokenLogprob(TopLogprob):
    top_logprobs: list[TopLogprob] = []


class ChoiceLogprobs(_Response):
    content: list[TokenLogprob] | None = None


class AssistantMessage(_Response):
    role: Literal["assistant"] = "assistant"
    content: str | None = None


class _Choice(_Response):
    index: int
    finish_reason: str | None = None
    token_ids: list[int] | None = None


class ChatChoice(_Choice):
    message: AssistantMessage
    logprobs: ChoiceLogprobs | None = None


class Delta(_Response):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(_Choice):
    delta: Delta
    logprobs: ChoiceLogprobs | None = None


class CompletionLogprobs(_Response):
    tokens: list[str] = []
    token_logprobs: list[float | None] = []
    top_logprobs: list[dict[str, float]] | None = None
    text_offset: list[int] = []


class CompletionChoice(_Choice):
    text: str
    logprobs: CompletionLogprobs | None = None


class Usage(_Response):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class _Answer(_Response):
    id: str
    created: int
    model: str
    usage: Usage | None = None


class ChatCompletion(_Answer):
    object: Literal["chat.completion"] = "chat.completion"
    choices: list[ChatChoice]


class ChatCompletionChunk(_Answer):
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    choices: list[ChunkChoice]


class Completion(_Answer):
    object: Literal["text_completion"] = "text_completion"
    choices: list[CompletionChoice]


def token_name(token_id: int) -> str:
    return f"token_id:{token_id}"


def _finite(logprob: float) -> float:
    return logprob if math.isfinite(logprob) else -9999.0  # JSON has no -inf; OpenAI clamps the same way


def chat_logprobs(gen: Generation) -> ChoiceLogprobs:
    return ChoiceLogprobs(
        content=[
            TokenLogprob(token=token_name(t), logprob=_finite(lp))
            for t, lp in zip(gen.token_ids, gen.logprobs, strict=True)
        ]
    )


def completion_logprobs(gen: Generation) -> CompletionLogprobs:
    tokens = [token_name(t) for t in gen.token_ids]
    return CompletionLogprobs(
        tokens=tokens,
        token_logprobs=[_finite(lp) for lp in gen.logprobs],
        top_logprobs=[{token: _finite(lp)} for token, lp in zip(tokens, gen.logprobs, strict=True)],
        text_offset=[],
    )


def usage(prompt_tokens: int, completion_tokens: int) -> Usage:
    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def now() -> int:
    return int(time.time())


def parse_chat_completion(payload: Any) -> Generation:
    """The first choice of a chat completion answer (ours, vLLM's or a hosted API's) as a Generation."""
    try:
        answer = ChatCompletion.model_validate(payload)
        choice = answer.choices[0]
    except (ValidationError, IndexError) as err:
        raise WireError(f"not a chat completion with a choice: {str(err).splitlines()[0]}") from None
    content = (choice.logprobs.content if choice.logprobs else None) or []
    return Generation(
        text=choice.message.content or "",
        token_ids=list(choice.token_ids or []),
        logprobs=[item.logprob for item in content],
        finish_reason="length" if choice.finish_reason == "length" else "stop",
    )
