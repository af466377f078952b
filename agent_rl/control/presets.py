"""Where the control agents' settings come from: the algorithm's `get_config()` defaults (the paper's, the GPU
preset), a CPU preset (narrower networks, fewer flow steps) and the per-task tables of the FQL paper.

Precedence: defaults < size preset < per-task table < the recipe's explicit overrides.
"""

from __future__ import annotations

from typing import Any

from agent_rl.control.crl import CRL, CRLConfig
from agent_rl.control.double_sharsa import DoubleSHARSA, DoubleSHARSAConfig
from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.control.gcbc import GCBC, GCBCConfig
from agent_rl.control.gciql import GCIQL, GCIQLConfig
from agent_rl.control.gcivl import GCIVL, GCIVLConfig
from agent_rl.control.hiql import HIQL, HIQLConfig
from agent_rl.control.iql import IQL, IQLConfig
from agent_rl.control.qrl import QRL, QRLConfig
from agent_rl.control.rebrac import ReBRAC, ReBRACConfig
from agent_rl.control.sharsa import SHARSA, SHARSAConfig

# Goal-conditioned agents (OGBench's references): one agent for all tasks, trained on relabelled goals.
GOAL_AGENTS: dict[str, tuple[type, type]] = {
    "gcbc": (GCBC, GCBCConfig),
    "gcivl": (GCIVL, GCIVLConfig),
    "gciql": (GCIQL, GCIQLConfig),
    "qrl": (QRL, QRLConfig),
    "crl": (CRL, CRLConfig),
    "hiql": (HIQL, HIQLConfig),
    "sharsa": (SHARSA, SHARSAConfig),
    "double_sharsa": (DoubleSHARSA, DoubleSHARSAConfig),
}
AGENTS: dict[str, tuple[type, type]] = {
    "fql": (FQL, FQLConfig),
    "iql": (IQL, IQLConfig),
    "rebrac": (ReBRAC, ReBRACConfig),
    **GOAL_AGENTS,
}

CPU_PRESETS: dict[str, dict[str, Any]] = {
    "fql": {"actor_hidden": (256, 256), "critic_hidden": (256, 256), "flow_steps": 5},
    "iql": {"actor_hidden": (256, 256), "critic_hidden": (256, 256)},
    "rebrac": {"actor_hidden": (256, 256), "critic_hidden": (256, 256)},
    # goal-conditioned: (256, 256) networks and batch 256 instead of (512,)*3 and 1024
    "gcbc": {"actor_hidden": (256, 256), "batch_size": 256},
    "gcivl": {"actor_hidden": (256, 256), "value_hidden": (256, 256), "batch_size": 256},
    "gciql": {"actor_hidden": (256, 256), "critic_hidden": (256, 256), "batch_size": 256},
    "qrl": {"actor_hidden": (256, 256), "value_hidden": (256, 256), "latent_dim": 256, "batch_size": 256},
    "crl": {"actor_hidden": (256, 256), "value_hidden": (256, 256), "latent_dim": 256, "batch_size": 256},
    "hiql": {"actor_hidden": (256, 256), "value_hidden": (256, 256), "batch_size": 256},
    # SHARSA's reference size is (1024,)*4; the CPU preset keeps its 10 flow steps and 32 candidates
    "sharsa": {"actor_hidden": (256, 256), "value_hidden": (256, 256), "batch_size": 256},
    "double_sharsa": {"actor_hidden": (256, 256), "value_hidden": (256, 256), "batch_size": 256},
}

# Per environment family (a prefix of the dataset name), as the FQL paper ran each method (its README's flags
# and appendix tables). γ 0.995 for the long-horizon navigation families holds for every method.
_LONG_HORIZON = {"discount": 0.995}
TASK_TABLES: dict[str, dict[str, dict[str, Any]]] = {
    "fql": {
        "antmaze-large": {"alpha": 10.0, "q_agg": "min"},
        "antmaze-giant": {"alpha": 10.0, "q_agg": "min", **_LONG_HORIZON},
        "humanoidmaze": {"alpha": 30.0, **_LONG_HORIZON},
        "antsoccer": {"alpha": 10.0, **_LONG_HORIZON},
        "cube-single": {"alpha": 300.0},
        "cube-double": {"alpha": 300.0},
        "scene": {"alpha": 300.0},
        "puzzle-3x3": {"alpha": 1000.0},
        "puzzle-4x4": {"alpha": 1000.0},
    },
    "iql": {  # AWR inverse temperature α
        "antmaze-large": {"alpha": 10.0},
        "antmaze-giant": {"alpha": 10.0, **_LONG_HORIZON},
        "humanoidmaze": {"alpha": 10.0, **_LONG_HORIZON},
        "antsoccer": {"alpha": 1.0, **_LONG_HORIZON},
        "cube-single": {"alpha": 1.0},
        "cube-double": {"alpha": 0.3},
        "scene": {"alpha": 10.0},
        "puzzle-3x3": {"alpha": 10.0},
        "puzzle-4x4": {"alpha": 3.0},
    },
    "rebrac": {  # actor BC weight, critic BC penalty
        "antmaze-large": {"alpha_actor": 0.003, "alpha_critic": 0.002},
        "antmaze-giant": {"alpha_actor": 0.003, "alpha_critic": 0.001, **_LONG_HORIZON},
        "humanoidmaze": {"alpha_actor": 0.01, "alpha_critic": 0.01, **_LONG_HORIZON},
        "antsoccer": {"alpha_actor": 0.01, "alpha_critic": 0.01, **_LONG_HORIZON},
        "cube-single": {"alpha_actor": 1.0, "alpha_critic": 0.0},
        "cube-double": {"alpha_actor": 0.1, "alpha_critic": 0.0},
        "scene": {"alpha_actor": 0.1, "alpha_critic": 0.01},
        "puzzle-3x3": {"alpha_actor": 0.3, "alpha_critic": 0.01},
        "puzzle-4x4": {"alpha_actor": 0.3, "alpha_critic": 0.01},
    },
}

# Offline-to-online FQL uses other α's on two families (the README's offline-to-online flags).
FQL_O2O_TABLE: dict[str, dict[str, Any]] = {
    "humanoidmaze": {"alpha": 100.0, **_LONG_HORIZON},
    "antsoccer": {"alpha": 30.0, **_LONG_HORIZON},
}


def task_settings(agent: str, env: str, online: bool = False) -> dict[str, Any]:
    """The tuned per-task settings for an env name (e.g. 'cube-single-play-v0'), or {} if none."""
    tables = [FQL_O2O_TABLE] if online and agent == "fql" else []
    for table in [*tables, TASK_TABLES.get(agent, {})]:
        for prefix, settings in table.items():
            if env.startswith(prefix):
                return dict(settings)
    return {}


def build_config(agent: str, preset: str, env: str, overrides: dict[str, Any], online: bool = False):
    """The agent's config with preset, per-task table and overrides applied (unknown keys raise ValueError)."""
    _, config_cls = AGENTS[agent]
    unknown = sorted(set(overrides) - set(config_cls.model_fields))
    if unknown:
        raise ValueError(f"unknown {agent} settings {unknown}; known: {sorted(config_cls.model_fields)}")
    values = {
        **(CPU_PRESETS[agent] if preset == "cpu" else {}),
        **task_settings(agent, env, online),
        **overrides,
    }
    return config_cls(**values)
