"""The `pretrain` stage: causal LM on the generated text lowers the loss on every token of it; on card images,
the captions are learnt from pixels that reach the model."""

import copy
import json

import pytest
from pydantic import ValidationError

from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, pretrain


@pytest.mark.e2e
def test_pretrain_learns_the_generated_text(tmp_path):
    import torch

    from agent_rl.models.loading import load_model
    from agent_rl.models.tiny import build_tiny_text_model
    from agent_rl.train.gp_pretrain_data import PretrainTextConfig, pretrain_documents

    build_tiny_text_model(tmp_path / "model", seed=0, hidden_size=64, layers=1)
    config = pretrain.Config(
        text={"documents": 400}, max_steps=60, lr=3e-3, batch_size=8, logging_steps=10, save_steps=30
    )
    ctx = StageContext(
        tmp_path, tmp_path / "pretrain", {"model": "model"}, MetricsLogger(tmp_path / "pretrain"), 0, False
    )
    artifacts = pretrain.run(config, ctx)

    held_out = "\n".join(pretrain_documents(PretrainTextConfig(documents=4, seed=99)))

    def loss(folder):
        loaded = load_model(str(folder), device="cpu")
        ids = loaded.tokenizer(held_out, return_tensors="pt").input_ids
        with torch.no_grad():
            return loaded.model(input_ids=ids, labels=ids).loss.item()

    before, after = loss(tmp_path / "model"), loss(tmp_path / artifacts["checkpoint"])
    assert after < 0.6 * before, (before, after)  # text it never saw, from the same generator
    log = json.loads((tmp_path / artifacts["checkpoints"]).read_text())
    assert [c["step"] for c in log["checkpoints"]] == [30, 60]
    assert log["checkpoints"][-1]["flops"] == pytest.approx(
        6 * log["parameters"] * log["checkpoints"][-1]["tokens"]
    )


def test_a_stage_pretrains_on_text_or_on_images():
    assert pretrain.Config().data == pretrain.Config().text and pretrain.Config().max_length == 256
    on_images = pretrain.Config(images={"images": 10})
    assert on_images.text is None and on_images.data.images == 10 and on_images.max_length is None
    assert pretrain.Config(images={}, max_length=300).max_length == 300
    assert (
        pretrain.Config.model_validate(on_images.model_dump()).data == on_images.data
    )  # resolved configs reload
    with pytest.raises(ValidationError, match="not both"):
        pretrain.Config(text={}, images={})
    with pytest.raises(ValidationError, match="`text` or `images`"):
        pretrain.Config(text=None)


@pytest.mark.e2e
def test_pretrain_on_card_images_learns_captions_and_sees_the_pixels(tmp_path):
    import torch
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    from agent_rl.models.loading import load_model
    from agent_rl.models.tiny import build_tiny_vlm
    from agent_rl.train.gp_data import load_sft_dataset
    from agent_rl.train.gp_pretrain_images import PretrainImageConfig, pretrain_image_rows

    build_tiny_vlm(tmp_path / "model", seed=0, hidden_size=64, layers=1, image_size=64, patch_size=16)
    config = pretrain.Config(images={"images": 48}, max_steps=24, lr=3e-3, batch_size=8, logging_steps=8)
    ctx = StageContext(
        tmp_path, tmp_path / "pretrain", {"model": "model"}, MetricsLogger(tmp_path / "pretrain"), 0, False
    )
    artifacts = pretrain.run(config, ctx)
    rows = load_sft_dataset(tmp_path / artifacts["dataset"])
    assert rows[0]["images"][0].size == (64, 64)  # stored at the model's input size
    assert rows.column_names[:3] == ["prompt", "completion", "images"]

    held_out = pretrain_image_rows(PretrainImageConfig(images=8, seed=99))

    def loss(folder, rows):
        loaded = load_model(str(folder), device="cpu")
        collate = DataCollatorForVisionLanguageModeling(loaded.processor, completion_only_loss=True)
        batch = collate(copy.deepcopy(rows))  # the collator rewrites the rows it is given
        with torch.no_grad():
            return loaded.model(**batch).loss.item()

    trained = tmp_path / artifacts["checkpoint"]
    before, after = loss(tmp_path / "model", held_out), loss(trained, held_out)
    assert after < 0.5 * before, (before, after)  # captions of images it never saw
    swapped = [
        {**row, "images": other["images"]}
        for row, other in zip(held_out, held_out[1:] + held_out[:1], strict=True)
    ]
    assert loss(trained, swapped) != after  # the pixels reach the model: other images, another caption loss
    log = json.loads((tmp_path / artifacts["checkpoints"]).read_text())
    assert log["checkpoints"][-1]["step"] == 24


@pytest.mark.e2e
def test_freeze_vision_trains_the_projector_and_language_model_only(tmp_path):
    import torch

    from agent_rl.models.loading import load_model
    from agent_rl.models.tiny import build_tiny_vlm

    build_tiny_vlm(tmp_path / "model", seed=0, hidden_size=64, layers=1, image_size=64, patch_size=16)
    config = pretrain.Config(
        images={"images": 16}, max_steps=4, lr=3e-3, batch_size=4, logging_steps=2, freeze_vision=True
    )
    ctx = StageContext(
        tmp_path, tmp_path / "pretrain", {"model": "model"}, MetricsLogger(tmp_path / "pretrain"), 0, False
    )
    artifacts = pretrain.run(config, ctx)
    before = dict(load_model(str(tmp_path / "model"), device="cpu").model.named_parameters())
    after = dict(load_model(str(tmp_path / artifacts["checkpoint"]), device="cpu").model.named_parameters())
    moved = {name for name, value in after.items() if not torch.equal(value, before[name])}
    tower = {name for name in after if ".vision_tower." in name}
    assert tower and not moved & tower
    assert any("multi_modal_projector" in name for name in moved)
    assert any("language_model" in name for name in moved)


def test_freeze_vision_is_for_full_parameter_training():
    with pytest.raises(ValidationError, match="lora.target_modules"):
        pretrain.Config(images={}, freeze_vision=True, lora={"r": 4})
