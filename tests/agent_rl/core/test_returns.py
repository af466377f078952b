import numpy as np
import pytest

from agent_rl.core.returns import discounted_returns, gae, group_normalized_advantages


def test_discounted_returns_by_hand():
    # GeneralPoints-like: two failed attempts then a success.
    got = discounted_returns([-1.0, -3.0, 5.0], gamma=0.9)
    assert got == pytest.approx([-1 + 0.9 * (-3 + 0.9 * 5), -3 + 0.9 * 5, 5.0])


def test_discounted_returns_bootstrap():
    assert discounted_returns([1.0], gamma=0.5, bootstrap=4.0) == pytest.approx([3.0])


def test_gae_by_hand():
    rewards, values = [1.0, 2.0], [0.5, 1.0]
    gamma, lam = 0.9, 0.95
    d1 = 2.0 - 1.0
    d0 = 1.0 + gamma * 1.0 - 0.5
    adv, targets = gae(rewards, values, gamma, lam)
    assert adv == pytest.approx([d0 + gamma * lam * d1, d1])
    assert targets == pytest.approx(adv + np.array(values))


def test_gae_lambda_one_is_return_minus_value():
    rewards, values = [1.0, -2.0, 3.0], [0.3, 0.1, -0.4]
    adv, _ = gae(rewards, values, gamma=0.9, lam=1.0)
    assert adv == pytest.approx(discounted_returns(rewards, 0.9) - np.array(values))


def test_gae_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        gae([1.0, 2.0], [0.0])


def test_group_normalized_by_hand():
    # Episode A solves at once (+5); episode B fails once (-1) then solves (+5). gamma = 1.
    a, b = group_normalized_advantages([[5.0], [-1.0, 5.0]], gamma=1.0)
    pooled = np.array([5.0, 4.0, 5.0])
    mean, std = pooled.mean(), pooled.std()
    assert a == pytest.approx([(5 - mean) / std], rel=1e-4)
    assert b == pytest.approx([(4 - mean) / std, (5 - mean) / std], rel=1e-4)
    assert b[0] < 0 < a[0]


def test_group_with_equal_returns_has_no_signal():
    adv = group_normalized_advantages([[5.0], [5.0]])
    assert all((a == 0).all() for a in adv)


def test_group_advantages_without_std_keep_the_reward_scale():
    # no success in the first group: two kinds of failure (-3 and -4); a success in the second
    failing = group_normalized_advantages([[-3.0], [-4.0]], by_std=False)
    solved = group_normalized_advantages([[5.0], [-4.0]], by_std=False)
    assert [float(a[0]) for a in failing] == [0.5, -0.5]
    assert [float(a[0]) for a in solved] == [4.5, -4.5]
    # GRPO's std division gives both groups the same push
    assert np.allclose([a[0] for a in group_normalized_advantages([[-3.0], [-4.0]])], [1.0, -1.0], atol=1e-5)


def test_per_turn_baseline_compares_each_attempt_with_the_same_attempt():
    # A solves at once (+5); B and C fail (-4), then run out of attempts (-1, the same for both)
    a, b, c = group_normalized_advantages([[5.0], [-4.0, -1.0], [-4.0, -1.0]], by_std=False, per_turn=True)
    first = np.array([5.0, -5.0, -5.0])  # returns-to-go of the first attempts
    assert a[0] == pytest.approx(5.0 - first.mean())
    assert b[0] == pytest.approx(-5.0 - first.mean()) and c[0] == b[0]
    assert b[1] == 0.0 and c[1] == 0.0  # equal second attempts carry no signal
    # pooled, the second attempts' -1 sits above the group's mean and would be reinforced
    pooled = group_normalized_advantages([[5.0], [-4.0, -1.0], [-4.0, -1.0]], by_std=False)
    assert pooled[1][1] > 0
