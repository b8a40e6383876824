"""``smartbot train-perception``: train a perception network by supervision.

One task so far, ``detector`` (:mod:`training.detector`): a
:class:`policies.detector.TargetDetector` learns from a train dataset folder (written by
``smartbot collect``), is checked on a val folder after every epoch, and the epoch with
the lowest val loss is kept (early stopping after ``patience`` epochs without a better
one). The output folder gets ``detector.safetensors`` + ``detector.json`` (architecture,
metrics, datasets), ``history.csv`` and ``learning_curve.png``.

    smartbot collect --task detector --env smartbot/ObjectNav-v0 --frames 60000 \\
        --env-kwargs '{"sim": {"camera": {"width": 32, "height": 32}}}' --out data/det_train
    smartbot collect ... --split val --frames 6000 --out data/det_val
    smartbot train-perception --task detector --data data/det_train --val data/det_val \\
        --out runs/det
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DetectorSettings", "train_detector", "add_arguments", "run"]

TASKS = ("detector",)


class DetectorSettings(dict[str, Any]):
    """Training settings with their defaults; unknown keys and bad values are refused."""

    DEFAULTS: dict[str, Any] = {
        "epochs": 12,
        "batch_size": 256,
        "learning_rate": 1e-3,
        "weight_decay": 1e-5,
        "patience": 3,
        "channels": [16, 32, 32],
        "features": 128,
        "seed": 0,
    }

    def __init__(self, values: dict[str, Any] | None = None, path: str = "pretrain") -> None:
        super().__init__(self.DEFAULTS)
        for key, value in (values or {}).items():
            if key not in self.DEFAULTS:
                raise ValueError(
                    f"{path}.{key}: unknown key; allowed: {', '.join(sorted(self.DEFAULTS))}"
                )
            self[key] = value
        for key in ("epochs", "batch_size", "patience", "features"):
            v = self[key]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1_000_000:
                raise ValueError(f"{path}.{key}: expected an integer in [1, 1000000], got {v!r}")
        for key, hi in (("learning_rate", 1.0), ("weight_decay", 1.0)):
            v = self[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= hi:
                raise ValueError(f"{path}.{key}: expected a number in [0, {hi}], got {v!r}")
        ch = self["channels"]
        if (
            not isinstance(ch, list | tuple)
            or not ch
            or not all(
                isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= 1024 for c in ch
            )
        ):
            raise ValueError(
                f"{path}.channels: expected a list of integers in [1, 1024], got {ch!r}"
            )
        if isinstance(self["seed"], bool) or not isinstance(self["seed"], int):
            raise ValueError(f"{path}.seed: expected an integer, got {self['seed']!r}")


def _tensors(fields: dict[str, Any], idx: Any, device: str) -> dict[str, Any]:
    import torch

    return {k: torch.from_numpy(np.array(v[idx])).to(device) for k, v in fields.items()}


def _predict(model: Any, frames: Any, device: str, chunk: int = 2048) -> Any:
    import torch

    outs = []
    with torch.no_grad():
        for s in range(0, len(frames), chunk):
            x = torch.from_numpy(np.array(frames[s : s + chunk])).to(device).float() / 255.0
            outs.append(model(x).cpu())
    return torch.cat(outs)


def train_detector(
    train_dir: str | Path,
    val_dir: str | Path,
    out: str | Path,
    settings: dict[str, Any] | None = None,
    *,
    device: str = "cpu",
    progress: bool = True,
) -> dict[str, Any]:
    """Train a target detector; returns its summary (also in ``out/detector.json``).

    ``settings``: see :class:`DetectorSettings` (epochs, batch_size, learning_rate,
    weight_decay, patience, channels, features, seed).
    """
    import torch
    from rich.progress import Progress

    from policies.detector import TargetDetector, save_detector
    from training.datasets import read_dataset
    from training.detector import detector_loss, detector_metrics

    cfg = DetectorSettings(settings)
    train, tman = read_dataset(train_dir)
    val, vman = read_dataset(val_dir)
    for name, man in (("data", tman), ("val", vman)):
        if man.get("task") != "detector":
            raise ValueError(
                f"{name}: {man.get('task')!r} dataset; the detector needs a 'detector' one"
            )
    if list(train["camera"].shape[1:]) != list(val["camera"].shape[1:]):
        raise ValueError(
            f"val: frames {list(val['camera'].shape[1:])} differ from the train frames "
            f"{list(train['camera'].shape[1:])}"
        )
    fov, max_range = float(tman["fov"]), float(tman["max_range"])
    torch.manual_seed(int(cfg["seed"]))
    rng = np.random.default_rng(int(cfg["seed"]))
    model = TargetDetector(train["camera"].shape[1:], cfg["channels"], cfg["features"]).to(device)
    opt = torch.optim.AdamW(
        model.parameters(), lr=float(cfg["learning_rate"]), weight_decay=float(cfg["weight_decay"])
    )
    n = int(tman["count"])
    steps_per_epoch = math.ceil(n / int(cfg["batch_size"]))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=float(cfg["learning_rate"]), total_steps=steps_per_epoch * int(cfg["epochs"])
    )
    val_t = {k: torch.as_tensor(np.array(v)) for k, v in val.items() if k != "camera"}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    history: list[dict[str, float]] = []
    best: dict[str, float] | None = None
    since_best = 0
    t0 = time.perf_counter()
    with Progress(disable=not progress, transient=True) as bar:
        job = bar.add_task("detector", total=steps_per_epoch * int(cfg["epochs"]))
        for epoch in range(1, int(cfg["epochs"]) + 1):
            model.train()
            order = rng.permutation(n)
            total = 0.0
            for s in range(0, n, int(cfg["batch_size"])):
                idx = np.sort(order[s : s + int(cfg["batch_size"])])
                batch = _tensors(train, idx, device)
                loss = detector_loss(model(batch["camera"].float() / 255.0), batch, fov, max_range)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                total += loss.item() * len(idx)
                bar.update(
                    job, advance=1, description=f"detector epoch {epoch} loss {loss.item():.3f}"
                )
            model.eval()
            pred = _predict(model, val["camera"], device)
            row = {
                "epoch": float(epoch),
                "train_loss": total / n,
                "val_loss": float(detector_loss(pred, val_t, fov, max_range)),
                **detector_metrics(pred, val_t, fov, max_range),
            }
            history.append(row)
            if best is None or row["val_loss"] < best["val_loss"]:
                best, since_best = row, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                since_best += 1
            if progress:
                bar.console.print(
                    f"epoch {epoch}: train loss {row['train_loss']:.4f}, val loss "
                    f"{row['val_loss']:.4f}, visible acc {row['visible_accuracy']:.3f}, bearing "
                    f"{row['bearing_mae_deg']:.2f} deg, distance {row['distance_mae_m']:.3f} m"
                )
            if since_best >= int(cfg["patience"]):
                break
    assert best is not None
    summary = {
        "task": "detector",
        "settings": dict(cfg),
        "fov": fov,
        "max_range": max_range,
        "targets": tman["targets"],
        "train": {"folder": str(train_dir), "count": n, "seed": tman.get("seed")},
        "val_data": {"folder": str(val_dir), "count": int(vman["count"]), "seed": vman.get("seed")},
        "epochs_run": len(history),
        "best_epoch": int(best["epoch"]),
        "val": best,
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "device": device,
    }
    model.load_state_dict(best_state)
    save_detector(model, out / "detector", summary)
    _write_history(out, history)
    return summary


def _write_history(out: Path, history: list[dict[str, float]]) -> None:
    with (out / "history.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(history[0]))
        w.writeheader()
        w.writerows(history)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(epochs, [h["train_loss"] for h in history], label="train")
    a.plot(epochs, [h["val_loss"] for h in history], label="val")
    a.set_xlabel("epoch")
    a.set_ylabel("loss")
    a.legend()
    b.plot(epochs, [h["visible_accuracy"] for h in history], label="visible accuracy (val)")
    b.plot(epochs, [h["visible_recall"] for h in history], label="visible recall (val)")
    b.set_xlabel("epoch")
    b.legend()
    fig.suptitle("target detector")
    fig.tight_layout()
    fig.savefig(out / "learning_curve.png", dpi=100)
    plt.close(fig)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``smartbot train-perception``."""
    p.add_argument("--task", choices=TASKS, default="detector", help="supervised task")
    p.add_argument("--data", required=True, help="train dataset folder (smartbot collect)")
    p.add_argument("--val", required=True, help="val dataset folder")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="e.g. epochs=20")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _parse_sets(items: Sequence[str]) -> dict[str, Any]:
    from training.cli import UserError
    from training.config import parse_value

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set {item!r}: expected KEY=VALUE")
        out[key.strip()] = parse_value(value)
    return out


def run(args: argparse.Namespace) -> int:
    """Entry point of ``smartbot train-perception``."""
    from training.cli import UserError
    from training.datasets import DatasetError
    from training.train import resolve_device

    try:
        summary = train_detector(
            args.data,
            args.val,
            args.out,
            _parse_sets(args.set),
            device=resolve_device(args.device),
            progress=not args.no_progress,
        )
    except (ValueError, DatasetError) as err:
        raise UserError(str(err)) from None
    print(json.dumps({k: summary[k] for k in ("best_epoch", "val", "wall_seconds")}, indent=2))
    return 0
