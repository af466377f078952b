"""The MLP block of the reference agents (OGBench, FQL), in torch, shared by every control agent.

Each hidden layer is Dense → GELU (tanh approximation, flax's default) → LayerNorm (when asked), kernels are
Xavier-uniform (fan-average), biases start at zero, and a head can start at a smaller scale (actor heads use
0.01). An ensemble (e.g. two critics) holds each layer's weights as one (E, in, out) tensor, so all members run
in one batched matmul.

Under bf16 autocast (`agent_rl.control.agent`, `precision: bf16`) the hidden layers' matmuls run in bf16 while
the output layer runs in float32 on float32 inputs, so Q values and actions keep full precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal

LAYER_NORM_EPS = 1e-6  # flax's LayerNorm default
GELU_C = math.sqrt(2.0 / math.pi)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """flax's default GELU, the tanh approximation 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).

    Under torch.compile it is written as x·σ(2u), the same function: inductor's CPU tanh is several times slower
    than its sigmoid, while eager's fused kernel is the fastest there.
    """
    if torch.compiler.is_compiling():
        return x * torch.sigmoid(2.0 * GELU_C * (x + 0.044715 * x * x * x))
    return F.gelu(x, approximate="tanh")


def _variance_scaling(shape: tuple[int, ...], fan_in: int, fan_out: int, scale: float) -> torch.Tensor:
    """Uniform init with variance scale / fan_avg (flax's variance_scaling(scale, 'fan_avg', 'uniform'))."""
    limit = math.sqrt(3.0 * scale / ((fan_in + fan_out) / 2))
    return torch.empty(shape).uniform_(-limit, limit)


class MLP(nn.Module):
    """`ensemble` independent MLPs over the concatenation of the inputs.

    Output (batch, out_dim) for one member, (ensemble, batch, out_dim) for several. `detach_params=True` runs
    the network with its parameters cut from autograd: inputs still get gradients, the parameters none (how the
    actor loss queries a critic).
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int],
        out_dim: int,
        layer_norm: bool = False,
        ensemble: int = 1,
        head_scale: float = 1.0,
    ):
        super().__init__()
        self.ensemble, self.layer_norm = ensemble, layer_norm
        dims = [in_dim, *hidden, out_dim]
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        self.ln_scales, self.ln_biases = nn.ParameterList(), nn.ParameterList()
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
            scale = head_scale if i == len(dims) - 2 else 1.0
            self.weights.append(
                nn.Parameter(_variance_scaling((ensemble, fan_in, fan_out), fan_in, fan_out, scale))
            )
            self.biases.append(nn.Parameter(torch.zeros(ensemble, 1, fan_out)))
            if layer_norm and i < len(dims) - 2:
                self.ln_scales.append(nn.Parameter(torch.ones(ensemble, 1, fan_out)))
                self.ln_biases.append(nn.Parameter(torch.zeros(ensemble, 1, fan_out)))

    def forward(self, *inputs: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        x = inputs[0] if len(inputs) == 1 else torch.cat(inputs, dim=-1)
        params = [self.weights, self.biases, self.ln_scales, self.ln_biases]
        if detach_params:
            params = [[t.detach() for t in group] for group in params]
        if self.ensemble == 1:  # plain 2-D matmuls
            params = [[t[0] for t in group] for group in params]
        elif x.dim() == 2:  # the same inputs for every member
            x = x.expand(self.ensemble, *x.shape)
        weights, biases, ln_scales, ln_biases = params
        for i, (w, b) in enumerate(zip(weights[:-1], biases[:-1], strict=True)):
            x = gelu_tanh(self._dense(x, w, b))
            if self.layer_norm:
                x = F.layer_norm(x, x.shape[-1:], eps=LAYER_NORM_EPS) * ln_scales[i] + ln_biases[i]
        with torch.autocast(x.device.type, enabled=False):  # the output layer in float32
            return self._dense(x.float(), weights[-1], biases[-1])

    def _dense(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.ensemble > 1:
            return torch.baddbmm(b, x, w)
        return torch.addmm(b, x, w) if x.dim() == 2 else x @ w + b


class Critic(nn.Module):
    """An ensemble of Q(s, a) (or V(s, g), ...) over concatenated inputs: shape (ensemble, batch)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], ensemble: int = 2, layer_norm: bool = True):
        super().__init__()
        self.net = MLP(in_dim, hidden, 1, layer_norm, ensemble)

    def forward(self, *inputs: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        return self.net(*inputs, detach_params=detach_params).squeeze(-1)


class Value(nn.Module):
    """One value network V(s) (or V(s, g)) over concatenated inputs: shape (batch,)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], layer_norm: bool = True):
        super().__init__()
        self.net = MLP(in_dim, hidden, 1, layer_norm)

    def forward(self, *inputs: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        return self.net(*inputs, detach_params=detach_params).squeeze(-1)


class GaussianActor(nn.Module):
    """The reference's Gaussian actor: an MLP torso, a mean head at scale 0.01, and a state-independent log-std.

    With `const_std` the std is fixed at 1 (log-std 0, not a parameter). `tanh_squash` puts the mean (the mode)
    through tanh, as ReBRAC's deterministic actor does. Sampling scales the std by a temperature.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int],
        action_dim: int,
        layer_norm: bool = False,
        const_std: bool = True,
        tanh_squash: bool = False,
        head_scale: float = 0.01,
    ):
        super().__init__()
        self.const_std, self.tanh_squash = const_std, tanh_squash
        self.net = MLP(in_dim, hidden, action_dim, layer_norm, head_scale=head_scale)
        self.log_std = None if const_std else nn.Parameter(torch.zeros(action_dim))

    def mode(self, *inputs: torch.Tensor) -> torch.Tensor:
        mean = self.net(*inputs)
        return torch.tanh(mean) if self.tanh_squash else mean

    def dist(self, *inputs: torch.Tensor, temperature: float = 1.0) -> Normal:
        """The Gaussian over pre-squash actions (used unsquashed by IQL)."""
        mean = self.net(*inputs)
        log_std = (
            torch.zeros_like(mean) if self.log_std is None else self.log_std.clamp(-5.0, 2.0).expand_as(mean)
        )
        return Normal(mean, log_std.exp() * temperature)
