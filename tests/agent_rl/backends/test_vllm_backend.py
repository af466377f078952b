import importlib.util

import pytest

from agent_rl.backends import ChatPrompt, SamplingParams, make_backend
from agent_rl.errors import UserError

HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.mark.skipif(HAS_VLLM, reason="vllm is installed; the missing-package message cannot be shown")
def test_vllm_backend_without_vllm_says_how_to_get_it():
    with pytest.raises(UserError, match=r"pip install 'agent-rl\[vllm\]'"):
        make_backend({"type": "vllm", "model": "Qwen/Qwen2.5-0.5B-Instruct"})


@pytest.mark.gpu
@pytest.mark.skipif(
    not HAS_VLLM, reason="vllm is not installed (GPU-only extra: pip install 'agent-rl[vllm]')"
)
def test_vllm_backend_generates_with_logprobs(tmp_path):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("vLLM needs a CUDA GPU")
    from agent_rl.models.tiny import build_tiny_text_model

    model_dir = build_tiny_text_model(tmp_path / "tiny", seed=0)
    backend = make_backend({"type": "vllm", "model": str(model_dir), "gpu_memory_utilization": 0.3})
    prompts = [ChatPrompt(messages=[{"role": "user", "content": "Cards: ['A', '3', 'K', '10']"}])] * 2
    outs = backend.generate(prompts, SamplingParams(max_new_tokens=8, temperature=0.0))
    assert outs[0].text == outs[1].text
    assert len(outs[0].logprobs) == len(outs[0].token_ids) > 0
