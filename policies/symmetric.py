"""A PPO/A2C policy that treats driving forwards and backwards alike (fore/aft symmetry).

Our robot is the same turned round (a disc, lidar at the centre): whatever it should do
facing one way, it should do mirrored facing the other. A plain policy does not know
that, and PPO settles early on one driving direction. On PointNav it learns to reverse
everywhere (98% of steps), so whenever the goal lies ahead it must turn round, and it
does so in an arc, which costs SPL.

:class:`ForeAftSymmetricPolicy` builds the symmetry in. With ``g`` the usual network
(our extractor, then the policy and value MLPs), ``R`` the turned-round observation
(:func:`envs.symmetry.fore_aft_mirror`) and ``M = diag(-1, 1)`` (linear command negated,
angular kept), the action mean and the value are::

    mean(o)  = (g_pi(o) + M g_pi(R o)) / 2
    value(o) = (g_v(o) + g_v(R o)) / 2

so ``mean(R o) = M mean(o)`` and ``value(R o) = value(o)`` exactly. The two halves go
through the network as one batch of 2B. Goals ahead are then driven to forwards and goals
behind backwards, with at most a quarter turn first. Choose it in a training config with
``policy: {symmetry: fore_aft}`` (ppo and a2c, continuous actions).
"""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.distributions import DiagGaussianDistribution, Distribution
from torch import nn

from policies.actor_critic import SmartbotActorCriticPolicy

__all__ = ["ObservationMirror", "ForeAftSymmetricPolicy"]


class ObservationMirror(nn.Module):
    """Dict observation (tensors (B, n) per key) -> the turned-round observation.

    Args:
        mirror: per key ``{"index", "sign", "shift"}`` lists of the key's size (see
            :func:`envs.symmetry.fore_aft_mirror`): ``y = sign * x[..., index]``, then
            angles (``shift != 0``) moved by ``shift`` and wrapped into [-pi, pi).
    """

    def __init__(self, mirror: dict[str, dict[str, list[Any]]]) -> None:
        super().__init__()
        for key in sorted(mirror):
            m = mirror[key]
            index = torch.as_tensor(m["index"], dtype=torch.long)
            n = index.numel()
            sign = torch.as_tensor(m["sign"], dtype=torch.float32)
            shift = torch.as_tensor(m["shift"], dtype=torch.float32)
            if sign.numel() != n or shift.numel() != n:
                raise ValueError(f"policy.symmetry: mirror of {key!r} has lists of unequal sizes")
            if n and (int(index.min()) < 0 or int(index.max()) >= n):
                raise ValueError(f"policy.symmetry: mirror of {key!r} indexes outside 0..{n - 1}")
            # Non-persistent buffers: moved with .to(device), not saved (the mirror is
            # rebuilt from the task's config when a model is loaded).
            self.register_buffer(f"_index_{key}", index, persistent=False)
            self.register_buffer(f"_sign_{key}", sign, persistent=False)
            self.register_buffer(f"_shift_{key}", shift, persistent=False)

    def forward(self, obs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for key, x in obs.items():
            index = getattr(self, f"_index_{key}")
            shift = getattr(self, f"_shift_{key}")
            y = x.float()[..., index] * getattr(self, f"_sign_{key}")
            angles = shift != 0
            if bool(angles.any()):
                moved = torch.remainder(y + shift + torch.pi, 2 * torch.pi) - torch.pi
                y = torch.where(angles, moved, y)
            out[key] = y
        return out


class ForeAftSymmetricPolicy(SmartbotActorCriticPolicy):
    """SB3 ``MultiInputActorCriticPolicy`` whose action mean and value are fore/aft
    symmetric (module docstring). Same arguments (and ``squash_mean``, applied to each half
    before they are averaged), plus ``mirror`` (per observation key, from
    :func:`envs.symmetry.fore_aft_mirror`).

    Shapes: observations (B, ...) per key; actions (B, 2) normalised (linear, angular);
    values (B, 1).
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Space[Any],
        lr_schedule: Any,
        mirror: dict[str, dict[str, list[Any]]] | None = None,
        **kwargs: Any,
    ) -> None:
        if mirror is None:
            raise ValueError("policy.symmetry: fore_aft needs the task's mirror (none given)")
        if not isinstance(action_space, spaces.Box) or action_space.shape != (2,):
            raise ValueError(
                "policy.symmetry: fore_aft needs the continuous (2,) action (linear, angular); "
                f"got {action_space}"
            )
        if kwargs.get("use_sde"):
            raise ValueError("policy.symmetry: fore_aft does not support use_sde")
        missing = sorted(set(observation_space.spaces) - set(mirror))
        if missing:
            raise ValueError(f"policy.symmetry: the mirror lacks observation key {missing[0]!r}")
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)
        self.mirror = mirror
        self.obs_mirror = ObservationMirror(mirror)
        self.register_buffer("action_mirror", torch.tensor([-1.0, 1.0]), persistent=False)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data["mirror"] = self.mirror
        return data

    def _mean_and_value(self, obs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Symmetrised action mean (B, 2) and value (B, 1) of a batch of observations."""
        floats = {key: x.float() for key, x in obs.items()}
        turned = self.obs_mirror(floats)
        both = {key: torch.cat([floats[key], turned[key]]) for key in floats}
        b = next(iter(floats.values())).shape[0]
        features = self.extract_features(both)
        if self.share_features_extractor:
            latent_pi, latent_vf = self.mlp_extractor(features)
        else:
            pi_features, vf_features = features
            latent_pi = self.mlp_extractor.forward_actor(pi_features)
            latent_vf = self.mlp_extractor.forward_critic(vf_features)
        mean = self.action_net(latent_pi)
        value = self.value_net(latent_vf)
        mean = 0.5 * (mean[:b] + mean[b:] * self.action_mirror)
        value = 0.5 * (value[:b] + value[b:])
        return mean, value

    def _distribution(self, mean: torch.Tensor) -> Distribution:
        assert isinstance(self.action_dist, DiagGaussianDistribution)
        return self.action_dist.proba_distribution(mean, self.log_std)

    def forward(
        self, obs: Any, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean, values = self._mean_and_value(obs)
        distribution = self._distribution(mean)
        actions = distribution.get_actions(deterministic=deterministic)
        log_prob = distribution.log_prob(actions)
        return actions.reshape((-1, *self.action_space.shape)), values, log_prob  # type: ignore[misc]

    def evaluate_actions(
        self, obs: Any, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        mean, values = self._mean_and_value(obs)
        distribution = self._distribution(mean)
        return values, distribution.log_prob(actions), distribution.entropy()

    def get_distribution(self, obs: Any) -> Distribution:
        return self._distribution(self._mean_and_value(obs)[0])

    def predict_values(self, obs: Any) -> torch.Tensor:
        return self._mean_and_value(obs)[1]
