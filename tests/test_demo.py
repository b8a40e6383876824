"""The ``smartbot demo`` job end to end (small step budget), and its pieces."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import yaml
from PIL import Image

from training import cli
from training.config import resolve_config
from training.scripted_demo import drive


def test_demo_job_writes_videos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    rc = cli.main(
        ["demo", "--scripted", "--seed", "1", "--steps", "25", "--out", str(out), "--fps", "5"]
    )
    assert rc in (0, 1)  # 25 steps may not reach the goal
    printed = capsys.readouterr().out
    lines = printed.strip().splitlines()
    assert lines[-2] == f"video: {out / 'demo.mp4'}"
    assert lines[-1] == f"gif:   {out / 'demo.gif'}"
    assert "path planned / driven" in printed and "contacts" in printed
    meta = iio.immeta(out / "demo.mp4", plugin="FFMPEG")
    assert meta["fps"] == pytest.approx(5)
    with Image.open(out / "demo.gif") as im:
        n_gif = int(getattr(im, "n_frames", 1))
    n_mp4 = sum(1 for _ in iio.imiter(out / "demo.mp4", plugin="FFMPEG"))
    assert n_mp4 >= 25 and n_gif >= 20  # the GIF merges identical held frames


def test_demo_reaches_the_goal() -> None:
    res = drive(seed=0, kind="rooms", steps=400)
    assert res.success
    assert res.contacts == 0
    assert res.driven_length <= res.planned_length + 0.5


def test_frames_are_panels() -> None:
    got: list[np.ndarray] = []
    drive(seed=2, kind="maze", steps=3, on_frame=got.append, hold_frames=2)
    assert len(got) == 5  # 3 steps + 2 held frames
    assert all(f.shape == got[0].shape and f.dtype == np.uint8 for f in got)
    assert got[0].shape[1] > got[0].shape[0]  # top-down + camera column side by side


def test_bad_options_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--scripted", "--steps", "0", "--out", str(tmp_path)]) == 2
    assert "--steps" in capsys.readouterr().err


def test_demo_pipeline_trains_evaluates_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``smartbot demo``: train (tiny budget), evaluate 3 policies, record; last lines say where."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    out = tmp_path / "demo"
    rc = cli.main(
        [
            "demo",
            "--timesteps",
            "2048",
            "--episodes",
            "2",
            "--video-episodes",
            "1",
            "--out",
            str(out),
            "--no-viewer",
        ]
    )
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2] == f"report: {out / 'report.md'}"
    assert lines[-1] == f"video:  {out / 'pointnav_ppo.mp4'}"
    report = (out / "report.md").read_text()
    for name in ("ppo (demo)", "expert", "random"):
        assert f"| {name} |" in report
    assert (out / "eval.json").is_file()
    assert (out / "pointnav_ppo" / "final" / "model.json").is_file()
    # the shipped config, except the heads and the rollout shape (training.demo.DEMO_OVERRIDES)
    ran = yaml.safe_load((out / "pointnav_ppo" / "config.yaml").read_text())
    shipped = resolve_config("smartbot/PointNav-v0", "ppo")
    assert ran["policy"]["net_arch"] == {"pi": [128, 128], "vf": [128, 128]}
    assert shipped["policy"]["net_arch"] == {"pi": [64, 64], "vf": [64, 64]}
    assert (ran["n_envs"], ran["algo_kwargs"]["n_steps"]) == (16, 256)
    assert (shipped["n_envs"], shipped["algo_kwargs"]["n_steps"]) == (32, 128)
    assert ran["env_kwargs"] == shipped["env_kwargs"]
    assert {**ran["algo_kwargs"], "n_steps": 0} == {**shipped["algo_kwargs"], "n_steps": 0}
    assert {k: v for k, v in ran["policy"].items() if k != "net_arch"} == {
        k: v for k, v in shipped["policy"].items() if k != "net_arch"
    }
    n = sum(1 for _ in iio.imiter(out / "pointnav_ppo.mp4", plugin="FFMPEG"))
    assert n >= 2
