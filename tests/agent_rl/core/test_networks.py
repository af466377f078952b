"""The reference's MLP block: layer order, initialisation, actor-head scale, batched ensembles, detached use."""

import math

import torch
import torch.nn.functional as F

from agent_rl.core.networks import LAYER_NORM_EPS, MLP, Critic, GaussianActor, gelu_tanh


def test_hidden_layers_are_dense_then_gelu_then_layer_norm():
    torch.manual_seed(0)
    net = MLP(5, (7, 6), 3, layer_norm=True)
    with torch.no_grad():  # non-trivial LayerNorm affine, so its place in the block matters
        for s, b in zip(net.ln_scales, net.ln_biases, strict=True):
            s.uniform_(0.5, 1.5)
            b.uniform_(-0.5, 0.5)
    x = torch.randn(4, 5)
    h = x
    for i in range(2):
        h = h @ net.weights[i][0] + net.biases[i][0]
        h = F.gelu(h, approximate="tanh")
        h = F.layer_norm(h, h.shape[-1:], eps=LAYER_NORM_EPS) * net.ln_scales[i][0] + net.ln_biases[i][0]
    expected = h @ net.weights[2][0] + net.biases[2][0]
    assert torch.allclose(net(x), expected, atol=1e-6)
    # the old order (LayerNorm before GELU) gives something else
    h = x @ net.weights[0][0] + net.biases[0][0]
    wrong = F.gelu(
        F.layer_norm(h, h.shape[-1:], eps=LAYER_NORM_EPS) * net.ln_scales[0][0] + net.ln_biases[0][0]
    )
    right = F.layer_norm(F.gelu(h, approximate="tanh"), h.shape[-1:], eps=LAYER_NORM_EPS)
    right = right * net.ln_scales[0][0] + net.ln_biases[0][0]
    assert not torch.allclose(wrong, right, atol=1e-3)


def test_kernels_are_xavier_uniform_biases_zero_and_actor_heads_start_at_scale_0_01():
    torch.manual_seed(0)
    net = MLP(300, (500,), 200, head_scale=0.01)
    hidden, head = net.weights[0], net.weights[1]
    limit = math.sqrt(6 / (300 + 500))
    assert hidden.abs().max() <= limit and hidden.abs().max() > 0.95 * limit
    assert abs(hidden.std().item() - limit / math.sqrt(3)) < 0.01 * limit
    head_limit = math.sqrt(0.01 * 6 / (500 + 200))  # variance scaled by 0.01
    assert head.abs().max() <= head_limit and head.abs().max() > 0.95 * head_limit
    assert all(torch.count_nonzero(b) == 0 for b in net.biases)
    actor = GaussianActor(10, (32,), 4)
    assert actor.net.weights[-1].abs().max() <= math.sqrt(0.01 * 6 / (32 + 4))


def test_an_ensemble_is_independent_members_in_one_batched_call():
    torch.manual_seed(0)
    critic = Critic(6, (8, 8), ensemble=3, layer_norm=True)
    x = torch.randn(5, 6)
    out = critic(x)
    assert out.shape == (3, 5)
    for e in range(3):
        member = MLP(6, (8, 8), 1, layer_norm=True)
        with torch.no_grad():
            for dst, src in zip(member.parameters(), critic.net.parameters(), strict=True):
                dst.copy_(src[e : e + 1])
        assert torch.allclose(member(x).squeeze(-1), out[e], atol=1e-6)
    assert not torch.allclose(out[0], out[1])  # members start differently


def test_detached_parameters_pass_gradient_to_inputs_only():
    critic = Critic(4, (8,), ensemble=2)
    x = torch.randn(3, 4, requires_grad=True)
    critic(x, detach_params=True).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in critic.parameters())


def test_const_std_actor_has_unit_std_and_no_std_parameter():
    actor = GaussianActor(3, (8,), 2, const_std=True)
    dist = actor.dist(torch.randn(4, 3))
    assert torch.equal(dist.stddev, torch.ones(4, 2))
    assert actor.log_std is None
    learned = GaussianActor(3, (8,), 2, const_std=False)
    assert learned.log_std is not None and learned.log_std.requires_grad
    squashed = GaussianActor(3, (8,), 2, tanh_squash=True)
    assert squashed.mode(torch.randn(50, 3) * 100).abs().max() <= 1.0


def test_an_ensemble_gives_each_member_the_gradients_it_would_get_alone():
    torch.manual_seed(0)
    critic = Critic(6, (8, 8), ensemble=2, layer_norm=True)
    x = torch.randn(5, 6)
    target = torch.randn(2, 5)
    (critic(x) - target).pow(2).mean(-1).sum().backward()
    for e in range(2):
        member = MLP(6, (8, 8), 1, layer_norm=True)
        with torch.no_grad():
            for dst, src in zip(member.parameters(), critic.net.parameters(), strict=True):
                dst.copy_(src[e : e + 1])
        (member(x).squeeze(-1) - target[e]).pow(2).mean().backward()
        for alone, batched in zip(member.parameters(), critic.net.parameters(), strict=True):
            assert torch.allclose(alone.grad, batched.grad[e : e + 1], atol=1e-6)


def test_under_bf16_autocast_hidden_layers_run_in_bf16_and_the_output_layer_in_float32():
    torch.manual_seed(0)
    net = MLP(6, (64, 64), 3, layer_norm=True)
    x = torch.randn(32, 6)
    dense, dtypes = net._dense, []
    net._dense = lambda *args: dtypes.append(dense(*args).dtype) or dense(*args)
    with torch.autocast("cpu", torch.bfloat16):
        out = net(x)
    assert dtypes == [torch.bfloat16, torch.bfloat16, torch.float32] and out.dtype == torch.float32
    exact = net(x)
    assert not torch.equal(out, exact)
    assert torch.allclose(out, exact, atol=0.05 * exact.abs().max().item())
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_the_compiled_form_of_gelu_is_the_tanh_approximation_in_value_and_gradient(monkeypatch):
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64, requires_grad=True)
    (eager_grad,) = torch.autograd.grad(gelu_tanh(x).sum(), x)
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    compiled = gelu_tanh(x)
    (compiled_grad,) = torch.autograd.grad(compiled.sum(), x)
    assert torch.allclose(compiled, F.gelu(x, approximate="tanh"), atol=1e-12)
    assert torch.allclose(compiled_grad, eager_grad, atol=1e-12)
    assert not torch.allclose(compiled, F.gelu(x), atol=1e-5)  # the tanh approximation, not erf
