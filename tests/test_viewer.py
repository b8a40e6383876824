"""Tests for robot.viewer: every key, the picture, headless recording (SDL dummy driver)."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported: no real window
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gymnasium as gym  # noqa: E402
import imageio_ffmpeg  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

import envs  # noqa: E402, F401  (registers the ids)
from envs.view import view_state  # noqa: E402
from policies.baselines import ScriptedExpert  # noqa: E402
from robot.topdown import COLOURS  # noqa: E402
from robot.viewer import SPEEDS, Viewer, ViewerApp, run_viewer  # noqa: E402

ENV = "smartbot/PointNav-v0"


def press(key: int, char: str = "") -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode=char,
                                         scancode=0))  # fmt: skip


def release(key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, mod=0, unicode="", scancode=0))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ViewerApp]:
    env = gym.make(ENV, max_steps=40)
    viewer = Viewer(out_dir=tmp_path / "shots", fps=10.0)
    a = ViewerApp(env, ScriptedExpert(env), view_state, viewer, label="expert", seed=3,
                  realtime=False)  # fmt: skip
    pygame.event.clear()
    a.tick()  # the first reset and step
    yield a
    viewer.close()


def test_space_pauses_and_n_steps_exactly_once(app: ViewerApp) -> None:
    ctl, v = app.controller, app.viewer
    press(pygame.K_SPACE, " ")
    app.tick()
    assert v.paused
    frozen = ctl.step_count
    app.tick()
    app.tick()
    assert ctl.step_count == frozen  # paused: no steps
    press(pygame.K_n, "n")
    app.tick()
    assert ctl.step_count == frozen + 1 and v.paused
    app.tick()
    assert ctl.step_count == frozen + 1  # exactly one
    press(pygame.K_SPACE, " ")
    app.tick()
    assert not v.paused and ctl.step_count == frozen + 2


def test_r_resets_into_the_next_episode(app: ViewerApp) -> None:
    ctl = app.controller
    for _ in range(3):
        app.tick()
    assert ctl.episode == 0 and ctl.step_count >= 3
    press(pygame.K_r, "r")
    app.tick()
    assert ctl.episode == 1 and ctl.step_count == 0 and ctl.episode_seed == 4
    assert app.state().episode == 1


def test_plus_minus_change_the_speed(app: ViewerApp) -> None:
    v, ctl = app.viewer, app.controller
    assert v.speed == 1.0
    press(pygame.K_PLUS, "+")
    app.tick()
    assert v.speed == 2.0 and ctl.speed == 2.0
    press(pygame.K_EQUALS, "+")  # shift+= on most keyboards
    app.tick()
    assert v.speed == 4.0
    for _ in range(4):
        press(pygame.K_MINUS, "-")
    app.tick()
    assert v.speed == 0.25 == SPEEDS[0] and ctl.speed == 0.25
    press(pygame.K_MINUS, "-")
    app.tick()
    assert v.speed == SPEEDS[0]  # clamped


def test_m_hands_driving_to_the_arrow_keys_and_back(app: ViewerApp) -> None:
    ctl, v = app.controller, app.viewer
    press(pygame.K_m, "m")
    press(pygame.K_UP)
    app.tick()
    assert v.manual
    rec = ctl.last
    assert rec is not None and rec.manual
    assert np.allclose(rec.action, v.manual_command()) and np.allclose(rec.action, [0.8, 0.0])
    press(pygame.K_LEFT)
    app.tick()
    assert np.allclose(ctl.last.action, [0.8, 0.6])  # type: ignore[union-attr]
    release(pygame.K_UP)
    press(pygame.K_RIGHT)
    release(pygame.K_LEFT)
    app.tick()
    assert np.allclose(ctl.last.action, [0.0, -0.6])  # type: ignore[union-attr]
    release(pygame.K_RIGHT)
    app.tick()
    assert np.allclose(ctl.last.action, [0.0, 0.0])  # type: ignore[union-attr]
    press(pygame.K_m, "m")
    app.tick()
    rec = ctl.last
    assert not v.manual and rec is not None and not rec.manual
    assert np.allclose(rec.action, rec.policy_action)


def test_s_writes_a_screenshot(app: ViewerApp, tmp_path: Path) -> None:
    press(pygame.K_s, "s")
    app.tick()
    shots = list((tmp_path / "shots").glob("*.png"))
    assert len(shots) == 1 and app.viewer.screenshots == shots
    img = pygame.image.load(str(shots[0]))
    assert img.get_size() == (960, 720)


def test_v_records_one_frame_per_step(app: ViewerApp, tmp_path: Path) -> None:
    ctl, v = app.controller, app.viewer
    press(pygame.K_v, "v")
    app.tick()
    assert v.recording
    for _ in range(5):
        app.tick()
    press(pygame.K_v, "v")
    app.tick()  # stops before this tick's step
    assert not v.recording and len(v.recordings) == 1
    path = v.recordings[0]
    assert path.parent == tmp_path / "shots" and path.suffix == ".mp4"
    # the picture on screen when recording began, then one frame per step (6 steps)
    assert v.recorded_frames == [7]
    n, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert n == 7
    assert ctl.step_count >= 7


def test_h_toggles_help_and_q_quits(app: ViewerApp) -> None:
    v = app.viewer
    press(pygame.K_h, "h")
    app.tick()
    assert v.help_visible
    press(pygame.K_h, "h")
    app.tick()
    assert not v.help_visible
    press(pygame.K_q, "q")
    assert app.tick() is False and v.quit_requested
    assert app.run() == [s for s in app.controller.history if s.completed]


def test_window_close_quits(app: ViewerApp) -> None:
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.tick() is False


def test_picture_shows_the_planned_path_and_hud(app: ViewerApp) -> None:
    for _ in range(3):
        app.tick()
    ex = app.controller.last_explain
    assert ex["mode"] in ("follow", "avoid", "replan") and len(ex["path"]) >= 2
    frame = app.viewer.frame()
    assert frame.shape == (720, 960, 3) and frame.dtype == np.uint8
    path_px = np.all(np.abs(frame.astype(int) - COLOURS["path"]) < 30, axis=-1)
    assert path_px.sum() > 30  # the expert's planned path is drawn on the map
    # the camera (PointNav does not observe it; the viewer shows it anyway) is enlarged
    camera = app.state().camera
    assert camera is not None and camera.shape == (3, 64, 64)


def test_headless_video_frame_count_and_fps(tmp_path: Path) -> None:
    env = gym.make(ENV, max_steps=12)
    out = tmp_path / "run.mp4"
    stats = run_viewer(env, ScriptedExpert(env), view_state, headless=True, record=out,
                       episodes=2, seed=0)  # fmt: skip
    assert len(stats) == 2
    expected = sum(s.steps for s in stats) + len(stats)  # one frame per reset and per step
    n, secs = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert n == expected
    reader = imageio_ffmpeg.read_frames(str(out))
    meta: dict[str, Any] = next(reader)
    reader.close()
    assert meta["fps"] == pytest.approx(10.0) and tuple(meta["size"]) == (960, 720)
    assert secs == pytest.approx(expected / 10.0, abs=0.11)


def test_headless_viewer_needs_no_display(tmp_path: Path) -> None:
    v = Viewer(640, 480, headless=True, out_dir=tmp_path)
    assert v.window is None
    env = gym.make("smartbot/ObjectNav-v0", max_steps=5)
    env.reset(seed=0)
    state = view_state(env)
    assert state.target_colour is not None and "target" in state.extra
    v.draw(state)
    assert v.frame().shape == (480, 640, 3)
    v.close()
