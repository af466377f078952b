"""In-process generation with Hugging Face transformers: the default backend, CPU or one GPU.

Prompts go through the model's chat template (and its processor for images), are sorted by length into
left-padded micro-batches, and are generated with a fresh GenerationConfig built from `SamplingParams` alone,
so a checkpoint's own sampling defaults (top_k, repetition penalty, ...) never leak in. Temperature and top-p
are applied by our own logits processor, which also records each chosen token's log-probability under exactly
the distribution it was sampled from (under the plain model distribution for greedy decoding).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_rl.backends.base import ChatPrompt, Generation, SamplingParams
from agent_rl.backends.tokens import chat_text, encode_texts, processor_inputs
from agent_rl.errors import UserError
from agent_rl.models.loading import LoadedModel, load_model


class _SampleAndRecord:
    """Logits processor: temperature and nucleus filtering, then remember log-softmax to score the pick.

    At each call, `input_ids[:, -1]` is the token just chosen from the distribution stored at the previous call,
    so only one step's distribution (batch x vocab) is ever kept in memory.
    """

    def __init__(self, temperature: float, top_p: float) -> None:
        self.temperature = temperature
        self.top_p = top_p
        self.previous: Any = None
        self.chosen_logprobs: list[Any] = []  # one (batch,) tensor per generated token

    def record(self, chosen: Any) -> None:
        if self.previous is not None:
            self.chosen_logprobs.append(self.previous.gather(1, chosen[:, None]).squeeze(1))

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        self.record(input_ids[:, -1])
        scores = scores.float()
        if self.temperature > 0:
            scores = scores / self.temperature
            if self.top_p < 1.0:
                ordered, order = scores.sort(dim=-1, descending=True)
                cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
                drop = (
                    cumulative - ordered.softmax(dim=-1) >= self.top_p
                )  # keep the smallest set reaching top_p
                scores = scores.scatter(1, order, ordered.masked_fill(drop, float("-inf")))
        self.previous = torch.log_softmax(scores, dim=-1)
        return scores


class TransformersBackend:
    """`Backend` over a transformers model: a local folder or hub id, or an already loaded model.

    Pass `model` as a path/id (loaded with `load_model`), a `LoadedModel`, or a model object together with its
    `tokenizer` (and `processor` for a VLM), e.g. the policy being trained.
    """

    name = "transformers"

    def __init__(
        self,
        model: str | Path | LoadedModel | Any,
        tokenizer: Any = None,
        processor: Any = None,
        *,
        max_batch_size: int = 32,
        device: str | None = None,
        dtype: str = "auto",
        revision: str | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise UserError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if isinstance(model, (str, Path)):
            revision = revision or str(model)
            model = load_model(model, device=device, dtype=dtype)
        if isinstance(model, LoadedModel):
            model, tokenizer, processor = model
        if tokenizer is None:
            tokenizer = getattr(processor, "tokenizer", None)
        if tokenizer is None:
            raise ValueError(
                "TransformersBackend needs the model's tokenizer (or processor) beside a model object"
            )
        self.model = model
        self.tokenizer = tokenizer
        self.processor = processor
        self.max_batch_size = max_batch_size
        self.revision = revision or getattr(model, "name_or_path", "") or type(model).__name__

    def generate(self, prompts: list[ChatPrompt], params: SamplingParams) -> list[Generation]:
        """Completions in the order of `prompts`. Same prompts, params and seed give the same samples."""
        for prompt in prompts:
            self._check(prompt)
        return self._generate([self._chat_text(prompt) for prompt in prompts], prompts, params)

    def score(
        self, prompts: list[ChatPrompt], continuations: list[str], reply_starts: list[str] | None = None
    ) -> list[list[float]]:
        """Summed log-probabilities of each continuation after each chat prompt (and the given start of its
        reply), without generating (see `Scorer`). Per micro-batch of prompts, one forward over the prompts
        gives every continuation's first token; the rest of the continuations run on that forward's cache."""
        import torch

        if any(prompt.images for prompt in prompts):
            raise UserError("scoring continuations takes text prompts; this prompt has images")
        starts = reply_starts or [""] * len(prompts)
        contexts = encode_texts(
            [self._chat_text(p) + start for p, start in zip(prompts, starts, strict=True)], self.tokenizer
        )
        endings = encode_texts(continuations, self.tokenizer)
        if not all(endings):
            raise ValueError("every continuation to score needs at least one token")
        order = sorted(range(len(contexts)), key=lambda i: len(contexts[i]))
        scores: list[list[float]] = [[] for _ in contexts]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                for begin in range(0, len(order) if endings else 0, self.max_batch_size):
                    chunk = order[begin : begin + self.max_batch_size]
                    rows = self._score_batch([contexts[i] for i in chunk], endings)
                    for i, row in zip(chunk, rows, strict=True):
                        scores[i] = row
        finally:
            self.model.train(was_training)
        return scores

    def _score_batch(self, contexts: list[list[int]], endings: list[list[int]]) -> list[list[float]]:
        import torch

        device, n = self.model.device, len(endings)
        inputs = {k: v.to(device) for k, v in _left_pad(contexts, self._pad_id()).items()}
        mask = inputs["attention_mask"]
        out = self.model(**inputs, position_ids=(mask.cumsum(-1) - 1).clamp(min=0), logits_to_keep=1)
        first = torch.log_softmax(out.logits[:, -1].float(), dim=-1)  # (prompts, vocab)
        totals = first[:, [ending[0] for ending in endings]]  # (prompts, continuations)
        width = max(map(len, endings)) - 1
        if width:  # each continuation's later tokens, fed after its prompt (right-padded, so never attended)
            cache = out.cache
            cache.batch_repeat_interleave(n)
            fed = torch.full((n, width), self._pad_id(), dtype=torch.long, device=device)
            fed_mask = torch.zeros((n, width), dtype=torch.long, device=device)
            for k, ending in enumerate(endings):
                fed[k, : len(ending) - 1] = torch.tensor(ending[:-1], dtype=torch.long)
                fed_mask[k, : len(ending) - 1] = 1
            prompts = len(contexts)  # rows are (prompt, continuation), continuation fastest, as in the cache
            lengths = mask.sum(-1).repeat_interleave(n)[:, None]
            logits = self.model(
                input_ids=fed.repeat(prompts, 1),
                attention_mask=torch.cat(
                    [mask.repeat_interleave(n, dim=0), fed_mask.repeat(prompts, 1)], dim=1
                ),
                position_ids=lengths + torch.arange(width, device=device),
                cache=cache,
            ).logits
            logprobs = torch.log_softmax(logits.float(), dim=-1).view(prompts, n, width, -1)
            for k, ending in enumerate(endings):
                later = torch.tensor(ending[1:], dtype=torch.long, device=device)
                if len(later):
                    steps = torch.arange(len(later), device=device)
                    totals[:, k] += logprobs[:, k, steps, later].sum(-1)
        return totals.tolist()

    def complete(self, texts: list[str], params: SamplingParams) -> list[Generation]:
        """Continue raw texts (no chat template), as the completions API does."""
        return self._generate(texts, None, params)

    @property
    def context_length(self) -> int | None:
        """Tokens the model can attend to (prompt and completion together), from its config."""
        config = self.model.config
        text_config = getattr(config, "text_config", None)
        return getattr(config, "max_position_embeddings", None) or getattr(
            text_config, "max_position_embeddings", None
        )

    def count_prompt_tokens(self, prompt: ChatPrompt | str) -> int:
        """Prompt tokens before generation (a VLM's image tokens, added by its processor, not counted)."""
        if isinstance(prompt, str):
            text = prompt
        else:
            self._check(prompt)
            text = self._chat_text(prompt)
        return len(encode_texts([text], self.tokenizer)[0])

    def _generate(
        self, texts: list[str], prompts: list[ChatPrompt] | None, params: SamplingParams
    ) -> list[Generation]:
        """Generate for prompt texts; `prompts` (chats) go through a VLM's processor with their images."""
        import torch

        if not texts:
            return []
        # Text: tokenise once here; chats for a VLM: the processor tokenises per micro-batch (expanding images).
        use_processor = self.processor is not None and prompts is not None
        token_ids = None if use_processor else encode_texts(texts, self.tokenizer)
        lengths = [len(ids) for ids in token_ids] if token_ids else [len(text) for text in texts]
        order = sorted(range(len(texts)), key=lengths.__getitem__)  # similar lengths share a micro-batch
        results: list[Generation | None] = [None] * len(texts)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.random.fork_rng(devices=self._rng_devices()), torch.no_grad():
                if params.seed is not None:
                    torch.manual_seed(params.seed)
                for start in range(0, len(order), self.max_batch_size):
                    chunk = order[start : start + self.max_batch_size]
                    if token_ids:
                        inputs = _left_pad([token_ids[i] for i in chunk], self._pad_id())
                    else:
                        inputs = self._processor_inputs(
                            [prompts[i] for i in chunk], [texts[i] for i in chunk]
                        )
                    generations = self._generate_batch(inputs, params)
                    for index, generation in zip(chunk, generations, strict=True):
                        results[index] = generation
        finally:
            self.model.train(was_training)
        return results  # type: ignore[return-value]

    # -- internals -------------------------------------------------------------------------------------

    def _rng_devices(self) -> list[Any]:
        device = self.model.device
        return [device] if device.type == "cuda" else []

    def _chat_text(self, prompt: ChatPrompt) -> str:
        return chat_text(prompt.messages, self.tokenizer, self.processor)

    def _pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return self.tokenizer.eos_token_id if pad is None else pad

    def _check(self, prompt: ChatPrompt) -> None:
        if prompt.images and self.processor is None:
            raise UserError(
                f"model {self.revision!r} is text-only but the prompt has images: use a vision model "
                "(e.g. `agent-rl model tiny --vision`) or the text modality"
            )

    def _processor_inputs(self, prompts: list[ChatPrompt], texts: list[str]) -> dict[str, Any]:
        images = [image for prompt in prompts for image in prompt.images]
        return processor_inputs(self.processor, texts, images, padding=True, padding_side="left")

    def _generate_batch(self, inputs: dict[str, Any], params: SamplingParams) -> list[Generation]:
        """Generate for one left-padded micro-batch of model inputs."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        inputs = {k: v.to(self.model.device) for k, v in inputs.items()}
        recorder = _SampleAndRecord(params.temperature, params.top_p)
        eos, pad = self.tokenizer.eos_token_id, self._pad_id()
        sample = params.temperature > 0
        # Unset (None) fields would be filled from the checkpoint's generation_config: set every one that
        # shapes the distribution to its neutral value, since `recorder` does the sampling transforms.
        config = GenerationConfig(
            max_new_tokens=params.max_new_tokens,
            do_sample=sample,
            temperature=1.0,
            top_p=1.0,
            repetition_penalty=1.0,
            **({"top_k": 0} if sample else {}),
            eos_token_id=eos,
            pad_token_id=pad,
            stop_strings=params.stop or None,
        )
        output = self.model.generate(
            **inputs,
            generation_config=config,
            logits_processor=LogitsProcessorList([recorder]),
            tokenizer=self.tokenizer,
        )
        prompt_length = inputs["input_ids"].shape[1]
        generated = output[:, prompt_length:]
        if generated.shape[1]:
            recorder.record(generated[:, -1])  # the last pick was made after the last processor call
        logprobs = torch.stack(recorder.chosen_logprobs, dim=1) if recorder.chosen_logprobs else None
        results = []
        for row in range(inputs["input_ids"].shape[0]):
            prompt_ids = inputs["input_ids"][row][inputs["attention_mask"][row].bool()].tolist()
            ids = generated[row].tolist()
            length, finish = self._finished_length(ids, eos, params.stop)
            text = self.tokenizer.decode(ids[:length], skip_special_tokens=True)
            for stop in params.stop:
                text = text.split(stop, 1)[0] if finish == "stop" else text
            results.append(
                Generation(
                    text=text,
                    prompt_token_ids=prompt_ids,
                    token_ids=ids[:length],
                    logprobs=logprobs[row, :length].tolist() if logprobs is not None else [],
                    finish_reason=finish,
                )
            )
        return results

    def _finished_length(self, ids: list[int], eos: int, stops: list[str]) -> tuple[int, str]:
        """How many generated tokens belong to the answer (EOS included), and why it ended."""
        if eos in ids:
            return ids.index(eos) + 1, "stop"
        if stops:
            for length in range(1, len(ids) + 1):
                if any(stop in self.tokenizer.decode(ids[:length]) for stop in stops):
                    return length, "stop"
        return len(ids), "length"


def _left_pad(rows: list[list[int]], pad_id: int) -> dict[str, Any]:
    """`input_ids` and `attention_mask` tensors, each row right-aligned (tokenizer.pad is slow on lists)."""
    import torch

    width = max(len(row) for row in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
        attention_mask[i, width - len(row) :] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}
