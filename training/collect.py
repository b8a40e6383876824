"""``smartbot collect``: a labelled dataset from vectorised rollouts, written as a folder.

    smartbot collect --task detector --env smartbot/ObjectNav-v0 --frames 60000 --out data/det

The folder holds one ``.npy`` per field and ``manifest.json`` (see :mod:`training.datasets`):
for ``detector``, ``camera`` (N, 3, H, W) uint8 and the labels ``visible`` (N, 6) bool,
``bearing`` (N, 6) float32 rad and ``distance`` (N, 6) float32 m (:mod:`training.detector`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

__all__ = ["collect", "add_arguments", "run"]

TASKS = ("detector",)


def collect(
    out: str | Path,
    *,
    task: str = "detector",
    env_id: str = "smartbot/ObjectNav-v0",
    frames: int = 60000,
    split: str = "train",
    env_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    n_envs: int = 32,
    progress: bool = True,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Collect ``frames`` samples of ``task`` on ``split`` maps into the folder ``out``;
    returns the manifest."""
    from training.datasets import write_dataset
    from training.detector import collect_detector_frames

    if task not in TASKS:
        raise ValueError(f"task: {task!r} is not allowed; allowed: {', '.join(TASKS)}")
    kwargs = {**(env_kwargs or {}), "split": split}
    t0 = time.perf_counter()
    fields, meta = collect_detector_frames(
        env_id, frames, env_kwargs=kwargs, n_envs=n_envs, seed=seed, progress=progress
    )
    manifest = {
        "task": task,
        "env_id": env_id,
        "env_kwargs": kwargs,
        "split": split,
        "seed": seed,
        "n_envs": n_envs,
        "collect_seconds": round(time.perf_counter() - t0, 1),
        **meta,
    }
    write_dataset(out, fields, manifest, overwrite=overwrite)
    return {"count": len(fields["camera"]), **manifest}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``smartbot collect``."""
    p.add_argument("--task", choices=TASKS, default="detector", help="what to label")
    p.add_argument("--env", default="smartbot/ObjectNav-v0", help="task id")
    p.add_argument("--frames", type=int, default=60000, help="samples to keep")
    p.add_argument("--split", default="train", help="map stream: train, val or test")
    p.add_argument("--env-kwargs", default="{}", help="JSON of gym.make keyword arguments")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-envs", type=int, default=32, help="robots stepped together")
    p.add_argument("--out", required=True, help="dataset folder to create")
    p.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    p.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    """Entry point of ``smartbot collect``."""
    from training.cli import UserError
    from training.datasets import DatasetError

    try:
        env_kwargs = json.loads(args.env_kwargs)
    except json.JSONDecodeError as err:
        raise UserError(f"--env-kwargs: not valid JSON ({err.msg})") from None
    if not isinstance(env_kwargs, dict):
        raise UserError("--env-kwargs: expected a JSON object")
    try:
        manifest = collect(
            args.out,
            task=args.task,
            env_id=args.env,
            frames=args.frames,
            split=args.split,
            env_kwargs=env_kwargs,
            seed=args.seed,
            n_envs=args.n_envs,
            progress=not args.no_progress,
            overwrite=args.overwrite,
        )
    except (ValueError, DatasetError) as err:
        raise UserError(str(err)) from None
    print(f"{manifest['count']} samples -> {args.out} ({manifest['collect_seconds']} s)")
    return 0
