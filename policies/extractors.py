"""stable-baselines3 feature extractors built from our perception networks.

:class:`SmartbotExtractor` takes the Dict observation of any smartbot task:

* image keys ((C, H, W) Boxes: ``camera`` uint8 scaled by 1/255, ``depth`` scaled by
  its bound) each go through a :class:`policies.networks.SmallCNN`;
* every other key is a vector: each is scaled to about [-1, 1] by its Box bounds,
  they are concatenated (sorted by key) and go through a :class:`policies.networks.MLP`;
  dimensions bounded by [-pi, pi] are angles (e.g. the goal bearing) and enter as their
  sine and cosine instead of their value, so the network sees no jump where the angle wraps.

The output is the concatenation: (B, sum of the parts' features). Choose it in a
training config with ``policy: {extractor: smartbot, extractor_kwargs: {...}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from policies.networks import MLP, SmallCNN, run_layers

__all__ = ["SmartbotExtractor", "EXTRACTORS", "is_image_space"]


def is_image_space(space: spaces.Space[Any]) -> bool:
    """A (C, H, W) Box with H, W >= 8: handled by a CNN."""
    return isinstance(space, spaces.Box) and len(space.shape) == 3 and min(space.shape[1:]) >= 8


class _Scale(nn.Module):
    """Affine map of a vector from its Box bounds [low, high] to [-1, 1] (shift/scale buffers)."""

    centre: torch.Tensor
    halfspan: torch.Tensor

    def __init__(self, low: np.ndarray[Any, Any], high: np.ndarray[Any, Any]) -> None:
        super().__init__()
        lo = np.where(np.isfinite(low), low, -1.0).astype(np.float32)
        hi = np.where(np.isfinite(high), high, 1.0).astype(np.float32)
        span = np.maximum(hi - lo, 1e-6)
        self.register_buffer("centre", torch.as_tensor((hi + lo) / 2))
        self.register_buffer("halfspan", torch.as_tensor(span / 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.centre) / self.halfspan


class SmartbotExtractor(BaseFeaturesExtractor):
    """Dict observation -> features: CNN per image key, one MLP over all vector keys.

    Args:
        observation_space: the task's Dict space.
        cnn_channels: conv channels of each CNN. cnn_features: outputs per image key.
        mlp_hidden: hidden sizes of the vector MLP (its output is the last size).
        batch_norm, dropout: regularisation in the CNN.
        cnn_freeze: keep the CNN weights fixed (no gradients; for a CNN initialised from a
            supervised network, see :func:`policies.detector.load_detector_trunk`).
        detector_key: a one-hot vector key (such as ObjectNav's ``target``, (n,)). Each CNN
            then also has a detector head (:class:`policies.detector.TargetDetector`'s
            ``out``: per colour a visibility logit, bearing and distance) and adds 3
            features per image key: the head's outputs for the colour the one-hot selects
            (visibility as a probability). Frozen with the CNN under ``cnn_freeze``.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        cnn_channels: Sequence[int] = (32, 64, 64),
        cnn_features: int = 256,
        mlp_hidden: Sequence[int] = (128,),
        batch_norm: bool = False,
        dropout: float = 0.0,
        cnn_freeze: bool = False,
        detector_key: str | None = None,
    ) -> None:
        if not isinstance(cnn_freeze, bool):
            raise ValueError(
                f"extractor_kwargs.cnn_freeze: expected true or false, got {cnn_freeze!r}"
            )
        image_keys = sorted(k for k, s in observation_space.spaces.items() if is_image_space(s))
        vector_keys = sorted(k for k in observation_space.spaces if k not in image_keys)
        for k in vector_keys:
            if not isinstance(observation_space[k], spaces.Box):
                raise ValueError(
                    f"observation_space[{k!r}]: expected a Box, got {observation_space[k]}"
                )
        n_raw = sum(int(np.prod(observation_space[k].shape or ())) for k in vector_keys)
        if vector_keys:
            boxes = [observation_space[k] for k in vector_keys]
            lows = np.concatenate([np.asarray(b.low, np.float64).ravel() for b in boxes])  # type: ignore[attr-defined]
            highs = np.concatenate([np.asarray(b.high, np.float64).ravel() for b in boxes])  # type: ignore[attr-defined]
            angle_dims = np.flatnonzero(
                np.isclose(lows, -np.pi, atol=1e-5) & np.isclose(highs, np.pi, atol=1e-5)
            )
        else:
            lows = highs = np.zeros(0)
            angle_dims = np.zeros(0, dtype=np.int64)
        n_vec = n_raw + len(angle_dims)  # each angle: its value replaced by (sin, cos)
        n_classes = 0
        if detector_key is not None:
            box = observation_space.spaces.get(detector_key)
            if detector_key not in vector_keys or box is None or len(box.shape or ()) != 1:
                raise ValueError(
                    f"extractor_kwargs.detector_key: {detector_key!r} is not a vector key of "
                    f"the observation; allowed: {', '.join(vector_keys) or 'none'}"
                )
            if not image_keys:
                raise ValueError("extractor_kwargs.detector_key: the observation has no image")
            n_classes = int(box.shape[0])  # type: ignore[index]
        total = len(image_keys) * (cnn_features + 3 * bool(n_classes)) + (
            mlp_hidden[-1] if mlp_hidden else n_vec
        ) * bool(vector_keys)
        super().__init__(observation_space, features_dim=int(total))
        self.image_keys = image_keys
        self.vector_keys = vector_keys
        self.cnns = nn.ModuleDict()
        self.image_scale: dict[str, float] = {}
        for k in image_keys:
            box = observation_space[k]
            assert isinstance(box, spaces.Box)
            c, h, w = box.shape
            self.cnns[k] = SmallCNN(c, h, w, cnn_channels, cnn_features, batch_norm, dropout)
            top = float(np.max(box.high))
            self.image_scale[k] = 1.0 / top if np.isfinite(top) and top > 0 else 1.0
        self.detector_key = detector_key
        self.n_classes = n_classes
        self.detector_heads = nn.ModuleDict(
            {k: nn.Linear(cnn_features, 3 * n_classes) for k in image_keys if n_classes}
        )
        self.cnn_freeze = cnn_freeze
        if cnn_freeze:
            self.cnns.requires_grad_(False)
            self.detector_heads.requires_grad_(False)
        self.register_buffer("angle_dims", torch.as_tensor(angle_dims, dtype=torch.long))
        plain_dims = torch.as_tensor(np.setdiff1d(np.arange(n_raw), angle_dims), dtype=torch.long)
        self.register_buffer("plain_dims", plain_dims, persistent=False)  # derived: not saved
        # The affine map of the plain dims, derived from the scale buffers (not saved;
        # rebuilt after load_state_dict).
        self.register_buffer("_shift", torch.zeros(0), persistent=False)
        self.register_buffer("_span", torch.zeros(0), persistent=False)
        # Keys whose Box has more than one axis: flattened before the concatenation.
        self._flatten = {k for k in vector_keys if len(observation_space[k].shape or ()) != 1}
        if vector_keys:
            self.scale = _Scale(lows, highs)
            self.mlp = MLP(n_vec, mlp_hidden, "relu")
            self._mlp_is_identity = not mlp_hidden  # no layers: skip the call
            self._build_vector_layout()
            self.register_load_state_dict_post_hook(_rebuild_vector_layout)

    angle_dims: torch.Tensor
    plain_dims: torch.Tensor
    _shift: torch.Tensor
    _span: torch.Tensor
    _n_angles: int

    def _build_vector_layout(self) -> None:
        """Fill ``plain_dims``, ``_shift`` and ``_span`` from ``angle_dims`` and the scale
        buffers: the plain dims (every raw dim that is not an angle) map to [-1, 1] by
        ``(x - _shift) / _span``."""
        n_raw = self.scale.centre.numel()
        keep = torch.ones(n_raw, dtype=torch.bool, device=self.angle_dims.device)
        keep[self.angle_dims] = False
        self.plain_dims = keep.nonzero().flatten()
        self._n_angles = self.angle_dims.numel()
        self._shift = self.scale.centre[self.plain_dims]
        self._span = self.scale.halfspan[self.plain_dims]

    def _vector_features(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        """The MLP input, (B, n_plain + 2 n_angles): the plain dims scaled to [-1, 1],
        then the sine of each angle, then the cosine of each angle.

        Eight torch calls on fresh contiguous tensors (no views): each call costs a few
        microseconds at the batch sizes of rollouts, and this runs on every policy step.
        """
        # Buffers straight from the dict: nn.Module's attribute fallback costs ~1 us each.
        buffers = cast("dict[str, torch.Tensor]", self._buffers)
        flat, obs = self._flatten, observations
        v = torch.cat([obs[k].flatten(1) if k in flat else obs[k] for k in self.vector_keys], 1)
        if v.dtype != torch.float32:
            v = v.float()
        if not self._n_angles:  # every dim is plain: scale the fresh concatenation in place
            return v.sub_(buffers["_shift"]).div_(buffers["_span"])
        plain = v.index_select(1, buffers["plain_dims"]).sub_(buffers["_shift"])
        angles = v.index_select(1, buffers["angle_dims"])
        return torch.cat([plain.div_(buffers["_span"]), angles.sin(), angles.cos()], dim=1)

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        """{key: (B, ...)} -> (B, features_dim)."""
        if not self.image_keys:  # vectors only (PointNav, CueMaze): the short path
            return self._vector_part(observations)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.cnn_freeze):
            parts = [
                self.cnns[k](observations[k].float() * self.image_scale[k]) for k in self.image_keys
            ]
            if self.n_classes:
                cnn_parts = list(zip(self.image_keys, parts, strict=True))
                parts += [self._detection(k, f, observations) for k, f in cnn_parts]
        if self.vector_keys:
            parts.append(self._vector_part(observations))
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    def _detection(
        self, key: str, features: torch.Tensor, observations: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        """(B, 3): visibility probability, bearing and distance (scaled as the detector
        predicts them) of the class the one-hot ``observations[detector_key]`` selects."""
        out = self.detector_heads[key](features).view(-1, self.n_classes, 3)
        pick = observations[str(self.detector_key)].float().unsqueeze(2)  # (B, n, 1)
        sel = (out * pick).sum(dim=1)
        return torch.cat([torch.sigmoid(sel[:, :1]), sel[:, 1:]], dim=1)

    def _vector_part(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        """The vector keys' features, (B, mlp_hidden[-1] or the MLP input size)."""
        x = self._vector_features(observations)
        return x if self._mlp_is_identity else run_layers(self.mlp.net, x)


def _rebuild_vector_layout(module: nn.Module, _incompatible_keys: Any) -> None:
    """After ``load_state_dict``: derive the vector layout from the loaded buffers."""
    assert isinstance(module, SmartbotExtractor)
    module._build_vector_layout()


#: Extractor names usable in training configs.
EXTRACTORS: dict[str, type[BaseFeaturesExtractor]] = {"smartbot": SmartbotExtractor}
