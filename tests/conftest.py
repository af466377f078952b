"""Suite-wide settings: two cores are shared by everything, so torch uses one thread per test process."""

import os
import tempfile

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
_xdg = tempfile.mkdtemp(prefix="agent-rl-xdg-")
os.environ.setdefault("XDG_CONFIG_HOME", _xdg)
os.environ.setdefault("XDG_CACHE_HOME", _xdg)

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass
