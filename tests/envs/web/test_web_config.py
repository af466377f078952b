import pytest
from pydantic import ValidationError

from envs.web.config import WebEnvConfig


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_steps", 0),
        ("viewport", (0, 720)),
        ("settle_timeout_s", 0.0),
        ("navigation_timeout_s", float("inf")),
        ("max_invalid", 0),
        ("max_repeats", -1),
        ("history", -1),
        ("max_obs_tokens", 8),
    ],
)
def test_out_of_range_settings_are_refused_by_name(field, value):
    with pytest.raises(ValidationError, match=field):
        WebEnvConfig(**{field: value})


def test_zero_history_is_allowed():
    assert WebEnvConfig(history=0).history == 0
