"""agent-rl: post-training for foundation-model agents."""

__version__ = "0.1.0"
