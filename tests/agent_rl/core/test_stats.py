import pytest

from agent_rl.core.stats import wilson_interval


def test_wilson_interval_matches_known_values():
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(234, 234)[1] == 1.0 and wilson_interval(234, 234)[0] > 0.98
