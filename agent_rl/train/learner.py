"""The one learner under every training mode that updates a policy on its own samples (RL, filtered BC).

It owns the plumbing: accelerate (and DeepSpeed ZeRO) for the devices, the policy with its optional value
head, AdamW, micro-batched gradient accumulation and resumable checkpoints. A mode brings only its loss.
SFT on solver-made data runs through TRL's SFTTrainer (`train.sft`), which shares the DeepSpeed presets
and the checkpoint layout (`checkpoint-N/` with `trainer_state.json`) defined here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from agent_rl.models.lora import LoraOptions, add_lora, merged_copy
from agent_rl.train.policy import PolicyWithValue, TurnSample, collate

LossFn = Callable[[list[TurnSample], dict[str, torch.Tensor]], tuple[torch.Tensor, dict[str, float]]]
STATE_FILE = "trainer_state.json"


def zero_config(stage: int = 2) -> dict[str, Any]:
    """A ZeRO config that lets the HF Trainer fill batch sizes and optimiser settings ("auto")."""
    return {
        "zero_optimization": {"stage": stage},
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
        "bf16": {"enabled": "auto"},
        "fp16": {"enabled": "auto"},
    }


def deepspeed_setting(value: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
    """`zero2` / `zero3` presets as configs; a config file or dict as it is."""
    if isinstance(value, str) and value.startswith("zero"):
        return zero_config(int(value.removeprefix("zero")))
    return value


def latest_checkpoint(folder: Path) -> Path | None:
    """The newest complete `checkpoint-N` in `folder` (one with its trainer state written), or None."""
    if not folder.is_dir():
        return None
    found = [
        p
        for p in folder.glob("checkpoint-*")
        if p.name.removeprefix("checkpoint-").isdigit() and (p / STATE_FILE).exists()
    ]
    return max(found, key=lambda p: int(p.name.removeprefix("checkpoint-"))) if found else None


def count_parameters(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))


class CheckpointLog:
    """`checkpoints.json`: each saved checkpoint with its step, tokens trained on and compute (FLOPs)."""

    def __init__(self, path: Path, init: str, parameters: int) -> None:
        self.path = path
        self.data = (
            json.loads(path.read_text()) if path.exists() else {"init": init, "parameters": parameters}
        )
        self.data.setdefault("checkpoints", [])

    def add(self, step: int, path: str, tokens: float, flops: float, **extra: Any) -> None:
        entries = [c for c in self.data["checkpoints"] if c["step"] != step]
        entries.append({"step": step, "path": path, "tokens": tokens, "flops": flops, **extra})
        self.data["checkpoints"] = sorted(entries, key=lambda c: c["step"])
        self.path.write_text(json.dumps(self.data, indent=2))


class Learner:
    """accelerate + the policy (+ value head) + AdamW; `step` runs one optimiser step over micro-batches."""

    def __init__(
        self,
        model_path: str,
        *,
        lr: float,
        micro_batch_size: int,
        max_grad_norm: float = 1.0,
        with_value: bool = False,
        deepspeed: str | dict[str, Any] | None = None,
        seed: int = 0,
        lora: LoraOptions | None = None,
        freeze_vision: bool = False,
    ) -> None:
        from accelerate import Accelerator

        from agent_rl.models.loading import freeze_vision_tower, load_model

        self.lr, self.micro_batch_size, self.max_grad_norm = lr, micro_batch_size, max_grad_norm
        plugin = None
        if deepspeed is not None:
            from accelerate.utils import DeepSpeedPlugin

            ds = dict(deepspeed_setting(deepspeed))  # type: ignore[arg-type]
            ds["train_micro_batch_size_per_gpu"] = micro_batch_size
            # `step` marks the accumulation boundary itself (one optimiser step per minibatch, whatever
            # its number of micro-batches), so DeepSpeed neither counts micro-steps nor rescales the loss
            ds["gradient_accumulation_steps"] = 1
            ds["gradient_clipping"] = max_grad_norm
            plugin = DeepSpeedPlugin(hf_ds_config=ds)
        self.accelerator = Accelerator(cpu=not torch.cuda.is_available(), deepspeed_plugin=plugin)
        loaded = load_model(model_path, device="cpu")
        self.tokenizer, self.processor = loaded.tokenizer, loaded.processor
        self.n_params = count_parameters(loaded.model)
        torch.manual_seed(seed)
        model = add_lora(loaded.model, lora) if lora else loaded.model  # LoRA: only the adapters train
        if freeze_vision:  # after LoRA, so that adapters inside the tower are frozen too
            freeze_vision_tower(model)
        policy = PolicyWithValue(model, with_value=with_value)
        policy.train()
        trainable = [p for p in policy.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(trainable, lr=lr, weight_decay=0.0)
        self.policy, self.optimizer = self.accelerator.prepare(policy, self.optimizer)
        self.pad_id = self.tokenizer.pad_token_id
        self.rank, self.world = self.accelerator.process_index, self.accelerator.num_processes
        self.uses_deepspeed = deepspeed is not None

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    @property
    def model(self):
        return self.accelerator.unwrap_model(self.policy).model

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def batches(
        self, samples: list[TurnSample], size: int | None = None
    ) -> Iterator[tuple[list[TurnSample], dict[str, torch.Tensor]]]:
        """Consecutive chunks of `size` (default: the micro-batch size), collated onto the device."""
        size = size or self.micro_batch_size
        for start in range(0, len(samples), size):
            chunk = samples[start : start + size]
            yield chunk, {k: v.to(self.device) for k, v in collate(chunk, self.pad_id).items()}

    def sum_over_ranks(self, value: float) -> float:
        return float(self.accelerator.reduce(torch.tensor([float(value)], device=self.device), "sum").item())

    def max_over_ranks(self, value: int) -> int:
        return int(self.accelerator.reduce(torch.tensor([value], device=self.device), "max").item())

    def step(
        self,
        minibatch: list[TurnSample],
        loss_fn: LossFn,
        weight: Callable[[TurnSample], float],
        filler: TurnSample | None = None,
    ) -> list[dict[str, float]]:
        """One optimiser step on this rank's share of a minibatch: each micro-batch's loss is scaled by its
        share of the total `weight` over all ranks (e.g. response tokens), so the gradient depends neither on
        the micro-batch size nor on the number of processes.

        Every rank runs the same number of backward passes (collectives must pair up): a rank with fewer
        micro-batches pads with zero-weight passes over `filler` (default: its first sample).
        """
        total = self.sum_over_ranks(sum(weight(s) for s in minibatch))
        chunks = [
            minibatch[i : i + self.micro_batch_size] for i in range(0, len(minibatch), self.micro_batch_size)
        ]
        n_real, n_chunks = len(chunks), self.max_over_ranks(len(chunks))
        filler = filler or (minibatch[0] if minibatch else None)
        if len(chunks) < n_chunks and filler is None:
            raise ValueError("a rank with no samples needs a filler sample to stay in step")
        chunks += [[filler]] * (n_chunks - len(chunks))  # type: ignore[list-item]
        # accelerate syncs gradients (and DeepSpeed steps) on the last of `n_chunks` passes only
        self.accelerator.gradient_accumulation_steps = n_chunks
        self.accelerator.step = 0
        # accelerate divides each loss by the accumulation steps (DeepSpeed, configured with 1, does not);
        # distributed backends average gradients over ranks: both are undone so `share` alone weighs a pass
        undo = self.world * (1 if self.uses_deepspeed else n_chunks)
        stats = []
        for i, chunk in enumerate(chunks):
            padding = i >= n_real
            with self.accelerator.accumulate(self.policy):
                batch = {k: v.to(self.device) for k, v in collate(chunk, self.pad_id).items()}
                loss, chunk_stats = loss_fn(chunk, batch)
                share = 0.0 if padding else sum(weight(s) for s in chunk) / max(total, 1e-12)
                self.accelerator.backward(loss * (share * undo))
                if self.accelerator.sync_gradients and self.max_grad_norm:
                    self.accelerator.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.optimizer.step()  # a no-op until the gradients are synced
                self.optimizer.zero_grad(set_to_none=True)
            if not padding:
                stats.append(chunk_stats)
        return stats

    def save(self, folder: Path, state: dict[str, Any] | None = None) -> None:
        """A loadable model folder; with `state`, also the value head, optimiser and trainer state that
        `load_state` resumes from."""
        self.accelerator.wait_for_everyone()
        if not self.accelerator.is_main_process:
            return
        folder.mkdir(parents=True, exist_ok=True)
        unwrapped = self.accelerator.unwrap_model(self.policy)
        merged_copy(unwrapped.model).save_pretrained(folder)  # adapters folded in: a plain model folder
        (self.processor or self.tokenizer).save_pretrained(folder)
        if self.processor is not None:
            self.tokenizer.save_pretrained(folder)
        if state is None:
            return
        if unwrapped.value_head is not None:
            torch.save(unwrapped.value_head.state_dict(), folder / "value_head.pt")
        torch.save(self.optimizer.state_dict(), folder / "optimizer.pt")
        (folder / STATE_FILE).write_text(json.dumps(state))

    def load_state(self, folder: Path) -> dict[str, Any]:
        """Restore the value head and optimiser (the model was loaded from `folder`); return the state."""
        unwrapped = self.accelerator.unwrap_model(self.policy)
        if unwrapped.value_head is not None and (folder / "value_head.pt").exists():
            unwrapped.value_head.load_state_dict(torch.load(folder / "value_head.pt"))
        if (folder / "optimizer.pt").exists():
            self.optimizer.load_state_dict(torch.load(folder / "optimizer.pt"))
        return json.loads((folder / STATE_FILE).read_text())
