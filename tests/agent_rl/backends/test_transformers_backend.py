import pytest
import torch
from PIL import Image

from agent_rl.backends import ChatPrompt, SamplingParams, make_backend
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.errors import UserError
from agent_rl.models.loading import load_model

GREEDY = SamplingParams(max_new_tokens=8, temperature=0)


def chat(text: str) -> ChatPrompt:
    return ChatPrompt([{"role": "system", "content": "Play."}, {"role": "user", "content": text}])


PROMPTS = [chat("Cards: " + "['A', '3'] " * n) for n in (1, 5, 2, 9, 3)]


@pytest.fixture(scope="module")
def backend(tiny_text_model):
    return TransformersBackend(tiny_text_model, device="cpu", max_batch_size=2)


def reference_logprobs(backend, generation, temperature=1.0):
    ids = torch.tensor([generation.prompt_token_ids + generation.token_ids])
    with torch.no_grad():
        logits = backend.model(ids).logits[0].float() / temperature
    start = len(generation.prompt_token_ids) - 1
    logprobs = torch.log_softmax(logits, dim=-1)
    return [logprobs[start + i, token].item() for i, token in enumerate(generation.token_ids)]


def test_batched_greedy_equals_one_by_one_and_keeps_order(backend):
    batched = backend.generate(PROMPTS, GREEDY)
    for prompt, generation in zip(PROMPTS, batched, strict=True):
        alone = backend.generate([prompt], GREEDY)[0]
        assert generation.token_ids == alone.token_ids
        assert generation.prompt_token_ids == alone.prompt_token_ids
        assert generation.logprobs == pytest.approx(alone.logprobs, abs=1e-4)
    lengths = [len(g.prompt_token_ids) for g in batched]
    assert lengths[0] < lengths[2] < lengths[4] < lengths[1] < lengths[3]  # answers in the prompts' order
    assert backend.tokenizer.pad_token_id not in batched[0].prompt_token_ids  # left padding stripped


def test_prompt_ids_follow_the_chat_template(backend):
    generation = backend.generate([PROMPTS[0]], GREEDY)[0]
    text = backend.tokenizer.decode(generation.prompt_token_ids)
    assert text == "<|bos|><|system|>Play.<|end|><|user|>Cards: ['A', '3'] <|end|><|assistant|>"


def test_seeded_sampling_is_reproducible_and_seed_dependent(backend):
    params = SamplingParams(max_new_tokens=10, temperature=1.0, seed=7)
    first = [g.token_ids for g in backend.generate(PROMPTS, params)]
    again = [g.token_ids for g in backend.generate(PROMPTS, params)]
    other = [g.token_ids for g in backend.generate(PROMPTS, SamplingParams(max_new_tokens=10, seed=8))]
    assert first == again
    assert first != other


def test_logprobs_match_the_sampling_distribution(backend):
    for temperature in (1.0, 0.5):
        params = SamplingParams(max_new_tokens=6, temperature=temperature, seed=1)
        for generation in backend.generate(PROMPTS[:2], params):
            assert len(generation.logprobs) == len(generation.token_ids) == 6
            assert generation.finish_reason == "length"
            expected = reference_logprobs(backend, generation, temperature)
            assert generation.logprobs == pytest.approx(expected, abs=1e-4)


def test_top_p_renormalises_over_the_nucleus(backend):
    params = SamplingParams(max_new_tokens=6, temperature=1.0, top_p=0.3, seed=1)
    generation = backend.generate([PROMPTS[0]], params)[0]
    full = reference_logprobs(backend, generation)
    assert all(lp > ref + 1e-3 for lp, ref in zip(generation.logprobs, full, strict=True))
    assert all(lp <= 0 for lp in generation.logprobs)


