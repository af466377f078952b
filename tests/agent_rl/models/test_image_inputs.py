"""Images stored at the processor's input size reach the model as the same pixels as the env's full image."""

import torch
from transformers import AutoImageProcessor

from agent_rl.models.image_inputs import input_resize
from envs.generalpoints import render_hand


def test_a_stored_image_gives_the_processor_the_same_pixels(tiny_vlm):
    resize = input_resize(tiny_vlm)
    processor = AutoImageProcessor.from_pretrained(str(tiny_vlm))
    assert resize is not None and resize.size == (processor.size["width"], processor.size["height"])
    table = render_hand(["7", "K", "10", "Q"], ["spades", "clubs", "hearts", "diamonds"])
    stored = resize(table)
    assert stored.size == resize.size and table.size == (1200, 1200)
    full, small = (processor([image], return_tensors="pt")["pixel_values"] for image in (table, stored))
    assert torch.equal(full, small)


def test_a_text_model_has_no_image_size(tiny_text_model):
    assert input_resize(tiny_text_model) is None
