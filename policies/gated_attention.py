"""Gated-attention feature extractor: the target colour gates the CNN's channels.

For goal-conditioned vision (ObjectNav: "find the *blue* pillar") a plain concatenation of
CNN features and the goal one-hot leaves the policy MLP to learn the product "this colour
is in view AND it is the target". Gated attention (Chaplot et al., 2018, "Gated-Attention
Architectures for Task-Oriented Language Grounding") builds the product in: the goal
vector is mapped to one sigmoid gate per channel of the last convolution, and the feature
map is multiplied channel-wise by the gates before the CNN's linear head, so a channel that
detects "blue" only passes when the target is blue.

:class:`GatedAttentionExtractor` is :class:`policies.extractors.SmartbotExtractor` (same
CNN per image key, same vector MLP over every vector key, the gate key included) plus the
gate: choose it with ``policy: {extractor: gated, extractor_kwargs: {gate_key: target}}``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from policies.extractors import SmartbotExtractor

__all__ = ["GatedAttentionExtractor"]


class GatedAttentionExtractor(SmartbotExtractor):
    """Dict observation -> features, each image's last conv map gated by ``gate_key``.

    Args:
        observation_space: the task's Dict space; must hold ``gate_key`` (a flat Box) and at
            least one image key.
        gate_key: the vector key that sets the gates (e.g. ObjectNav's ``target`` one-hot).
        cnn_channels, cnn_features, mlp_hidden, batch_norm, dropout: as for
            :class:`SmartbotExtractor`.

    Shapes: ``observations[gate_key]`` (B, G) -> gates (B, C) with C = ``cnn_channels[-1]``,
    broadcast over the (B, C, h, w) conv map of every image key.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        gate_key: str = "target",
        cnn_channels: Sequence[int] = (32, 64, 64),
        cnn_features: int = 256,
        mlp_hidden: Sequence[int] = (128,),
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(
            observation_space, cnn_channels, cnn_features, mlp_hidden, batch_norm, dropout
        )
        if gate_key not in observation_space.spaces:
            raise ValueError(
                f"policy.extractor_kwargs.gate_key: {gate_key!r} is not an observation key; "
                f"allowed: {', '.join(sorted(observation_space.spaces))}"
            )
        if gate_key in self.image_keys or not self.image_keys:
            raise ValueError(
                f"policy.extractor_kwargs.gate_key: {gate_key!r} must be a vector key of an "
                "observation that has an image key"
            )
        self.gate_key = gate_key
        n_gate_in = int(np.prod(observation_space[gate_key].shape or ()))
        self.gate = nn.Linear(n_gate_in, int(cnn_channels[-1]))

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        """{key: (B, ...)} -> (B, features_dim)."""
        gates = torch.sigmoid(self.gate(observations[self.gate_key].float().flatten(1)))
        parts = [
            self.cnns[k](observations[k].float() * self.image_scale[k], gates)
            for k in self.image_keys
        ]
        if self.vector_keys:
            parts.append(self._vector_part(observations))
        return torch.cat(parts, dim=1)
