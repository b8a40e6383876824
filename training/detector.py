"""The ``detector`` supervised task: which target colours a camera frame shows, where, how far.

Labels come from the simulator, not from pixels: :meth:`robot.sim.Simulator.camera_objects`
casts every image column's ray and reports the first thing it hits, so a colour is
``visible`` when at least one column sees that target first; its ``bearing`` is the mean
bearing of those columns (rad, left is +) and its ``distance`` the nearest of their
ranges (m).

* :func:`detector_labels`: (material, range) per column -> the three labels per colour.
* :func:`collect_detector_frames`: frames and labels from vectorised rollouts of a
  behaviour policy that mixes the scripted expert with wandering.
* :func:`detector_loss`, :func:`detector_metrics`: the training loss and the reported
  figures of a :class:`policies.detector.TargetDetector` on labelled frames.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from robot.camera import CameraModel
from robot.world import TARGET_BASE, TARGET_NAMES

__all__ = [
    "N_TARGETS",
    "detector_labels",
    "collect_detector_frames",
    "detector_loss",
    "detector_metrics",
    "scaled_targets",
]

N_TARGETS = len(TARGET_NAMES)


def detector_labels(
    material: NDArray[np.integer[Any]],
    distance: NDArray[np.floating[Any]],
    column_bearing: NDArray[np.floating[Any]],
    max_range: float,
) -> dict[str, NDArray[Any]]:
    """Per-colour labels of frames from what their columns see.

    Args:
        material: (B, W) material id seen first by each column. distance: (B, W) its range, m.
        column_bearing: (W,) bearing of each column, rad (left is +).
        max_range: the camera range, m (the distance label of a colour not in view).
    Returns:
        ``visible`` (B, 6) bool, ``bearing`` (B, 6) float32 rad (0 when not visible),
        ``distance`` (B, 6) float32 m (``max_range`` when not visible); colours in the
        order of :data:`robot.world.TARGET_NAMES`.
    """
    material = np.asarray(material)
    distance = np.asarray(distance, dtype=np.float64)
    bearing_w = np.asarray(column_bearing, dtype=np.float64)
    if material.ndim != 2 or material.shape != distance.shape:
        raise ValueError(
            "material, distance: expected two (B, W) arrays, "
            f"got {material.shape} and {distance.shape}"
        )
    if bearing_w.shape != (material.shape[1],):
        raise ValueError(
            f"column_bearing: expected shape ({material.shape[1]},), got {bearing_w.shape}"
        )
    colours = TARGET_BASE + np.arange(N_TARGETS)
    seen = material[:, None, :] == colours[None, :, None]  # (B, 6, W)
    n = seen.sum(axis=2)
    visible = n > 0
    mean_bearing = (seen * bearing_w).sum(axis=2) / np.maximum(n, 1)
    nearest = np.where(seen, distance[:, None, :], np.inf).min(axis=2)
    return {
        "visible": visible,
        "bearing": np.where(visible, mean_bearing, 0.0).astype(np.float32),
        "distance": np.where(visible, nearest, max_range).astype(np.float32),
    }


def collect_detector_frames(
    env_id: str,
    frames: int,
    *,
    env_kwargs: dict[str, Any] | None = None,
    n_envs: int = 32,
    seed: int = 0,
    expert_share: float = 0.5,
    stride: int = 2,
    progress: bool = True,
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """Roll out ``n_envs`` robots and keep every ``stride``-th step's camera frame.

    Each episode a robot either follows the scripted expert (share ``expert_share``) or
    wanders (a uniform random command held for ~10 steps), so frames show targets from
    near and far, in view and not. Returns the fields (``camera`` (N, 3, H, W) uint8 and
    the :func:`detector_labels`) and their metadata (camera field of view and range).
    """
    import gymnasium as gym
    from rich.progress import Progress

    import envs  # noqa: F401  (registers the ids)
    from policies.baselines import ScriptedExpert, bound_task

    for name, value, lo in (("frames", frames, 1), ("n_envs", n_envs, 1), ("stride", stride, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise ValueError(f"{name}: expected an integer >= {lo}, got {value!r}")
    if not 0.0 <= expert_share <= 1.0:
        raise ValueError(f"expert_share: expected a number in [0, 1], got {expert_share!r}")
    venv = gym.make_vec(
        env_id, n_envs, vectorization_mode="vector_entry_point", **(env_kwargs or {})
    )
    try:
        task = bound_task(venv)
        if "camera" not in task.obs:
            raise ValueError(f"env_kwargs: {env_id} observes no camera; add it to sensors")
        expert = ScriptedExpert(venv)
        expert.reset_batch(n_envs)
        rng = np.random.default_rng(seed)
        obs, _ = venv.reset(seed=seed)
        use_expert = rng.random(n_envs) < expert_share
        held = rng.uniform(-1, 1, (n_envs, 2)).astype(np.float32)
        spec = task.sim.spec.camera
        bearings = CameraModel(spec).angle
        out: dict[str, list[NDArray[Any]]] = {
            k: [] for k in ("camera", "visible", "bearing", "distance")
        }
        kept = 0
        step = 0
        with Progress(disable=not progress, transient=True) as bar:
            job = bar.add_task("collecting frames", total=frames)
            while kept < frames:
                if step % stride == 0:
                    take = min(n_envs, frames - kept)
                    material, dist = task.sim.camera_objects()
                    labels = detector_labels(material[:take], dist[:take], bearings, spec.max_range)
                    out["camera"].append(np.array(obs["camera"][:take]))
                    for k, v in labels.items():
                        out[k].append(v)
                    kept += take
                    bar.update(job, advance=take)
                action = expert.act_batch(obs)
                redraw = rng.random(n_envs) < 0.1
                held[redraw] = rng.uniform(-1, 1, (int(redraw.sum()), 2))
                action = np.where(use_expert[:, None], action, held).astype(np.float32)
                obs, _, terminated, truncated, _ = venv.step(action)
                done = np.asarray(terminated) | np.asarray(truncated)
                if done.any():
                    use_expert[done] = rng.random(int(done.sum())) < expert_share
                step += 1
    finally:
        venv.close()
    fields = {k: np.concatenate(v) for k, v in out.items()}
    meta = {
        "fov": float(spec.fov),
        "projection": spec.projection,
        "max_range": float(spec.max_range),
        "targets": list(TARGET_NAMES),
    }
    return fields, meta


def scaled_targets(
    batch: dict[str, torch.Tensor], fov: float, max_range: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Labels as the network predicts them: visible (B, 6) float, bearing / (fov/2),
    distance / max_range."""
    return (
        batch["visible"].float(),
        batch["bearing"].float() / (fov / 2),
        batch["distance"].float() / max_range,
    )