def test_generation_stops_at_eos_and_strips_padding(tiny_text_model):
    loaded = load_model(tiny_text_model, device="cpu")
    greedy_first = TransformersBackend(loaded).generate([PROMPTS[0]], GREEDY)[0].token_ids[0]
    loaded.tokenizer.eos_token = loaded.tokenizer.convert_ids_to_tokens(greedy_first)  # its favourite token
    backend = TransformersBackend(loaded)
    for generation in backend.generate(PROMPTS, SamplingParams(max_new_tokens=8, temperature=0)):
        assert generation.finish_reason == "stop"
        assert (
            generation.token_ids[-1] == greedy_first
            and loaded.tokenizer.pad_token_id not in generation.token_ids
        )
        assert len(generation.logprobs) == len(generation.token_ids)


def test_stop_strings_cut_text_and_tokens(backend):
    params = SamplingParams(max_new_tokens=16, temperature=1.0, seed=3)
    free = backend.generate([PROMPTS[0]], params)[0]
    stop = free.text[len(free.text) // 2 :][:1]
    assert stop
    stopped = backend.generate([PROMPTS[0]], SamplingParams(max_new_tokens=16, seed=3, stop=[stop]))[0]
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text.split(stop, 1)[0]
    assert stopped.token_ids == free.token_ids[: len(stopped.token_ids)]


def test_training_mode_is_restored(tiny_text_model):
    loaded = load_model(tiny_text_model, device="cpu")
    loaded.model.train()
    TransformersBackend(loaded.model, loaded.tokenizer).generate([PROMPTS[0]], GREEDY)
    assert loaded.model.training


def test_vlm_generates_from_images_batched_like_alone(tiny_vlm):
    backend = TransformersBackend(tiny_vlm, device="cpu")
    parts = [{"type": "image"}, {"type": "text", "text": "Which cards?"}]
    prompts = [
        ChatPrompt([{"role": "user", "content": parts}], [Image.new("RGB", (1200, 1200), "#35654d")]),
        ChatPrompt([{"role": "user", "content": "no picture"}]),
        ChatPrompt(
            [{"role": "user", "content": parts + parts}],
            [Image.new("RGB", (90, 60), c) for c in ("red", "blue")],
        ),
    ]
    batched = backend.generate(prompts, GREEDY)
    image_token = backend.model.config.image_token_id
    assert [g.prompt_token_ids.count(image_token) for g in batched] == [64, 0, 128]
    for prompt, generation in zip(prompts, batched, strict=True):
        assert backend.generate([prompt], GREEDY)[0].token_ids == generation.token_ids


def test_images_given_to_a_text_model_are_a_user_error(backend):
    prompt = ChatPrompt([{"role": "user", "content": [{"type": "image"}]}], [Image.new("RGB", (8, 8))])
    with pytest.raises(UserError, match="text-only"):
        backend.generate([prompt], GREEDY)


def test_make_backend_builds_by_type_and_rejects_bad_specs(tiny_text_model, backend):
    made = make_backend({"type": "transformers", "model": str(tiny_text_model), "device": "cpu"})
    assert made.name == "transformers" and made.revision == str(tiny_text_model)
    assert make_backend(backend) is backend
    with pytest.raises(UserError, match="unknown backend type"):
        make_backend({"type": "nope"})
    with pytest.raises(UserError, match="bad options"):
        make_backend({"type": "transformers", "model": str(tiny_text_model), "colour": "red"})


def test_score_sums_each_continuations_logprobs_as_an_unpadded_forward_does(backend):
    prompts, starts, endings = PROMPTS[:3], ["", "Verdict:", "I think"], [" 24", " no way", "!"]
    scores = backend.score(prompts, endings, starts)  # prompts of different lengths share left-padded batches
    for prompt, start, row in zip(prompts, starts, scores, strict=True):
        context = backend.tokenizer(backend._chat_text(prompt) + start, add_special_tokens=False)["input_ids"]
        for ending, got in zip(endings, row, strict=True):
            tokens = backend.tokenizer(ending, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logits = backend.model(torch.tensor([context + tokens])).logits[0].float()
            logprobs = torch.log_softmax(logits, dim=-1)
            want = sum(logprobs[len(context) - 1 + k, t].item() for k, t in enumerate(tokens))
            assert got == pytest.approx(want, abs=1e-4)
