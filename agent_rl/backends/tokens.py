"""The one tokenisation path from chat messages to model tokens, shared by generation and training.

The transformers backend tokenises its prompts here, and the learner re-tokenises here the turns that came
without token ids (from an HTTP server or a human demonstration), so a prompt is the same token sequence
whether it was sampled or is being trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plain_text(content: Any) -> Any:
    """Join a list of text parts into one string; leave anything else as it is."""
    if isinstance(content, list) and all(part.get("type") == "text" for part in content):
        return "".join(part["text"] for part in content)
    return content


def open_images(images: list[Any]) -> list[Any]:
    """PIL images as they are; stored file paths opened as RGB."""
    from PIL import Image

    return [Image.open(image).convert("RGB") if isinstance(image, (str, Path)) else image for image in images]


def chat_text(messages: list[dict[str, Any]], tokenizer: Any, processor: Any = None) -> str:
    """The prompt as the model reads it: its chat template, ending where the assistant's answer begins."""
    if processor is None:  # text models' templates often expect plain-string content
        messages = [{**m, "content": plain_text(m["content"])} for m in messages]
    templater = processor or tokenizer
    return templater.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def encode_texts(texts: list[str], tokenizer: Any) -> list[list[int]]:
    """Token ids of chat texts (the template already placed every special token)."""
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def processor_inputs(processor: Any, texts: list[str], images: list[Any], **padding: Any) -> dict[str, Any]:
    """A VLM's model inputs (its processor expands each image into its image tokens)."""
    return processor(
        text=texts,
        images=open_images(images) or None,
        add_special_tokens=False,
        return_tensors="pt",
        **padding,
    )


def prompt_token_ids(
    messages: list[dict[str, Any]], images: list[Any], tokenizer: Any, processor: Any = None
) -> list[int]:
    """The prompt's token ids, exactly as the transformers backend feeds them to the model."""
    text = chat_text(messages, tokenizer, processor)
    if processor is None:
        return encode_texts([text], tokenizer)[0]
    return processor_inputs(processor, [text], images)["input_ids"][0].tolist()


def response_token_ids(text: str, tokenizer: Any) -> list[int]:
    """A finished answer's token ids, closed by EOS as a sampled answer is."""
    return encode_texts([text], tokenizer)[0] + [tokenizer.eos_token_id]