def detector_loss(
    output: torch.Tensor, batch: dict[str, torch.Tensor], fov: float, max_range: float
) -> torch.Tensor:
    """Binary cross-entropy on visibility plus squared errors of the scaled bearing and
    distance, the latter two only where the colour is visible. ``output`` (B, 6, 3)."""
    vis, bearing, dist = scaled_targets(batch, fov, max_range)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(output[..., 0], vis)
    n = vis.sum().clamp(min=1.0)
    sq = ((output[..., 1] - bearing) ** 2 + (output[..., 2] - dist) ** 2) * vis
    return bce + sq.sum() / n


def detector_metrics(
    output: torch.Tensor, batch: dict[str, torch.Tensor], fov: float, max_range: float
) -> dict[str, float]:
    """Figures of a batch of predictions (B, 6, 3): ``visible_accuracy`` (share of
    colour-frame pairs classified right), ``visible_recall`` and ``visible_precision``,
    ``bearing_mae_deg`` and ``distance_mae_m`` over the truly visible pairs."""
    vis, bearing, dist = scaled_targets(batch, fov, max_range)
    pred = output[..., 0] > 0
    truth = vis > 0.5
    tp = float((pred & truth).sum())
    n_vis = float(truth.sum())
    n_pred = float(pred.sum())
    err_b = (output[..., 1] - bearing).abs()[truth] * (fov / 2)
    err_d = (output[..., 2] - dist).abs()[truth] * max_range
    return {
        "visible_accuracy": float((pred == truth).float().mean()),
        "visible_recall": tp / n_vis if n_vis else float("nan"),
        "visible_precision": tp / n_pred if n_pred else float("nan"),
        "bearing_mae_deg": math.degrees(float(err_b.mean())) if n_vis else float("nan"),
        "distance_mae_m": float(err_d.mean()) if n_vis else float("nan"),
    }
