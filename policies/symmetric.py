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

:class:`GoalFrameSymmetricPolicy` (``symmetry: fore_aft_goal``, tasks with a ``goal``
key) gets the same symmetry for about one pass instead of two: the network sees each
observation in the frame with the goal ahead (turned round when |bearing| > pi/2), and
only near the line |bearing| = pi/2 both frames, blended::

    w(o)     = clamp(1/2 + (cos(bearing) + h v) / (2 sin(band)), 0, 1)   (1 ahead, 0 behind)
    mean(o)  = w g_pi(o) + (1 - w) M g_pi(R o)
    value(o) = w g_v(o) + (1 - w) g_v(R o)

where a weight of 0 skips that pass, v is the robot's observed linear velocity (m/s; 0
without a ``velocity`` key) and h = 2 sin(band) / v_max: a hysteresis, so a robot that
drives forwards keeps the forward frame until the goal is two band widths further round
(and likewise backwards). The turned-round robot observes -v, so w(R o) = 1 - w(o), and
again ``mean(R o) = M mean(o)`` and ``value(R o) = value(o)``. Without the band (a
hard switch of frame at pi/2) the mean jumps there.
A deterministic symmetric policy has a stalemate with the goal beside it: at w = 1/2
"turn left and drive forwards" and "turn right and drive backwards" are equally good and
their average is to stand still. On PointNav (7M steps, 200 ``val`` episodes) the hard
switch, the blend and the blend with hysteresis drive successful episodes closer to the
shortest path than the plain policy (SPL / success 0.91-0.94 against 0.89) but more
episodes time out, the robot stalled with the goal beside it (success 88-88.5% against
92%): no better SPL (0.808-0.827 against 0.821). See the README.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.distributions import DiagGaussianDistribution, Distribution
from torch import nn

from policies.actor_critic import SmartbotActorCriticPolicy
from policies.goal_frames import goal_frames

