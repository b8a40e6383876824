"""The target detector: a camera frame in, for each target colour whether it is in view,
its bearing and its distance out.

The network is our :class:`policies.networks.SmallCNN` trunk with a linear head. It is
trained by supervision on frames the simulator labels itself (:mod:`training.detector`);
its trunk then serves as a policy's CNN feature extractor, optionally frozen
(:func:`load_detector_trunk`, the ``pretrain:`` section of a training config).

A saved detector is two files side by side, like a saved policy (:mod:`policies.io`):
``NAME.safetensors`` (tensors, no pickle) and ``NAME.json`` (``format``, the
architecture, the label scales, the target names, metrics, ``smartbot_version``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from policies.io import pair_stem
from policies.networks import SmallCNN

__all__ = [
    "TargetDetector",
    "DETECTOR_FORMAT",
    "save_detector",
    "load_detector",
    "load_detector_trunk",
]

DETECTOR_FORMAT = "smartbot-detector-v1"


class TargetDetector(nn.Module):
    """(B, 3, H, W) frames scaled to [0, 1] -> (B, n_targets, 3) raw outputs.

    Per target colour: a visibility logit, the bearing as a fraction of half the field of
    view (left is +), and the distance as a fraction of the camera range. ``self.cnn`` is a
    :class:`SmallCNN` with the same arguments as a policy extractor's, so its weights can be
    copied into one.
    """

    def __init__(
        self,
        in_shape: Sequence[int] = (3, 32, 32),
        channels: Sequence[int] = (16, 32, 32),
        features: int = 128,
        n_targets: int = 6,
    ) -> None:
        super().__init__()
        c, h, w = (int(v) for v in in_shape)
        self.arch = {
            "in_shape": [c, h, w],
            "channels": [int(v) for v in channels],
            "features": int(features),
            "n_targets": int(n_targets),
        }
        self.cnn = SmallCNN(c, h, w, channels, features)
        self.out = nn.Linear(features, 3 * n_targets)
        self.n_targets = n_targets

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) float in [0, 1] -> (B, n_targets, 3): logit, bearing, distance."""
        return self.out(self.cnn(x)).view(-1, self.n_targets, 3)


def save_detector(
    model: TargetDetector, path: str | os.PathLike[str], meta: dict[str, Any]
) -> Path:
    """Write ``PATH.safetensors`` and ``PATH.json`` (atomically); returns the stem."""
    from safetensors.torch import save as st_save

    from policies.io import _atomic_write, _package_version

    stem = pair_stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    side = {
        "format": DETECTOR_FORMAT,
        "arch": model.arch,
        "smartbot_version": _package_version(),
        **meta,
    }
    _atomic_write(stem.with_suffix(".safetensors"), st_save(tensors))
    _atomic_write(stem.with_suffix(".json"), json.dumps(side, indent=2).encode())
    return stem


def load_detector(path: str | os.PathLike[str]) -> tuple[TargetDetector, dict[str, Any]]:
    """Rebuild a saved detector (no unpickling); returns it (eval mode) and its JSON."""
    from safetensors.torch import load_file

    stem = pair_stem(path)
    side = stem.with_suffix(".json")
    weights = stem.with_suffix(".safetensors")
    for f in (side, weights):
        if not f.is_file():
            raise FileNotFoundError(f"detector: no such file {f}")
    try:
        meta = json.loads(side.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"detector: {side} is not valid JSON ({err.msg})") from None
    if not isinstance(meta, dict) or meta.get("format") != DETECTOR_FORMAT:
        raise ValueError(
            f"detector: {side} is not a detector file (format should be {DETECTOR_FORMAT})"
        )
    arch = meta.get("arch")
    if not isinstance(arch, dict) or set(arch) != {"in_shape", "channels", "features", "n_targets"}:
        raise ValueError(
            f"detector: {side} field 'arch' must hold in_shape, channels, features, n_targets"
        )
    model = TargetDetector(arch["in_shape"], arch["channels"], arch["features"], arch["n_targets"])
    try:
        model.load_state_dict(load_file(str(weights)))
    except Exception as err:  # safetensors' own errors, or shapes that do not match arch
        raise ValueError(f"detector: {weights} does not match its architecture ({err})") from None
    return model.eval(), meta


def load_detector_trunk(
    cnn: SmallCNN, path: str | os.PathLike[str], head: nn.Linear | None = None
) -> dict[str, Any]:
    """Copy a saved detector's CNN trunk into ``cnn`` (a policy extractor's CNN), and its
    output layer into ``head`` when given (an extractor's detector head, see
    ``SmartbotExtractor(detector_key=...)``); returns the detector's JSON. Raises
    ValueError naming what differs when the shapes do not fit."""
    detector, meta = load_detector(path)
    mine = cnn.state_dict()
    theirs = detector.cnn.state_dict()
    for key, value in theirs.items():
        if key not in mine or mine[key].shape != value.shape:
            got = tuple(mine[key].shape) if key in mine else "missing"
            raise ValueError(
                f"detector: {pair_stem(path)} has cnn.{key} of shape {tuple(value.shape)}, the "
                f"policy's CNN {got} (detector arch {meta['arch']}; set the policy's "
                "extractor_kwargs cnn_channels/cnn_features and the camera size to match)"
            )
    if set(mine) != set(theirs):
        raise ValueError(
            f"detector: {pair_stem(path)}'s CNN layers {sorted(theirs)} differ from the "
            f"policy's {sorted(mine)} (batch_norm/dropout must match)"
        )
    if head is not None and head.weight.shape != detector.out.weight.shape:
        raise ValueError(
            f"detector: {pair_stem(path)}'s head maps {detector.out.in_features} features "
            f"to {detector.out.out_features}, the policy's {head.in_features} to "
            f"{head.out_features} (detector arch {meta['arch']})"
        )
    cnn.load_state_dict(theirs)
    if head is not None:
        head.load_state_dict(detector.out.state_dict())
    return meta
