"""Our PPO/A2C policy class: SB3's ``MultiInputActorCriticPolicy`` plus ``squash_mean``.

SB3's Gaussian policy puts no bound on the action mean; the env clips each sampled action
to [-1, 1]. A policy that wants full speed pushes its mean far past 1 (PointNav's shipped
PPO: linear mean 4-9 with std 0.4), after which every sample clips to full speed: it
never again tries a slower one, so it cannot learn to slow down in a turn, and every turn
is driven as a full-speed arc, which costs SPL.

With ``squash_mean`` the mean goes through tanh, so it stays inside the action bounds
and the exploration noise keeps reaching below full speed. Choose it in a training
config with ``policy: {squash_mean: true}`` (ppo and a2c, continuous actions).
"""

from __future__ import annotations

from typing import Any

from gymnasium import spaces
from stable_baselines3.common.policies import MultiInputActorCriticPolicy
from torch import nn

__all__ = ["SmartbotActorCriticPolicy"]


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

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data["squash_mean"] = self.squash_mean
        return data