__all__ = [
    "ObservationMirror",
    "ForeAftSymmetricPolicy",
    "GoalFrameSymmetricPolicy",
    "GOAL_FRAME_BAND",
]


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

    action_mirror: torch.Tensor

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

    def _network(self, obs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """The plain network g on a batch of N inputs: action mean (N, 2), value (N, 1)."""
        features = self.extract_features(obs)
        if self.share_features_extractor:
            latent_pi, latent_vf = self.mlp_extractor(features)
        else:
            pi_features, vf_features = features
            latent_pi = self.mlp_extractor.forward_actor(pi_features)
            latent_vf = self.mlp_extractor.forward_critic(vf_features)
        return self.action_net(latent_pi), self.value_net(latent_vf)

    def _mean_and_value(self, obs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Symmetrised action mean (B, 2) and value (B, 1) of a batch of observations."""
        floats = {key: x.float() for key, x in obs.items()}
        turned = self.obs_mirror(floats)
        both = {key: torch.cat([floats[key], turned[key]]) for key in floats}
        b = next(iter(floats.values())).shape[0]
        mean, value = self._network(both)
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


class _Frames(NamedTuple):
    """What :meth:`GoalFrameSymmetricPolicy._frames` works out for B observations, K of
    them in the band.

    ``inputs``: {key: (B + K, ...)} float: rows 0..B-1 each observation in its main frame
    (turned round when the goal lies behind), rows B.. the band's in their other frame.
    ``sign``: (B + K, 2) per input row, +-1 per action dimension, bringing the network's
    mean back to the observed frame. ``band``: (K,) long, the rows with 0 < w < 1.
    ``weight``: (B, 1) the weight of each row's main frame (1, or in [1/2, 1) in the
    band). ``other_weight``: (K, 1) the band rows' other frame's weight, 1 - theirs.
    ``batch``: B.
    """

    inputs: dict[str, torch.Tensor]
    sign: torch.Tensor
    band: torch.Tensor
    weight: torch.Tensor
    other_weight: torch.Tensor
    batch: int


#: Half-width (rad) of the band around |bearing| = pi/2 where the goal-frame policy blends
#: its two frames (about 14 degrees each side).
GOAL_FRAME_BAND = 0.25


class GoalFrameSymmetricPolicy(ForeAftSymmetricPolicy):
    """Fore/aft symmetry by a canonical frame: the observation is turned round whenever
    the goal lies behind, so one network pass per observation (module docstring).

    Same arguments as :class:`ForeAftSymmetricPolicy`, plus ``band`` (rad, default
    :data:`GOAL_FRAME_BAND`); the observation must have a ``goal`` key (range m, bearing
    rad in [-pi, pi]). Shapes: observations (B, ...) per key; actions (B, 2) normalised
    (linear, angular); values (B, 1).
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Space[Any],
        lr_schedule: Any,
        mirror: dict[str, dict[str, list[Any]]] | None = None,
        band: float = GOAL_FRAME_BAND,
        **kwargs: Any,
    ) -> None:
        goal = observation_space.spaces.get("goal")
        if not isinstance(goal, spaces.Box) or goal.shape != (2,):
            raise ValueError(
                "policy.symmetry: fore_aft_goal needs the observation key 'goal' "
                f"((2,) range and bearing), got {goal}; use fore_aft for tasks without one"
            )
        if isinstance(band, bool) or not 0.0 < band < 0.5 * math.pi:
            raise ValueError(f"band: expected a half-width in (0, pi/2) rad, got {band!r}")
        super().__init__(observation_space, action_space, lr_schedule, mirror, **kwargs)
        self.band = float(band)
        # The mirror of all keys at once, on their concatenation (sorted by key).
        assert mirror is not None
        self._keys = sorted(observation_space.spaces)
        self._shapes = [tuple(observation_space[k].shape or ()) for k in self._keys]
        sizes = [len(mirror[k]["index"]) for k in self._keys]
        offsets = [sum(sizes[:i]) for i in range(len(sizes))]
        index = [
            off + j for k, off in zip(self._keys, offsets, strict=True) for j in mirror[k]["index"]
        ]
        sign = [v for k in self._keys for v in mirror[k]["sign"]]
        self._sizes = sizes
        self._bearing = offsets[self._keys.index("goal")] + 1
        # Hysteresis from the robot's own linear velocity (when observed): driving forwards
        # keeps the forward frame until the goal is 2 band widths further behind.
        velocity = observation_space.spaces.get("velocity")
        self._velocity = offsets[self._keys.index("velocity")] if velocity is not None else -1
        top = float(np.asarray(velocity.high).ravel()[0]) if velocity is not None else 1.0  # type: ignore[attr-defined]
        self._hysteresis = 2.0 * math.sin(self.band) / top  # per m/s
        self._flat_index = np.asarray(index, dtype=np.int64)
        self._flat_sign = np.asarray(sign, dtype=np.float32)

    def _frames(self, obs: dict[str, torch.Tensor]) -> _Frames:
        """The network's inputs for a batch of observations and how to combine its outputs.

        Worked out on the host by one compiled call (:func:`policies.goal_frames.goal_frames`):
        on another device the observation makes a round trip, the network stays there.
        """
        b = next(iter(obs.values())).shape[0]
        flat = np.concatenate(
            [obs[k].detach().reshape(b, -1).float().cpu().numpy() for k in self._keys], axis=1
        )
        rows, signs, band, main_weight, other_weight = goal_frames(
            flat,
            self._flat_index,
            self._flat_sign,
            self._bearing,
            self._velocity,
            self._hysteresis,
            math.sin(self.band),
        )
        device = self.action_mirror.device  # a buffer: where the network is
        parts = torch.split(torch.from_numpy(rows).to(device), self._sizes, 1)
        return _Frames(
            inputs={
                k: part.reshape(-1, *shape)
                for k, part, shape in zip(self._keys, parts, self._shapes, strict=True)
            },
            sign=torch.from_numpy(signs).to(device),
            band=torch.from_numpy(band).to(device),
            weight=torch.from_numpy(main_weight).to(device),
            other_weight=torch.from_numpy(other_weight).to(device),
            batch=b,
        )

    def _mean_and_value(self, obs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Action mean (B, 2) and value (B, 1) (module docstring)."""
        f = self._frames(obs)
        means, values = self._network(f.inputs)
        means = means * f.sign  # back to the observed frame
        both = torch.cat([means, values], dim=1)  # (B + K, 3): blended together
        b = f.batch
        if f.band.numel():  # rows of the band: w x main frame + (1 - w) x other frame
            both = (both[:b] * f.weight).index_add(0, f.band, both[b:] * f.other_weight)
        mean, value = both.split([means.shape[1], 1], dim=1)
        return mean, value
