"""The fixed input size of a VLM's image processor, so datasets can store images as the model will see them.

The env draws a 1200x1200 table; a processor with a fixed size (the tiny VLM's CLIP processor) resizes it on
every training step, which costs far more than the tiny model's own step (decoding the stored 1200x1200 PNG,
then resampling it). Resizing once when the dataset is made, with the processor's own resampling filter,
gives the processor the same pixels (it leaves an image of its size as it is) at a fraction of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class InputResize:
    size: tuple[int, int]  # (width, height), as PIL names sizes
    resample: int  # a PIL resampling filter

    def __call__(self, image: Any) -> Any:
        from PIL import Image

        return image if image.size == self.size else image.resize(self.size, Image.Resampling(self.resample))


def input_resize(model_path: str | Path) -> InputResize | None:
    """How the model's image processor resizes every image, or None: a text model, or a processor without one
    fixed height and width (one that keeps the aspect ratio or varies the resolution), whose inputs stay as
    drawn."""
    from transformers import AutoImageProcessor

    try:
        processor = AutoImageProcessor.from_pretrained(str(model_path))
    except (OSError, ValueError):  # no image processor: a text model
        return None
    size = dict(getattr(processor, "size", None) or {})
    size = {key: value for key, value in size.items() if value}
    if not getattr(processor, "do_resize", False) or set(size) != {"height", "width"}:
        return None
    return InputResize((int(size["width"]), int(size["height"])), int(processor.resample))
