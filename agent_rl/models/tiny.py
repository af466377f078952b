"""`agent-rl model tiny`: a tiny Llama (or LLaVA-style VLM) with a tokenizer trained here, saved for `from_pretrained`.

There is no model hub on our machines, so tests, demos and benchmarks run on these. They load through the same
`from_pretrained` code path as a real model; only their size differs.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Iterator
from pathlib import Path

from agent_rl.core.bounds import Count, Seed
from agent_rl.core.cli_args import arg_type, out_folder
from agent_rl.errors import UserError
from agent_rl.models.chat_template import BOS, CHAT_TEMPLATE, END, IMAGE, PAD, SPECIAL_TOKENS, UNK


def corpus(seed: int, hands: int = 400) -> Iterator[str]:
    """Text like what the models will read and write: GeneralPoints prompts (both rules, text and vision),
    JSON answers with solver-made formulas, and the env's failure feedback on wrong answers."""
    from envs.generalpoints import GeneralPointsEnv, format_answer

    rng = random.Random(seed)
    for face_cards_as_10 in (True, False):
        for modality in ("text", "vision"):
            env = GeneralPointsEnv(face_cards_as_10=face_cards_as_10, modality=modality)
            for index in range(hands // 4):
                obs, info = env.reset(seed=seed * 100_003 + index)
                content = obs["messages"][0]["content"]
                yield content if isinstance(content, str) else content[-1]["text"]
                solution = rng.choice(info["solutions"])
                yield format_answer(info["cards"], info["numbers"], solution)
                wrong = list(solution)
                rng.shuffle(wrong)
                obs, *_ = env.step(format_answer(info["cards"], info["numbers"], "".join(wrong)))
                yield obs["messages"][-1]["content"]
    yield " ".join(str(n) for n in range(200))


def build_tokenizer(seed: int = 0, vocab_size: int = 1024):
    """A byte-level BPE tokenizer (digits split one by one, so arithmetic stays learnable) with our chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus(seed), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=END,
        pad_token=PAD,
        unk_token=UNK,
        extra_special_tokens={"image_token": IMAGE},
        padding_side="left",
        clean_up_tokenization_spaces=False,
        model_max_length=4096,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def _llama_config(tokenizer, hidden_size: int, layers: int, heads: int, max_positions: int):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def _save_generation_config(model, tokenizer) -> None:
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id


def build_tiny_text_model(
    out_dir: str | Path,
    seed: int = 0,
    *,
    hidden_size: int = 128,
    layers: int = 2,
    heads: int = 4,
    vocab_size: int = 1024,
    max_positions: int = 2048,
) -> Path:
    """Train a tokenizer, initialise a tiny LlamaForCausalLM and save both to `out_dir`."""
    import torch
    from transformers import LlamaForCausalLM

    out = Path(out_dir)
    tokenizer = build_tokenizer(seed, vocab_size)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(_llama_config(tokenizer, hidden_size, layers, heads, max_positions))
    _save_generation_config(model, tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_vlm(
    out_dir: str | Path,
    seed: int = 0,
    *,
    hidden_size: int = 128,
    layers: int = 2,
    heads: int = 4,
    vocab_size: int = 1024,
    max_positions: int = 2048,
    image_size: int = 128,
    patch_size: int = 16,
    vision_hidden_size: int = 64,
    vision_layers: int = 2,
) -> Path:
    """A LLaVA layout (CLIP vision tower, projector, Llama text model) with a PIL-only CLIP image processor.

    The processor needs no torchvision. Each image becomes (image_size / patch_size)^2 `<image>` tokens.
    """
    import torch
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    out = Path(out_dir)
    tokenizer = build_tokenizer(seed, vocab_size)
    vision = CLIPVisionConfig(
        hidden_size=vision_hidden_size,
        intermediate_size=vision_hidden_size * 2,
        num_hidden_layers=vision_layers,
        num_attention_heads=max(1, vision_hidden_size // 32),
        image_size=image_size,
        patch_size=patch_size,
        projection_dim=vision_hidden_size,
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=_llama_config(tokenizer, hidden_size, layers, heads, max_positions),
        image_token_index=tokenizer.convert_tokens_to_ids(IMAGE),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
        image_seq_length=(image_size // patch_size) ** 2,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config)
    _save_generation_config(model, tokenizer)
    image_processor = CLIPImageProcessorPil(
        size={"height": image_size, "width": image_size},
        crop_size={"height": image_size, "width": image_size},
        do_center_crop=False,
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # the CLS token, which the "default" strategy drops again
        chat_template=CHAT_TEMPLATE,
        image_token=IMAGE,
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    parser = add("model", "tiny", "build a tiny local text model or VLM")
    parser.set_defaults(main=main)
    parser.add_argument(
        "--out", type=out_folder, required=True, help="folder to write the model and tokenizer to"
    )
    parser.add_argument("--vision", action="store_true", help="build a tiny VLM (LLaVA layout) instead")
    parser.add_argument("--seed", type=arg_type(Seed), default=0)
    parser.add_argument("--hidden-size", type=arg_type(Count), default=128)
    parser.add_argument("--layers", type=arg_type(Count), default=2)
    parser.add_argument("--heads", type=arg_type(Count), default=4)
    parser.add_argument("--vocab-size", type=arg_type(Count), default=1024)
    parser.add_argument(
        "--image-size", type=arg_type(Count), default=128, help="VLM only: square input side in pixels"
    )
    parser.add_argument(
        "--patch-size", type=arg_type(Count), default=16, help="VLM only: vision patch side in pixels"
    )


def main(args: argparse.Namespace) -> int:
    if args.out.exists() and any(args.out.iterdir()):
        raise UserError(f"{args.out} is not empty; pass a new folder to --out")
    if args.hidden_size % args.heads:
        raise UserError(f"--hidden-size {args.hidden_size} must be a multiple of --heads {args.heads}")
    if args.vision and args.image_size % args.patch_size:
        raise UserError(
            f"--image-size {args.image_size} must be a multiple of --patch-size {args.patch_size}"
        )
    size = dict(
        hidden_size=args.hidden_size, layers=args.layers, heads=args.heads, vocab_size=args.vocab_size
    )
    if args.vision:
        out = build_tiny_vlm(
            args.out, args.seed, image_size=args.image_size, patch_size=args.patch_size, **size
        )
    else:
        out = build_tiny_text_model(args.out, args.seed, **size)
    print(f"wrote a tiny {'VLM' if args.vision else 'text model'} to {out}")
    return 0
