"""Our PPO/A2C policy class: SB3's ``MultiInputActorCriticPolicy`` plus ``squash_mean``.

SB3's Gaussian policy puts no bound on the action mean; the env clips each sampled action
to [-1, 1]. A policy that wants full speed pushes its mean far past 1 (PointNav's shipped
PPO: linear mean 4-9 with std 0.4), after which every sample clips to full speed: it
never again tries a slower one, so it cannot learn to slow down in a turn, and every turn
is driven as a full-speed arc, which costs SPL.

With ``squash_mean`` the mean goes through tanh, so it stays inside the action bounds
and the exploration noise keeps reaching below full speed. Choose it in a training
config with ``policy: {squash_mean: true}`` (ppo and a2c, continuous actions).

Its ``forward`` (one call per rollout step) computes what SB3's does, to the bit and from
the same random numbers, in about two thirds of the time: the layers are called without
``nn.Module.__call__`` (:func:`policies.networks.run_layers`) and the Gaussian's sample and
log-probability are computed without building a ``torch.distributions.Normal``, whose
argument checks cost ~100 µs a step. Its ``evaluate_actions`` (one call per PPO
minibatch) does the same for the values, log-probabilities and entropies the loss is built
from: the same float operations in the same order, so the gradients, and the weights
after training, are SB3's to the bit.

Every PPO and A2C run of ``smartbot train`` uses this class (unless a symmetry is chosen);
with ``squash_mean: false`` it is SB3's policy, only faster.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.distributions import DiagGaussianDistribution
from stable_baselines3.common.policies import MultiInputActorCriticPolicy
from torch import nn

from policies.networks import run_layers

__all__ = ["SmartbotActorCriticPolicy", "gaussian_log_prob", "gaussian_entropy"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
_HALF_LOG_2PI_E = 0.5 + 0.5 * math.log(2 * math.pi)


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """Log-density of independent Gaussians, summed over the last axis: (B, d) -> (B,).

    The same float operations, in the same order, as ``Normal(mean, std).log_prob(x)``
    followed by SB3's sum over action dimensions.
    """
    var = std**2
    return (-((x - mean) ** 2) / (2 * var) - std.log() - _LOG_SQRT_2PI).sum(dim=1)


def gaussian_entropy(std: torch.Tensor) -> torch.Tensor:
    """Entropy of independent Gaussians, summed over the last axis: (B, d) -> (B,).

    The same float operations as ``Normal(mean, std).entropy()`` followed by SB3's sum.
    """
    return (_HALF_LOG_2PI_E + torch.log(std)).sum(dim=1)


class SmartbotActorCriticPolicy(MultiInputActorCriticPolicy):
    """``MultiInputActorCriticPolicy`` with an optional tanh on the action mean.

    Args (beyond SB3's):
        squash_mean: action mean = tanh(action_net(latent)), in (-1, 1) per dimension.
            The log-std is unchanged; actions (B, dim) are sampled around that mean.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Space[Any],
        lr_schedule: Any,
        squash_mean: bool = False,
        **kwargs: Any,
    ) -> None:
        if squash_mean and not isinstance(action_space, spaces.Box):
            raise ValueError(
                f"policy.squash_mean: needs a continuous (Box) action space, got {action_space}"
            )
        self.squash_mean = bool(squash_mean)
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        if self.squash_mean:
            # The optimizer already holds the Linear's parameters; wrapping keeps them.
            self.action_net = nn.Sequential(self.action_net, nn.Tanh())

    def forward(
        self, obs: Any, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Actions (B, d), values (B, 1) and log-probabilities (B,) of ``obs``, as SB3's
        ``forward`` returns them; a Gaussian policy with a shared extractor (PPO and A2C
        here) takes the short path described in the module docstring."""
        if not self._short_path():
            return super().forward(obs, deterministic)
        features = self.extract_features(obs)
        assert isinstance(features, torch.Tensor)  # one extractor: one tensor
        latent_pi = run_layers(self.mlp_extractor.policy_net, features)
        latent_vf = run_layers(self.mlp_extractor.value_net, features)
        values = run_layers(self.value_net, latent_vf)
        mean = run_layers(self.action_net, latent_pi)
        std = torch.ones_like(mean) * self.log_std.exp()
        if deterministic:
            actions = mean
        else:  # Normal.rsample: one standard normal draw per entry from torch's generator
            eps = torch.empty(mean.shape, dtype=mean.dtype, device=mean.device).normal_()
            actions = mean + eps * std
        log_prob = gaussian_log_prob(actions, mean, std)
        return actions.reshape((-1, *self.action_space.shape)), values, log_prob  # type: ignore[misc]

    def _short_path(self) -> bool:
        """A Gaussian policy with a shared extractor: the case the short paths compute."""
        gaussian = type(self.action_dist) is DiagGaussianDistribution
        return gaussian and self.share_features_extractor

    def evaluate_actions(
        self, obs: Any, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Values (B, 1), log-probabilities (B,) and entropies (B,) of ``actions`` (B, d)
        under the policy at ``obs``, as SB3's ``evaluate_actions`` returns them."""
        if not self._short_path():
            return super().evaluate_actions(obs, actions)
        features = self.extract_features(obs)
        assert isinstance(features, torch.Tensor)
        # SB3's order: actor latent, critic latent, mean, log-probability, value, entropy.
        latent_pi = run_layers(self.mlp_extractor.policy_net, features)
        latent_vf = run_layers(self.mlp_extractor.value_net, features)
        mean = run_layers(self.action_net, latent_pi)
        std = torch.ones_like(mean) * self.log_std.exp()
        log_prob = gaussian_log_prob(actions, mean, std)
        values = run_layers(self.value_net, latent_vf)
        return values, log_prob, gaussian_entropy(std)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data["squash_mean"] = self.squash_mean
        return data
