import pytest
import torch
from PIL import Image
from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor, AutoTokenizer

from agent_rl.cli import main as cli_main
from agent_rl.errors import UserError
from agent_rl.models.chat_template import END
from agent_rl.models.loading import freeze_vision_tower, load_model

TEXTS = [
    "Cards: ['A', '3', 'K', '10']",
    '{"cards": ["J", "2"], "number": [10, 2], "formula": "(1+6)*3+13=24"}',
    "  spaces\n\tand tabs, unicode é 🙂 and __import__('os')",
]


@pytest.mark.parametrize("text", TEXTS)
def test_tokenizer_round_trips_text(tiny_text_model, text):
    tokenizer = AutoTokenizer.from_pretrained(tiny_text_model)
    ids = tokenizer(text, add_special_tokens=False).input_ids
    assert tokenizer.decode(ids) == text


def test_tokenizer_splits_digits_and_knows_its_special_tokens(tiny_text_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_text_model)
    assert tokenizer.convert_ids_to_tokens(tokenizer("1324", add_special_tokens=False).input_ids) == list(
        "1324"
    )
    assert tokenizer.eos_token == END and tokenizer.pad_token_id not in (None, tokenizer.eos_token_id)
    assert 300 < len(tokenizer) <= 1024


def test_chat_template_renders_roles_images_and_assistant_mask(tiny_text_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_text_model)
    chat = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "cards?"}]},
        {"role": "assistant", "content": "24"},
    ]
    text = tokenizer.apply_chat_template(chat, tokenize=False)
    assert text == "<|bos|><|system|>be brief<|end|><|user|><image>cards?<|end|><|assistant|>24<|end|>"
    prompt = tokenizer.apply_chat_template(chat[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|user|><image>cards?<|end|><|assistant|>")
    encoded = tokenizer.apply_chat_template(chat, return_dict=True, return_assistant_tokens_mask=True)
    masked = [t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(masked) == "24" + END


def test_tiny_text_model_loads_and_generates(tiny_text_model):
    model = AutoModelForCausalLM.from_pretrained(tiny_text_model)
    assert type(model).__name__ == "LlamaForCausalLM"
    loaded = load_model(tiny_text_model, device="cpu")
    assert loaded.processor is None and loaded.model.dtype == torch.float32
    ids = loaded.tokenizer("Cards:", return_tensors="pt", add_special_tokens=False)
    out = loaded.model.generate(**ids, max_new_tokens=4, do_sample=False)
    prompt_length = ids.input_ids.shape[1]
    assert prompt_length < out.shape[1] <= prompt_length + 4


def test_tiny_vlm_takes_an_image_through_auto_processor(tiny_vlm):
    processor = AutoProcessor.from_pretrained(tiny_vlm)
    model = AutoModelForImageTextToText.from_pretrained(tiny_vlm)
    chat = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What cards?"}]}]
    text = processor.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    images = [[Image.new("RGB", (1200, 1200), "#35654d")], [Image.new("RGB", (300, 200), "red")]]
    batch = processor(text=[text, "Two: " + text], images=images, return_tensors="pt", padding=True)
    assert batch["pixel_values"].shape[0] == 2
    image_tokens = (batch["input_ids"] == model.config.image_token_id).sum(dim=1)
    assert image_tokens.tolist() == [model.config.image_seq_length] * 2
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape[:2] == batch["input_ids"].shape and torch.isfinite(logits).all()
    out = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert out.shape[0] == 2
    assert load_model(tiny_vlm, device="cpu").processor is not None


def test_vlm_images_change_its_output(tiny_vlm):
    loaded = load_model(tiny_vlm, device="cpu")
    text = loaded.processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}]}], add_generation_prompt=True, tokenize=False
    )
    logits = []
    for colour in ("black", "white"):
        batch = loaded.processor(
            text=[text], images=[[Image.new("RGB", (64, 64), colour)]], return_tensors="pt"
        )
        with torch.no_grad():
            logits.append(loaded.model(**batch).logits[0, -1])
    assert not torch.allclose(logits[0], logits[1])


@pytest.mark.parametrize("name", ["/no/such/folder", "nobody/no-such-model"])
def test_unknown_model_is_a_user_error(name):
    with pytest.raises(UserError, match="a local folder made by `agent-rl model tiny"):
        load_model(name)


def test_folder_without_config_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no config.json"):
        load_model(tmp_path)


def test_cli_builds_a_text_model_and_refuses_a_full_folder(tmp_path, capsys):
    out = tmp_path / "model"
    assert cli_main(["model", "tiny", "--out", str(out), "--hidden-size", "32", "--heads", "2"]) == 0
    assert AutoModelForCausalLM.from_pretrained(out).config.hidden_size == 32
    assert cli_main(["model", "tiny", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_freeze_vision_tower_freezes_a_vlm_encoder_and_refuses_a_text_model(tmp_path):
    from agent_rl.models.tiny import build_tiny_text_model, build_tiny_vlm

    vlm = load_model(str(build_tiny_vlm(tmp_path / "vlm", hidden_size=32, layers=1)), device="cpu").model
    tower = sum(p.numel() for name, p in vlm.named_parameters() if ".vision_tower." in name)
    assert freeze_vision_tower(vlm) == tower > 0
    assert all(p.requires_grad == (".vision_tower." not in name) for name, p in vlm.named_parameters())
    text = load_model(str(build_tiny_text_model(tmp_path / "text", hidden_size=32, layers=1)), device="cpu")
    with pytest.raises(UserError, match="no vision tower"):
        freeze_vision_tower(text.model)
