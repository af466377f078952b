"""GeneralPointsEnv honours the Gymnasium contract: declared spaces, a registered id, check_env, vector envs."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from envs.generalpoints import ENV_ID, GeneralPointsEnv


@pytest.mark.parametrize("modality", ["text", "vision"])
def test_registered_env_passes_check_env(modality, recwarn):
    env = gym.make(ENV_ID, modality=modality, face_cards_as_10=False)
    assert isinstance(env.unwrapped, GeneralPointsEnv) and env.unwrapped.modality == modality
    check_env(env.unwrapped)
    gym_warnings = [str(w.message) for w in recwarn if "WARN" in str(w.message)]  # gymnasium.logger.warn
    assert not gym_warnings, gym_warnings
    obs, _ = env.reset(seed=1)
    assert obs in env.observation_space
    obs, *_ = env.step('{"formula": "1+2"}')
    assert obs in env.observation_space and len(obs["messages"]) == 3
    if modality == "vision":
        assert obs["images"] and obs["messages"][0]["content"][0] == {"type": "image"}


def test_the_module_prefixed_id_imports_and_registers_the_env():
    env = gym.make(f"envs.generalpoints:{ENV_ID}", max_attempts=1)
    assert env.unwrapped.max_attempts == 1 and env.spec.id == ENV_ID


def test_vector_env_steps_text_actions():
    envs = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="sync", max_attempts=2)
    obs, _ = envs.reset(seed=0)
    assert len(obs) == 2 and all(o in envs.single_observation_space for o in obs)
    _, rewards, terminated, truncated, _ = envs.step(('{"formula": "1+2"}', "x"))
    assert rewards[1] == -3.0 and not terminated.any() and not truncated.any()
    envs.close()
