"""Tests for ``smartbot watch``: headless runs and one-line errors."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported: no real window
os.environ["SDL_AUDIODRIVER"] = "dummy"

import re  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gymnasium as gym  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import envs  # noqa: E402, F401  (registers the ids)
from training.cli import main  # noqa: E402

ENV = "smartbot/PointNav-v0"


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained PPO policy for PointNav, saved the way training saves it."""
    from types import SimpleNamespace

    import torch

    from policies.builders import build_policy_network
    from policies.io import save_policy

    torch.set_num_threads(1)
    env = gym.make(ENV)
    cfg = {"net_arch": [16]}
    net = build_policy_network("ppo", env.observation_space, env.action_space, cfg)
    model = SimpleNamespace(
        policy=net, observation_space=env.observation_space, action_space=env.action_space
    )
    stem = tmp_path_factory.mktemp("model") / "ppo_pointnav"
    return save_policy(model, stem, env_id=ENV, algo="ppo", policy_config=cfg)


def test_headless_gif_of_the_expert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "expert.gif"
    argv = ["watch", "expert", "--env", "PointNav-v0", "--seed", "4", "--headless",
            "--record", str(out), "--size", "640x480"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    m = re.search(r"episode 1 \(seed 4\): \w[\w ]* in (\d+) steps", printed)
    assert m, printed
    steps = int(m.group(1))
    assert f"({steps + 1} frames at 10 fps)" in printed  # the reset frame + one per step
    with Image.open(out) as gif:
        assert getattr(gif, "n_frames", 1) == steps + 1 and gif.size == (640, 480)
        assert gif.info["duration"] == 100  # ms per frame: the 10 Hz control rate


def test_saved_model_headless_with_its_own_env(
    saved_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from envs.view import view_state
    from policies.io import load_policy
    from robot.viewer import Viewer, ViewerApp

    # without --env the model's own env is used
    argv = ["watch", str(saved_model), "--headless", "--episodes", "1", "--safety"]
    assert main(argv) == 0
    assert "on smartbot/PointNav-v0 (test maps)" in capsys.readouterr().out
    # its explain() feeds the HUD: value estimate and action distribution
    env = gym.make(ENV, max_steps=5)
    app = ViewerApp(env, load_policy(saved_model, ENV), view_state,
                    Viewer(640, 480, headless=True, out_dir=tmp_path), realtime=False)  # fmt: skip
    app.tick()
    ex: dict[str, Any] = app.controller.last_explain
    assert isinstance(ex["value"], float) and ex["action_mean"].shape == (2,)
    assert (ex["action_std"] > 0).all()
    app.viewer.close()


def test_missing_model_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", str(tmp_path / "nope"), "--env", ENV, "--headless"]) == 2
    err = _one_line_error(capsys)
    assert "no such model" in err and "'expert' or 'random'" in err
    assert main(["watch", "expert", "--headless"]) == 2
    assert "--env" in _one_line_error(capsys)
    assert main(["watch", "expert", "--env", "Nope-v0", "--headless"]) == 2
    assert "--env" in _one_line_error(capsys)
    assert main(["watch", "expert", "--env", ENV, "--headless", "--record", "x.avi"]) == 2
    assert ".mp4" in _one_line_error(capsys)


def test_model_for_another_env_is_one_line_error(
    saved_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", str(saved_model), "--env", "ObjectNav-v0", "--headless"]) == 2
    err = _one_line_error(capsys)
    assert "does not fit" in err and "--env smartbot/PointNav-v0" in err


def test_no_display_is_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pygame

    pygame.display.quit()
    # no X11/Wayland display and no SDL driver asked for
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["watch", "expert", "--env", ENV]) == 2
    err = _one_line_error(capsys)
    assert "no display: use --headless --record out.mp4" in err
    # SDL cannot open any window
    monkeypatch.setenv("SDL_VIDEODRIVER", "nosuchdriver")
    assert main(["watch", "expert", "--env", ENV]) == 2
    assert "no display: use --headless --record out.mp4" in _one_line_error(capsys)
