"""LoRA through PEFT on the built-in SmolLM2: one step lowers the loss; the adapter saves, loads and merges."""

import pytest
import torch
from peft import PeftModel

from agent_rl.models.loading import load_model
from agent_rl.models.lora import LoraOptions, add_lora, merged_copy

pytestmark = pytest.mark.e2e

ROWS = [
    ("Cards: ['4', '5', 'Q', '6']. Make 24.", '{"formula": "(10-4)*5-6=24"}'),
    ("Cards: ['A', '3', 'K', '10']. Make 24.", '{"formula": "(1+3)*10-10-6=24"}'),
]


def batch(tokenizer):
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": q}, {"role": "assistant", "content": a}], tokenize=False
        )
        for q, a in ROWS
    ]
    inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    labels = inputs["input_ids"].masked_fill(inputs["attention_mask"] == 0, -100)
    return {**inputs, "labels": labels}


def test_one_lora_step_lowers_the_loss_and_the_adapter_saves_loads_and_merges(smollm2_dir, tmp_path):
    torch.manual_seed(0)
    loaded = load_model(smollm2_dir, device="cpu")
    inputs = batch(loaded.tokenizer)
    model = add_lora(loaded.model, LoraOptions(r=8, alpha=16, dropout=0.0))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) < 0.05 * 134.5e6
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    before = model(**inputs).loss
    before.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        after = model(**inputs).loss
        trained_logits = model(**inputs).logits
    assert after.item() < before.item()

    model.save_pretrained(tmp_path / "adapter")
    saved = {p.name for p in (tmp_path / "adapter").iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors"} <= saved
    assert (tmp_path / "adapter" / "adapter_model.safetensors").stat().st_size < 20e6  # adapters only
    base = load_model(smollm2_dir, device="cpu").model
    reloaded = PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
    merged = merged_copy(model).eval()
    assert not isinstance(merged, PeftModel) and isinstance(model, PeftModel)  # training copy kept
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, trained_logits)
        torch.testing.assert_close(merged(**inputs).logits, trained_logits, atol=1e-3, rtol=1e-3)
