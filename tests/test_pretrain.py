"""Supervised pretraining: ``smartbot collect``, ``smartbot train-perception`` and the
``pretrain:`` section of a training config (the CNN is initialised from the detector)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from policies.extractors import SmartbotExtractor
from training import cli
from training.collect import collect
from training.config import ConfigError, resolve_config
from training.datasets import read_dataset
from training.pretrain import run_pretrain
from training.train import train

OBJECTNAV = "smartbot/ObjectNav-v0"
SMALL_CAMERA = '{"sim": {"camera": {"width": 16, "height": 16}}}'
#: a whole tiny run: 16x16 camera, a 2-layer CNN, 256 frames, one epoch, 64 PPO steps
TINY = [
    "n_envs=2",
    "device=cpu",
    "total_timesteps=64",
    "env_kwargs.max_steps=40",
    "env_kwargs.sim={camera: {width: 16, height: 16}}",
    "pretrain={frames: 256, val_frames: 64, epochs: 1, batch_size: 64}",
    "policy.extractor_kwargs={cnn_channels: [8, 8], cnn_features: 16, mlp_hidden: [16], "
    "cnn_freeze: true}",
    "policy.net_arch={pi: [16], vf: [16]}",
    "n_steps=32",
    "batch_size=32",
    "n_epochs=1",
    "eval.every_steps=1000000",
    "eval.episodes=2",
    "eval.n_envs=2",
]


def test_collect_labels_frames_of_the_task_camera(tmp_path: Path) -> None:
    manifest = collect(
        tmp_path / "d",
        frames=100,
        env_kwargs={"sim": {"camera": {"width": 16, "height": 8}}},
        n_envs=8,
        progress=False,
    )
    fields, on_disk = read_dataset(tmp_path / "d", verify=True)
    assert manifest["count"] == on_disk["count"] == 100
    assert on_disk["task"] == "detector" and on_disk["split"] == "train"
    assert fields["camera"].shape == (100, 3, 8, 16) and fields["camera"].dtype == np.uint8
    assert fields["visible"].shape == (100, 6) and fields["visible"].any()
    vis = np.asarray(fields["visible"])
    assert (np.asarray(fields["distance"])[~vis] == on_disk["max_range"]).all()
    assert (np.abs(np.asarray(fields["bearing"])) <= on_disk["fov"] / 2 + 1e-6).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"task": "odometry"}, "task: 'odometry' is not allowed; allowed: detector"),
        ({"frames": 0}, "frames: expected an integer >= 1"),
        ({"env_kwargs": {"sensors": ["lidar", "target"]}}, "observes no camera"),
    ],
)
def test_collect_names_bad_input(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        collect(tmp_path / "d", progress=False, **kwargs)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("override", "match"),
    [
        (
            "pretrain.colour=1",
            r"pretrain\.colour: unknown key; allowed: batch_size, detector, epochs",
        ),
        ("pretrain.task=odometry", r"pretrain\.task: 'odometry' is not allowed"),
        ("pretrain.frames=0", r"pretrain\.frames: expected an integer in \[1, 10000000\]"),
        ("pretrain.learning_rate=2", r"pretrain\.learning_rate: expected a number in \[0, 1"),
        (
            "policy={extractor: gated, extractor_kwargs: {gate_key: target}}",
            "pretrain: needs policy.extractor smartbot",
        ),
        ("policy.extractor_kwargs.batch_norm=true", "batch_norm or dropout"),
        ("env_kwargs.sensors=[target, lidar]", "no camera"),
    ],
)
def test_bad_pretrain_settings_are_named(override: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        resolve_config(OBJECTNAV, "ppo", overrides=[*TINY, override])


def test_shipped_objectnav_config_pretrains_a_frozen_cnn() -> None:
    cfg = resolve_config(OBJECTNAV, "ppo")
    assert cfg["pretrain"]["task"] == "detector"
    assert cfg["policy"]["extractor_kwargs"]["cnn_freeze"] is True


def test_frozen_extractor_has_no_gradients_into_its_cnn() -> None:
    from gymnasium import spaces

    space = spaces.Dict(
        {
            "camera": spaces.Box(0, 255, (3, 16, 16), np.uint8),
            "target": spaces.Box(0.0, 1.0, (6,), np.float32),
        }
    )
    obs = {"camera": torch.rand(4, 3, 16, 16) * 255, "target": torch.rand(4, 6)}
    for freeze in (False, True):
        ex = SmartbotExtractor(space, (8, 8), 16, (16,), cnn_freeze=freeze)
        ex(obs).sum().backward()
        cnn_grads = [p.grad for p in ex.cnns.parameters()]
        assert all(p.requires_grad is not freeze for p in ex.cnns.parameters())
        assert all((g is None) is freeze for g in cnn_grads)
        assert all(p.grad is not None for p in ex.mlp.parameters())
    with pytest.raises(ValueError, match="cnn_freeze: expected true or false"):
        SmartbotExtractor(space, cnn_freeze="yes")  # type: ignore[arg-type]


def test_detector_key_adds_the_selected_colours_detection() -> None:
    from gymnasium import spaces

    space = spaces.Dict(
        {
            "camera": spaces.Box(0, 255, (3, 16, 16), np.uint8),
            "target": spaces.Box(0.0, 1.0, (6,), np.float32),
        }
    )
    torch.manual_seed(0)
    ex = SmartbotExtractor(space, (8, 8), 16, (16,), detector_key="target")
    assert ex.features_dim == 16 + 3 + 16
    target = torch.zeros(4, 6)
    target[torch.arange(4), torch.tensor([0, 5, 2, 2])] = 1.0
    obs = {"camera": torch.rand(4, 3, 16, 16) * 255, "target": target}
    feats = ex(obs)
    raw = ex.detector_heads["camera"](ex.cnns["camera"](obs["camera"] / 255.0)).view(4, 6, 3)
    want = raw[torch.arange(4), torch.tensor([0, 5, 2, 2])]
    torch.testing.assert_close(feats[:, 16], torch.sigmoid(want[:, 0]))
    torch.testing.assert_close(feats[:, 17:19], want[:, 1:])
    with pytest.raises(
        ValueError, match="detector_key: 'goal' is not a vector key.*allowed: target"
    ):
        SmartbotExtractor(space, detector_key="goal")


@pytest.mark.parametrize("detector_key", [None, "target"])
def test_training_run_starts_from_the_detector_and_keeps_it_frozen(
    tmp_path: Path, detector_key: str | None
) -> None:
    extra = [f"policy.extractor_kwargs.detector_key={detector_key}"] if detector_key else []
    cfg = resolve_config(OBJECTNAV, "ppo", overrides=[*TINY, *extra])
    run = tmp_path / "run"
    summary = train(cfg, run, progress=False, verbose=False)
    assert summary["num_timesteps"] == 64
    pre = run / "pretrain"
    for name in ("detector.json", "detector.safetensors", "history.csv", "learning_curve.png"):
        assert (pre / name).is_file(), name
    meta = json.loads((pre / "detector.json").read_text())
    assert meta["train"]["count"] == 256 and meta["val_data"]["count"] == 64
    assert 0.0 <= meta["val"]["visible_accuracy"] <= 1.0
    assert read_dataset(pre / "data_val")[1]["split"] == "val"
    detector = load_file(str(pre / "detector.safetensors"))
    policy = load_file(str(run / "final" / "model.safetensors"))
    trunk = {k[len("cnn.") :]: v for k, v in detector.items() if k.startswith("cnn.")}
    assert trunk
    for k, v in trunk.items():  # PPO trained 64 steps: the frozen CNN is the detector's
        assert torch.equal(policy[f"features_extractor.cnns.camera.{k}"], v), k
    if detector_key:  # and so is the detector head
        for k in ("weight", "bias"):
            head = policy[f"features_extractor.detector_heads.camera.{k}"]
            assert torch.equal(head, detector[f"out.{k}"])
    # Started again in the same folder, the trained detector is reused, not retrained.
    before = (pre / "detector.safetensors").stat().st_mtime_ns
    assert run_pretrain(cfg, run, progress=False) == pre / "detector"
    assert (pre / "detector.safetensors").stat().st_mtime_ns == before


def test_cli_collect_and_train_perception(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    common = ["--env-kwargs", SMALL_CAMERA, "--n-envs", "8", "--no-progress"]
    assert cli.main(["collect", "--frames", "96", "--out", str(tmp_path / "tr"), *common]) == 0
    assert cli.main(["collect", "--frames", "32", "--split", "val", "--seed", "1",
                     "--out", str(tmp_path / "va"), *common]) == 0  # fmt: skip
    args = ["train-perception", "--data", str(tmp_path / "tr"), "--val", str(tmp_path / "va")]
    out = ["--out", str(tmp_path / "det"), "--device", "cpu", "--no-progress"]
    sets = ["--set", "epochs=2", "--set", "channels=[4, 4]", "--set", "learning_rate=1e-3"]
    assert cli.main([*args, *out, *sets]) == 0
    printed = capsys.readouterr().out
    assert '"best_epoch"' in printed and '"visible_accuracy"' in printed
    meta = json.loads((tmp_path / "det" / "detector.json").read_text())
    assert meta["arch"]["channels"] == [4, 4] and meta["epochs_run"] in (1, 2)
    assert meta["settings"]["learning_rate"] == 1e-3  # "1e-3" is a number, as in smartbot train
    assert cli.main([*args, *out, "--set", "epoch=2"]) == 2
    assert "epoch: unknown key" in capsys.readouterr().err
    assert cli.main(["collect", "--env-kwargs", "{", "--out", str(tmp_path / "x")]) == 2
    assert "--env-kwargs: not valid JSON" in capsys.readouterr().err
    assert cli.main(["collect", "--frames", "8", "--out", str(tmp_path / "tr"), *common]) == 2
    assert "exists" in capsys.readouterr().err


def test_a_given_detector_is_used_as_it_is(tmp_path: Path) -> None:
    from policies.detector import TargetDetector, save_detector

    save_detector(TargetDetector((3, 16, 16), (8, 8), 16), tmp_path / "mine", {})
    cfg = resolve_config(
        OBJECTNAV, "ppo", overrides=[*TINY, f"pretrain={{detector: {tmp_path / 'mine.json'}}}"]
    )
    assert run_pretrain(cfg, tmp_path / "run", progress=False) == tmp_path / "mine"
    assert not (tmp_path / "run" / "pretrain").exists()  # nothing collected or trained
    with pytest.raises(ConfigError, match="pretrain.detector: expected a file path"):
        resolve_config(OBJECTNAV, "ppo", overrides=[*TINY, "pretrain={detector: 3}"])
