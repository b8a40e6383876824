"""Supervised pretraining of a policy's CNN before reinforcement learning.

A training config may hold a ``pretrain:`` section::

    pretrain:
      task: detector        # the only task so far (training.detector)
      frames: 60000         # train frames collected on train maps
      val_frames: 6000      # val frames, on val maps
      epochs: 12            # and the other DetectorSettings keys: batch_size, learning_rate,
                            # weight_decay, patience, seed
      detector: PATH        # or: start from this trained detector instead (NAME.json and
                            # NAME.safetensors), nothing collected or trained

Before the first RL step, ``smartbot train`` collects the two datasets with the task's
own ``env_kwargs`` (same camera), trains a :class:`policies.detector.TargetDetector`
whose CNN has the policy's ``cnn_channels``/``cnn_features``, and copies its trunk into
the policy's camera CNN. To keep it fixed during RL, set the policy's
``extractor_kwargs.cnn_freeze: true``. Everything lands in the run folder's ``pretrain/``
(datasets, ``detector.safetensors``/``.json``, ``history.csv``, ``learning_curve.png``);
a run that is started again in the same folder reuses the trained detector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["PRETRAIN_KEYS", "validate_pretrain", "run_pretrain", "apply_pretrained"]

#: keys of the pretrain section besides the trainer's (training.train_perception.DetectorSettings)
PRETRAIN_KEYS = {"task", "frames", "val_frames", "detector"}
_TRAINER_KEYS = {"epochs", "batch_size", "learning_rate", "weight_decay", "patience", "seed"}


#: frames collected when the section does not say: train, val
DEFAULT_FRAMES = {"frames": 60000, "val_frames": 6000}


def _trainer_settings(cfg: dict[str, Any]) -> dict[str, Any]:
    """DetectorSettings of a config: the pretrain section's trainer keys and the policy's
    CNN shape (the extractor's own defaults where the config leaves it out)."""
    import inspect

    from policies.extractors import SmartbotExtractor

    pre = cfg["pretrain"]
    ek = cfg["policy"].get("extractor_kwargs", {})
    defaults = inspect.signature(SmartbotExtractor).parameters
    settings = {k: v for k, v in pre.items() if k in _TRAINER_KEYS}
    settings["channels"] = list(ek.get("cnn_channels", defaults["cnn_channels"].default))
    settings["features"] = int(ek.get("cnn_features", defaults["cnn_features"].default))
    return settings


def validate_pretrain(cfg: dict[str, Any]) -> None:
    """Raise ValueError naming the first bad ``pretrain.*`` key (or the policy setting
    that makes pretraining impossible)."""
    from training.train_perception import DetectorSettings

    pre = cfg.get("pretrain")
    if not isinstance(pre, dict):
        raise ValueError("pretrain: expected a mapping")
    allowed = sorted(PRETRAIN_KEYS | _TRAINER_KEYS)
    for key in pre:
        if key not in allowed:
            raise ValueError(f"pretrain.{key}: unknown key; allowed: {', '.join(allowed)}")
    if pre.get("task", "detector") != "detector":
        raise ValueError(f"pretrain.task: {pre.get('task')!r} is not allowed; allowed: detector")
    for key, default in DEFAULT_FRAMES.items():
        v = pre.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10_000_000:
            raise ValueError(f"pretrain.{key}: expected an integer in [1, 10000000], got {v!r}")
    if cfg["policy"].get("extractor", "smartbot") != "smartbot":
        raise ValueError(
            f"pretrain: needs policy.extractor smartbot, not {cfg['policy'].get('extractor')!r}"
        )
    ek = cfg["policy"].get("extractor_kwargs", {})
    if ek.get("batch_norm") or ek.get("dropout"):
        raise ValueError("pretrain: the detector's CNN has no batch_norm or dropout; turn them off")
    sensors = cfg["env_kwargs"].get("sensors")
    if sensors is not None and "camera" not in sensors:
        raise ValueError("pretrain: env_kwargs.sensors has no camera to pretrain a CNN for")
    given = pre.get("detector")
    if given is not None and not isinstance(given, str):
        raise ValueError(f"pretrain.detector: expected a file path, got {given!r}")
    DetectorSettings(_trainer_settings(cfg))


def run_pretrain(
    cfg: dict[str, Any], run_dir: Path, *, device: str = "cpu", progress: bool = True
) -> Path:
    """Collect the datasets and train the detector into ``run_dir/pretrain`` (unless a
    trained one is there already, or ``pretrain.detector`` names one); returns the
    detector's file stem."""
    from training.collect import collect
    from training.train_perception import train_detector

    given = cfg["pretrain"].get("detector")
    if given is not None:
        from policies.io import pair_stem

        return pair_stem(Path(given).expanduser())
    out = run_dir / "pretrain"
    stem = out / "detector"
    if stem.with_suffix(".json").is_file() and stem.with_suffix(".safetensors").is_file():
        return stem
    pre = cfg["pretrain"]
    seed = int(cfg["seed"])
    kwargs = {k: v for k, v in cfg["env_kwargs"].items() if k != "split"}
    for split, frames, name, s in (
        ("train", pre.get("frames", DEFAULT_FRAMES["frames"]), "data_train", seed),
        ("val", pre.get("val_frames", DEFAULT_FRAMES["val_frames"]), "data_val", seed + 1),
    ):
        if not (out / name / "manifest.json").is_file():
            collect(
                out / name,
                env_id=cfg["env"],
                frames=int(frames),
                split=split,
                env_kwargs=kwargs,
                seed=s,
                progress=progress,
                overwrite=True,
            )
    settings = _trainer_settings(cfg)
    settings.setdefault("seed", seed)
    train_detector(
        out / "data_train", out / "data_val", out, settings, device=device, progress=progress
    )
    return stem


def apply_pretrained(model: Any, stem: Path, key: str = "camera") -> dict[str, Any]:
    """Copy the detector's trunk into the SB3 model's extractor CNN for ``key`` (and its
    output layer into the extractor's detector head, with ``detector_key``); returns the
    detector's JSON."""
    from policies.detector import load_detector_trunk

    extractors = [model.policy.features_extractor]
    for name in ("pi_features_extractor", "vf_features_extractor"):
        ex = getattr(model.policy, name, None)
        if ex is not None and all(ex is not e for e in extractors):
            extractors.append(ex)
    meta: dict[str, Any] = {}
    for ex in extractors:
        if key not in getattr(ex, "cnns", {}):
            raise ValueError(f"pretrain: the policy has no CNN for {key!r}")
        heads = getattr(ex, "detector_heads", {})
        meta = load_detector_trunk(ex.cnns[key], stem, heads[key] if key in heads else None)
    return meta
