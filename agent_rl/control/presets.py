"""Where the control agents' settings come from: the algorithm's dataclass defaults (the paper's, the GPU
preset), a CPU preset (narrower networks, fewer flow steps) and the per-task table the FQL paper tuned.

Precedence: dataclass defaults < size preset < per-task table < the recipe's explicit overrides.
"""

from __future__ import annotations

from typing import Any

from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.control.iql import IQL, IQLConfig
from agent_rl.control.rebrac import ReBRAC, ReBRACConfig

AGENTS: dict[str, tuple[type, type]] = {
    "fql": (FQL, FQLConfig),
    "iql": (IQL, IQLConfig),
    "rebrac": (ReBRAC, ReBRACConfig),
}

CPU_PRESETS: dict[str, dict[str, Any]] = {
    "fql": {"actor_hidden": (256, 256), "critic_hidden": (256, 256), "flow_steps": 5},
    "iql": {"actor_hidden": (256, 256), "critic_hidden": (256, 256)},
    "rebrac": {"actor_hidden": (256, 256), "critic_hidden": (256, 256)},
}

# FQL paper, per environment family (prefix of the env name): distillation weight α and the exceptions.
FQL_TASK_TABLE: dict[str, dict[str, Any]] = {
    "cube-single": {"alpha": 300.0},
    "cube-double": {"alpha": 300.0},
    "scene": {"alpha": 300.0},
    "puzzle-3x3": {"alpha": 1000.0},
    "puzzle-4x4": {"alpha": 1000.0},
    "antmaze-large": {"alpha": 10.0, "q_agg": "min"},
    "humanoidmaze": {"alpha": 30.0, "discount": 0.995},
}


def task_settings(agent: str, env: str) -> dict[str, Any]:
    """The tuned per-task settings for an env name (e.g. 'cube-single-play-v0'), or {} if none."""
    if agent != "fql":
        return {}
    for prefix, settings in FQL_TASK_TABLE.items():
        if env.startswith(prefix):
            return dict(settings)
    return {}


def build_config(agent: str, preset: str, env: str, overrides: dict[str, Any]):
    """The agent's config dataclass with preset, per-task table and overrides applied (unknown keys raise)."""
    _, config_cls = AGENTS[agent]
    fields = set(config_cls.__dataclass_fields__)
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown {agent} settings {unknown}; known: {sorted(fields)}")
    values = {**(CPU_PRESETS[agent] if preset == "cpu" else {}), **task_settings(agent, env), **overrides}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return config_cls(**values)
