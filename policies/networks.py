"""Perception networks: a small CNN for camera frames and an MLP for sensor vectors.

Both are plain ``torch.nn.Module`` s used by the SB3 feature extractors
(:mod:`policies.extractors`) and by supervised training.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["SmallCNN", "MLP", "ACTIVATIONS", "activation", "run_layers"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


def run_layers(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``module(x)``, calling the ``forward`` of each layer of a (nested) ``nn.Sequential``
    directly: the same arithmetic without ``nn.Module.__call__``, which costs ~4 µs a
    layer on this machine (about as much as a 16 x 128 x 128 Linear), and which the small
    policy networks of rollouts pay a dozen times a step. Module hooks do not run."""
    if isinstance(module, nn.Sequential):
        for layer in module:
            x = run_layers(layer, x)
        return x
    return module.forward(x)  # type: ignore[no-any-return]


def activation(name: str) -> type[nn.Module]:
    """The activation class called ``name`` (relu, tanh, elu, gelu)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: {name!r} is not allowed; allowed: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


class SmallCNN(nn.Module):
    """Conv encoder for (B, C, H, W) images (already scaled to about [0, 1]).

    Three stride-2 3x3 convolutions (channels ``channels``), ReLU, optional batch norm,
    then a linear layer to ``features`` outputs: (B, C, H, W) -> (B, features).
    For 64x64 inputs the last feature map is 8x8.
    """

    def __init__(
        self,
        in_channels: int,
        height: int,
        width: int,
        channels: Sequence[int] = (32, 64, 64),
        features: int = 256,
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for out in channels:
            layers.append(nn.Conv2d(c, out, kernel_size=3, stride=2, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU())
            c = out
        layers.append(nn.Flatten())
        self.conv = nn.Sequential(*layers)
        with torch.no_grad():
            n_flat = int(self.conv(torch.zeros(1, in_channels, height, width)).shape[1])
        head: list[nn.Module] = [nn.Linear(n_flat, features), nn.ReLU()]
        if dropout > 0:
            head.insert(0, nn.Dropout(dropout))
        self.head = nn.Sequential(*head)
        self.features = features

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) float -> the last convolution's map, (B, channels[-1], h, w)."""
        for layer in self.conv:
            if isinstance(layer, nn.Flatten):
                break
            x = layer(x)
        return x

    def forward(self, x: torch.Tensor, gates: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, H, W) float -> (B, features).

        ``gates`` (B, channels[-1]), optional: multiply each channel of the last conv map
        before the linear head (see :mod:`policies.gated_attention`).
        """
        if gates is None:
            return self.head(self.conv(x))
        return self.head((self.feature_map(x) * gates[:, :, None, None]).flatten(1))


class MLP(nn.Module):
    """Fully connected layers: (B, in_features) -> (B, hidden[-1]) (identity when empty)."""

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (128,),
        act: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        n = in_features
        act_cls = activation(act)
        for h in hidden:
            layers.append(nn.Linear(n, h))
            layers.append(act_cls())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            n = h
        self.net = nn.Sequential(*layers)
        self.features = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_features) -> (B, features)."""
        return self.net(x)
