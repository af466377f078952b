"""vLLM in-process backend for GPU machines (the `vllm` extra). vllm is imported only when this is built.

Prompts are sent as OpenAI-style chats (images inline as data URLs), which vLLM's `LLM.chat` renders with
the model's own chat template and processor.
"""

from __future__ import annotations

from typing import Any

from agent_rl.backends.base import ChatPrompt, Generation, SamplingParams
from agent_rl.backends.openai_wire import to_wire_messages
from agent_rl.errors import UserError
from agent_rl.models.loading import resolve_model


def import_vllm() -> Any:
    try:
        import vllm
    except ImportError as err:
        raise UserError(
            f"the vllm backend needs vLLM, which is not importable here ({err}); on a CUDA machine run "
            "`pip install 'agent-rl[vllm]'`, or use the 'transformers' or 'openai' backend"
        ) from None
    return vllm


class VLLMBackend:
    name = "vllm"

    def __init__(self, model: str, gpu_memory_utilization: float = 0.85, **engine_args: Any) -> None:
        self.vllm = import_vllm()
        self.model_revision = str(model)
        self.llm = self.vllm.LLM(
            model=resolve_model(model), gpu_memory_utilization=gpu_memory_utilization, **engine_args
        )

    def generate(self, prompts: list[ChatPrompt], params: SamplingParams) -> list[Generation]:
        sampling = [
            self.vllm.SamplingParams(
                max_tokens=params.max_new_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                seed=None if params.seed is None else params.seed + i,
                stop=params.stop or None,
                logprobs=1,
            )
            for i in range(len(prompts))
        ]
        chats = [to_wire_messages(p) for p in prompts]
        outputs = self.llm.chat(chats, sampling, use_tqdm=False)
        generations = []
        for output in outputs:
            completion = output.outputs[0]
            token_ids = list(completion.token_ids)
            logprobs = [
                step[token].logprob for step, token in zip(completion.logprobs or [], token_ids, strict=False)
            ]
            generations.append(
                Generation(
                    text=completion.text,
                    prompt_token_ids=list(output.prompt_token_ids or []),
                    token_ids=token_ids,
                    logprobs=logprobs,
                    finish_reason="length" if completion.finish_reason == "length" else "stop",
                )
            )
        return generations
