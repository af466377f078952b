"""Model loading and the tiny local models (see tiny.py) that tests, demos and benchmarks run on."""

from agent_rl.models.loading import LoadedModel, load_model

__all__ = ["LoadedModel", "load_model"]
