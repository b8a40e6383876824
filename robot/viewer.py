"""The pygame viewer: watch a policy drive, take over, record.

:class:`Viewer` draws one picture (a window, or an off-screen surface when headless):

* the top-down world (:class:`robot.topdown.TopDownRenderer`: terrain, walls, objects, the
  robot and its heading, its trail, the lidar rays, the goal or the target ring) with the
  policy's planned path (``explain()["path"]``) and pursuit point;
* the robot's camera frame, enlarged;
* a HUD: episode, step, return, success and contact counters, the action as two bars
  (with the policy's action mean +- std when it gives them), its value estimate or mode,
  the policy latency and watchdog, the safety layer's interventions, FPS and speed;
* a help overlay (``h``).

Keys: ``space`` pause/resume, ``n`` pause and advance one step, ``r`` reset (next
episode), ``+``/``-`` speed up/down (multiples of real time), ``m`` manual driving with the
arrow keys (``m`` again gives control back), ``s`` screenshot (PNG), ``v`` start/stop
recording (MP4), ``h`` help, ``q``/``Esc``/closing the window quit.

:func:`run_viewer` ties a :class:`robot.controller.Controller` to a viewer: the interactive
loop, or headless: the same picture rendered off-screen, one video frame per reset and per
step, at the control rate.

Example::

    env = gym.make("smartbot/PointNav-v0")
    run_viewer(env, ScriptedExpert(env), envs.view.view_state, seed=0)
    run_viewer(env, policy, view_state, headless=True, record="out.mp4", episodes=3)

Works with pygame and pygame-ce (both install the ``pygame`` module).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from robot.controller import Controller, EpisodeStats, SafetyLayer, StepRecord
from robot.topdown import COLOURS, TopDownRenderer
from robot.video import VideoWriter
from robot.view_state import ViewState
from robot.world import TARGET_COLOURS, TARGET_NAMES, World

__all__ = ["Viewer", "Hud", "ViewerApp", "run_viewer", "NoDisplayError", "SPEEDS", "KEY_HELP"]

#: The speed steps of ``+`` and ``-`` (multiples of real time).
SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)

#: The keys, as the help overlay lists them.
KEY_HELP: tuple[tuple[str, str], ...] = (
    ("space", "pause / resume"),
    ("n", "pause and advance one step"),
    ("r", "reset: start the next episode"),
    ("+  /  -", "faster / slower (x real time)"),
    ("m", "manual driving on / off"),
    ("arrows", "drive (in manual mode)"),
    ("s", "save a screenshot (PNG)"),
    ("v", "start / stop recording (MP4)"),
    ("h", "show / hide this help"),
    ("q  /  Esc", "quit"),
)

BG = (22, 24, 30)
PANEL = (32, 35, 44)
TEXT = (228, 231, 238)
DIM = (150, 156, 172)
ACCENT = (255, 170, 40)
GOOD = (70, 200, 110)
BAD = (240, 80, 70)
MANUAL = (80, 200, 240)
BAR_POS = (90, 170, 250)
BAR_NEG = (250, 140, 70)


class NoDisplayError(RuntimeError):
    """No window can be opened (no display, or SDL has no usable video driver)."""


@dataclasses.dataclass
class Hud:
    """What the HUD shows besides the :class:`ViewState`.

    Attributes:
        label: the policy's name. action: (2,) the command sent; policy_action: (2,) what
        the policy asked for (drawn as a marker when it differs). explain: the policy's
        ``explain()``. latency_ms, latency_p99_ms: policy latency (last step, p99 over the
        recent steps). overruns: watchdog overruns. safety: the safety layer is on;
        interventions: its count; intervened: it acted on the last step.
        realtime: paced to real time (else as fast as possible). control_hz: control rate.
        outcome: "success", "time out" or "failed" once the episode has ended, else "".
        seed: the episode's reset seed.
    """

    label: str = ""
    action: NDArray[np.float32] | None = None
    policy_action: NDArray[np.float32] | None = None
    explain: dict[str, Any] = dataclasses.field(default_factory=dict)
    latency_ms: float | None = None
    latency_p99_ms: float | None = None
    overruns: int = 0
    safety: bool = False
    interventions: int = 0
    intervened: bool = False
    realtime: bool = True
    control_hz: float = 10.0
    outcome: str = ""
    seed: int | None = None


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    return pygame


def _fmt(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return f"{float(v):.3g}"
    a = np.asarray(v)
    if a.dtype.kind in "fiu" and a.size <= 4:
        return " ".join(f"{float(x):.2f}" for x in a.ravel())
    if a.dtype.kind in "fiu":
        return f"array {a.shape}"
    return str(v)


def _open_window(pg: Any, width: int, height: int) -> Any:
    """The display surface of a new window; NoDisplayError when there is no screen to show
    it on (SDL falls back to its invisible "offscreen" driver without one)."""
    asked = os.environ.get("SDL_VIDEODRIVER", "").strip().lower()
    if (
        sys.platform.startswith("linux")
        and not asked
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        raise NoDisplayError("DISPLAY is not set")
    try:
        pg.display.init()
        driver = str(pg.display.get_driver()).lower()
        if driver in ("offscreen", "dummy") and driver != asked:
            pg.display.quit()
            raise NoDisplayError(f"SDL found no screen, only its {driver!r} video driver")
        return pg.display.set_mode((width, height))
    except pg.error as err:
        pg.display.quit()
        raise NoDisplayError(str(err)) from None


class Viewer:
    """A pygame picture of a robot, its world, its senses and its policy.

    Args:
        width, height: picture size, px.
        headless: draw on an off-screen surface (no display, no events).
        title: window title.
        out_dir: folder for screenshots (``s``) and recordings (``v``).
        fps: frame rate of recordings (the control rate: one frame per step).
        manual_speed: (linear, angular) normalised commands of the arrow keys.

    Attributes:
        paused, speed, manual, help_visible, quit_requested: the UI state the keys change.
        pending_steps: single steps asked for with ``n`` (consumed by the loop).
        reset_requested: ``r`` was pressed (consumed by the loop).
        recording: a recording is running. screenshots, recordings: files written;
        recorded_frames: the frame count of each recording.
        message: the last status message (shown for a few seconds).

    Raises:
        NoDisplayError: when not headless and no window can be opened.
    """

    def __init__(
        self,
        width: int = 960,
        height: int = 720,
        *,
        headless: bool = False,
        title: str = "smartbot watch",
        out_dir: str | os.PathLike[str] = "runs/watch",
        fps: float = 10.0,
        manual_speed: tuple[float, float] = (0.8, 0.6),
    ) -> None:
        if not (
            isinstance(width, int) and isinstance(height, int) and width >= 480 and height >= 360
        ):
            raise ValueError(f"width, height: expected integers >= 480 x 360, got {width}x{height}")
        pg = _pygame()
        self._pg = pg
        self.width, self.height = width, height
        self.headless = bool(headless)
        self.out_dir = Path(out_dir)
        self.fps = float(fps)
        self.manual_speed = (float(manual_speed[0]), float(manual_speed[1]))
        self.window: Any = None
        if self.headless:
            self.surface = pg.Surface((width, height))
        else:
            self.window = _open_window(pg, width, height)
            pg.display.set_caption(title)
            pg.key.set_repeat()  # held keys are tracked from KEYDOWN/KEYUP, not repeats
            self.surface = self.window
        pg.font.init()
        s = min(width / 960.0, height / 720.0)
        self.scale = s
        self._font = self._load_font(max(12, round(19 * s)))
        self._font_small = self._load_font(max(11, round(15 * s)))
        self._font_big = self._load_font(max(14, round(25 * s)), bold=True)
        self._font_mono = self._load_font(max(12, round(17 * s)), mono=True)
        self.paused = False
        self.speed = 1.0
        self.manual = False
        self.help_visible = False
        self.quit_requested = False
        self.pending_steps = 0
        self.reset_requested = False
        self.held: set[str] = set()
        self.screenshots: list[Path] = []
        self.recordings: list[Path] = []
        self.recorded_frames: list[int] = []
        self.message = ""
        self._message_until = 0.0
        self._writer: VideoWriter | None = None
        self._renderers: dict[int, TopDownRenderer] = {}
        self._last: tuple[ViewState, Hud] | None = None
        self._frame_times: list[float] = []
        self._shot_index = 0
        # layout
        m = max(8, round(12 * s))
        self.margin = m
        self.panel_w = max(260, round(320 * s))
        status_h = self._font_small.get_linesize() + m // 2
        self.map_rect = pg.Rect(m, m, width - self.panel_w - 3 * m, height - 2 * m - status_h)
        self.panel_rect = pg.Rect(width - self.panel_w - m, m, self.panel_w, height - 2 * m)
        self.status_y = self.map_rect.bottom + m // 2

    def _load_font(self, size: int, bold: bool = False, mono: bool = False) -> Any:
        pg = self._pg
        names = (
            "dejavusansmono,liberationmono,menlo,consolas,couriernew"
            if mono
            else ("dejavusans,liberationsans,freesans,helvetica,arial,segoeui")
        )
        try:
            font = pg.font.SysFont(names, size, bold=bold)
        except Exception:  # no fontconfig: pygame's bundled font
            font = None
        if font is None:
            font = pg.font.Font(None, round(size * 1.3))
        return font

    # ------------------------------------------------------------------ state
    @property
    def recording(self) -> bool:
        """A recording is running."""
        return self._writer is not None

    @property
    def fps_measured(self) -> float:
        """Pictures drawn per second over the last couple of seconds."""
        t = self._frame_times
        if len(t) < 2 or t[-1] <= t[0]:
            return 0.0
        return (len(t) - 1) / (t[-1] - t[0])

    def say(self, message: str, seconds: float = 3.0) -> None:
        """Show a status message for a few seconds."""
        self.message = message
        self._message_until = time.monotonic() + seconds

    def manual_command(self) -> NDArray[np.float32]:
        """(2,) the command of the arrow keys held now (up/down: linear, left/right:
        angular, counter-clockwise positive)."""
        lin = (("up" in self.held) - ("down" in self.held)) * self.manual_speed[0]
        ang = (("left" in self.held) - ("right" in self.held)) * self.manual_speed[1]
        return np.array([lin, ang], dtype=np.float32)

    def faster(self) -> None:
        """Next speed step up."""
        bigger = [v for v in SPEEDS if v > self.speed + 1e-9]
        self.speed = bigger[0] if bigger else SPEEDS[-1]
        self.say(f"speed x{self.speed:g}", 1.5)

    def slower(self) -> None:
        """Next speed step down."""
        smaller = [v for v in SPEEDS if v < self.speed - 1e-9]
        self.speed = smaller[-1] if smaller else SPEEDS[0]
        self.say(f"speed x{self.speed:g}", 1.5)

    # ------------------------------------------------------------------ events
    def process_events(self) -> None:
        """Handle every pending pygame event (nothing when headless)."""
        if self.window is None:
            return
        for event in self._pg.event.get():
            self.handle_event(event)

    def handle_event(self, event: Any) -> None:
        """Apply one pygame event to the UI state."""
        pg = self._pg
        if event.type == pg.QUIT:
            self.quit_requested = True
            return
        if event.type == getattr(pg, "WINDOWFOCUSLOST", -1):
            self.held.clear()  # the key-up events will go to another window
            return
        arrows = {pg.K_UP: "up", pg.K_DOWN: "down", pg.K_LEFT: "left", pg.K_RIGHT: "right"}
        if event.type == pg.KEYUP:
            if event.key in arrows:
                self.held.discard(arrows[event.key])
            return
        if event.type != pg.KEYDOWN:
            return
        key = event.key
        char = getattr(event, "unicode", "") or ""
        if key in arrows:
            self.held.add(arrows[key])
        elif key in (pg.K_q, pg.K_ESCAPE):
            self.quit_requested = True
        elif key == pg.K_SPACE:
            self.paused = not self.paused
            self.say("paused" if self.paused else "running", 1.5)
        elif key == pg.K_n:
            self.paused = True
            self.pending_steps += 1
        elif key == pg.K_r:
            self.reset_requested = True
        elif char == "+" or key in (pg.K_PLUS, pg.K_EQUALS, pg.K_KP_PLUS):
            self.faster()
        elif char == "-" or key in (pg.K_MINUS, pg.K_KP_MINUS, pg.K_UNDERSCORE):
            self.slower()
        elif key == pg.K_m:
            self.manual = not self.manual
            self.held.clear()
            self.say("manual driving: arrow keys" if self.manual else "policy drives", 2.0)
        elif key == pg.K_s:
            self.screenshot()
        elif key == pg.K_v:
            if self.recording:
                self.stop_recording()
            else:
                self.start_recording()
        elif key == pg.K_h:
            self.help_visible = not self.help_visible
            if self._last is not None:
                self.redraw()

    # ------------------------------------------------------------------ files
    def _stamp(self) -> str:
        return time.strftime("%Y%m%d-%H%M%S")

    def screenshot(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Save the current picture as a PNG (default: a new file in ``out_dir``)."""
        if path is None:
            self._shot_index += 1
            path = self.out_dir / f"screenshot-{self._stamp()}-{self._shot_index:03d}.png"
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        self._pg.image.save(self.surface, str(p))
        self.screenshots.append(p)
        self.say(f"saved {p}")
        return p

    def start_recording(
        self, path: str | os.PathLike[str] | None = None, fps: float | None = None
    ) -> Path:
        """Start writing one frame per :meth:`record_frame` to an MP4 (or GIF) file."""
        if self._writer is not None:
            self.stop_recording()
        if path is None:
            path = self.out_dir / f"recording-{self._stamp()}-{len(self.recordings) + 1:03d}.mp4"
        self._writer = VideoWriter(path, fps=fps or self.fps)
        self.say(f"recording to {self._writer.path}")
        if self._last is not None:  # the picture on screen is the first frame
            self.record_frame()
        return self._writer.path

    def record_frame(self) -> None:
        """Append the current picture to the running recording (if any)."""
        if self._writer is not None:
            self._writer.append(self.frame())

    def stop_recording(self) -> Path | None:
        """Finish the running recording; its path (None when none was running)."""
        w = self._writer
        if w is None:
            return None
        self._writer = None
        if w.frames == 0:
            w.abort()
            self.say("recording stopped (no frames)")
            return None
        w.close()
        self.recordings.append(w.path)
        self.recorded_frames.append(w.frames)
        self.say(f"saved {w.path} ({w.frames} frames)")
        return w.path

    # ------------------------------------------------------------------ drawing
    def frame(self) -> NDArray[np.uint8]:
        """The current picture, (height, width, 3) uint8."""
        pg = self._pg
        to_bytes = getattr(pg.image, "tobytes", None) or pg.image.tostring
        buf = to_bytes(self.surface, "RGB")
        return np.frombuffer(buf, dtype=np.uint8).reshape(self.height, self.width, 3).copy()

    def present(self) -> None:
        """Show the picture in the window (nothing when headless)."""
        if self.window is not None:
            self._pg.display.flip()

    def redraw(self) -> None:
        """Draw the last state again (after a UI change while paused)."""
        if self._last is not None:
            self.draw(*self._last, count_frame=False)

    def renderer(self, world: World) -> TopDownRenderer:
        """The top-down renderer of ``world`` at the scale that fits the map area."""
        key = id(world)
        r = self._renderers.get(key)
        if r is None or r.world is not world:
            if len(self._renderers) > 16:
                self._renderers.clear()
            w_m, h_m = world.size_m
            ppm = min(self.map_rect.w / w_m, self.map_rect.h / h_m)
            r = TopDownRenderer(world, pixels_per_metre=max(1.0, min(ppm, 1000.0)))
            self._renderers[key] = r
        return r

    def _text(
        self,
        font: Any,
        text: str,
        colour: Sequence[int],
        pos: tuple[int, int],
        anchor: str = "topleft",
    ) -> Any:
        img = font.render(text, True, colour)
        rect = img.get_rect(**{anchor: pos})
        self.surface.blit(img, rect)
        return rect

    def draw(self, state: ViewState, hud: Hud | None = None, *, count_frame: bool = True) -> None:
        """Draw the whole picture for ``state`` (and the HUD extras ``hud``)."""
        pg = self._pg
        hud = hud or Hud()
        self._last = (state, hud)
        if count_frame:
            now = time.perf_counter()
            self._frame_times.append(now)
            while len(self._frame_times) > 2 and now - self._frame_times[0] > 2.0:
                self._frame_times.pop(0)
        surf = self.surface
        surf.fill(BG)
        pg.draw.rect(surf, PANEL, self.map_rect, border_radius=6)
        self._draw_map(state, hud)
        self._draw_panel(state, hud)
        self._draw_status(state, hud)
        if self.help_visible:
            self._draw_help()

    def _draw_map(self, state: ViewState, hud: Hud) -> None:
        pg = self._pg
        mr = self.map_rect
        if state.world is None:
            self._text(self._font, "no world yet", DIM, mr.center, "center")
            return
        r = self.renderer(state.world)
        path = hud.explain.get("path")
        path_arr = None
        if path is not None:
            pa = np.asarray(path, dtype=np.float64)
            if pa.ndim == 2 and pa.shape[1] == 2 and pa.shape[0] >= 2:
                path_arr = pa
        img = r.render(
            state.pose, trail=state.trail, lidar_ranges=state.lidar_ranges,
            lidar_angles=state.lidar_angles, lidar_max_range=state.lidar_max_range,
            goal=state.goal, goal_radius=state.goal_radius, path=path_arr,
            target_colour=state.target_colour, robot_radius=state.robot_radius,
            bumper=state.bumper,
        )  # fmt: skip
        h, w = img.shape[:2]
        ox = mr.x + (mr.w - w) // 2
        oy = mr.y + (mr.h - h) // 2
        self.surface.blit(pg.image.frombuffer(img.tobytes(), (w, h), "RGB"), (ox, oy))
        look = hud.explain.get("lookahead")
        if look is not None and path_arr is not None:
            p = r.world_to_px(np.asarray(look, dtype=np.float64).reshape(1, 2))[0]
            c = (round(ox + p[0]), round(oy + p[1]))
            pg.draw.circle(self.surface, (20, 20, 20), c, max(4, round(5 * self.scale)))
            pg.draw.circle(self.surface, ACCENT, c, max(3, round(4 * self.scale)))
        self._draw_legend(state, path_arr is not None, pg.Rect(ox, oy, w, h))
        # badges in the map's top-left corner
        x, y = mr.x + 8, mr.y + 8
        badges: list[tuple[str, tuple[int, int, int]]] = []
        if self.paused:
            badges.append(("PAUSED", ACCENT))
        if self.manual:
            badges.append(("MANUAL", MANUAL))
        if self.recording:
            badges.append(("REC", BAD))
        if hud.intervened:
            badges.append(("SAFETY STOP", ACCENT))
        if hud.outcome:
            badges.append((hud.outcome.upper(), GOOD if hud.outcome == "success" else BAD))
        for text, colour in badges:
            img_t = self._font_big.render(text, True, (15, 15, 18))
            box = img_t.get_rect(topleft=(x + 8, y + 3)).inflate(16, 6)
            box.topleft = (x, y)
            pg.draw.rect(self.surface, colour, box, border_radius=5)
            self.surface.blit(img_t, img_t.get_rect(center=box.center))
            x = box.right + 8

    def _draw_legend(self, state: ViewState, has_path: bool, map_px: Any) -> None:
        """A key to the map's colours and its size, under the map when there is room."""
        pg = self._pg
        mr = self.map_rect
        font = self._font_small
        lh = font.get_linesize()
        if mr.bottom - map_px.bottom < lh + 8 or state.world is None:
            return
        y = map_px.bottom + (mr.bottom - map_px.bottom - lh) // 2
        x = mr.x + 10
        goal_rgb = COLOURS["goal"]
        if state.target_colour is not None and 0 <= state.target_colour < len(TARGET_COLOURS):
            goal_rgb = TARGET_COLOURS[state.target_colour]
        items: list[tuple[str, tuple[int, int, int], str]] = [
            ("trail", COLOURS["trail"], "line"),
            ("lidar", COLOURS["ray"], "line"),
        ]
        if has_path:
            items.insert(1, ("plan", COLOURS["path"], "line"))
        items.append(("target" if state.target_colour is not None else "goal", goal_rgb, "ring"))
        if state.bumper:
            items.append(("contact", COLOURS["bumper"], "ring"))
        cy = y + lh // 2
        for name, colour, kind in items:
            if kind == "line":
                pg.draw.line(self.surface, colour, (x, cy), (x + 18, cy), 3)
            else:
                pg.draw.circle(self.surface, colour, (x + 9, cy), 7, 2)
            rect = self._text(font, name, DIM, (x + 24, y))
            x = rect.right + 16
        w_m, h_m = state.world.size_m
        self._text(font, f"{w_m:.1f} x {h_m:.1f} m, grid 1 m", DIM, (mr.right - 10, y), "topright")

    def _row_h(self) -> int:
        return int(self._font.get_linesize())

    def _bar_h(self) -> int:
        return int(self._font.get_linesize()) + max(2, round(4 * self.scale))

    def _row(self, y: int, label: str, value: str, colour: Sequence[int] = TEXT) -> int:
        pr = self.panel_rect
        self._text(self._font, label, DIM, (pr.x + 12, y))
        self._text(self._font, value, colour, (pr.right - 12, y), "topright")
        return y + self._row_h()

    def _bar(
        self,
        y: int,
        label: str,
        value: float | None,
        mean: float | None,
        std: float | None,
        raw: float | None,
    ) -> int:
        """A horizontal bar in [-1, 1] for one action component."""
        pg = self._pg
        pr = self.panel_rect
        lh = self._font.get_linesize()
        self._text(self._font, label, DIM, (pr.x + 12, y))
        val_w = self._font_mono.size("+0.00")[0]
        x0 = pr.x + 12 + self._font.size("angular")[0] + 10
        x1 = pr.right - 12 - val_w - 8
        bar = pg.Rect(x0, y + 2, x1 - x0, lh - 4)
        pg.draw.rect(self.surface, (52, 56, 68), bar, border_radius=3)
        cx = bar.centerx
        half = bar.w / 2

        def px(v: float) -> int:
            return round(cx + max(-1.0, min(1.0, v)) * half)

        if value is not None and math.isfinite(value):
            a, b = sorted((cx, px(value)))
            if b > a:
                colour = BAR_POS if value >= 0 else BAR_NEG
                pg.draw.rect(self.surface, colour, pg.Rect(a, bar.y + 2, b - a, bar.h - 4))
        if mean is not None and math.isfinite(mean):
            if std is not None and math.isfinite(std):
                lo, hi = px(mean - std), px(mean + std)
                my = bar.centery
                pg.draw.line(self.surface, TEXT, (lo, my), (hi, my), 2)
                pg.draw.line(self.surface, TEXT, (lo, my - 4), (lo, my + 4), 2)
                pg.draw.line(self.surface, TEXT, (hi, my - 4), (hi, my + 4), 2)
            m = px(mean)
            pg.draw.line(self.surface, (255, 255, 255), (m, bar.y - 1), (m, bar.bottom), 3)
        if raw is not None and value is not None and math.isfinite(raw) and abs(raw - value) > 1e-3:
            r = px(raw)  # what the policy wanted, when manual driving or safety overrode it
            tri = [(r, bar.y + 1), (r - 5, bar.y - 6), (r + 5, bar.y - 6)]
            pg.draw.polygon(self.surface, ACCENT, tri)
        pg.draw.line(self.surface, (120, 125, 140), (cx, bar.y), (cx, bar.bottom - 1), 1)
        text = "  --"
        if value is not None and math.isfinite(value):
            text = f"{round(value, 2) + 0.0:+.2f}"  # no "-0.00"
        self._text(self._font_mono, text, TEXT, (pr.right - 12, y + 1), "topright")
        return y + self._bar_h()

    def _section(self, y: int, title: str) -> int:
        pg = self._pg
        pr = self.panel_rect
        rect = self._text(self._font_small, title.upper(), ACCENT, (pr.x + 12, y))
        pg.draw.line(
            self.surface,
            (70, 74, 88),
            (rect.right + 8, rect.centery),
            (pr.right - 12, rect.centery),
            1,
        )
        return y + self._font_small.get_linesize() + 2

    def _hud_height(self, state: ViewState, hud: Hud) -> int:
        """Pixels the text rows under the camera need."""
        row = self._row_h()
        bar = self._bar_h()
        section = self._font_small.get_linesize() + 4
        ex = hud.explain
        known = {"path", "lookahead", "action_mean", "action_std"}
        n_explain = sum(k in ex for k in ("value", "mode", "probs"))
        n_explain += min(3, len([k for k in ex if k not in known | {"value", "mode", "probs"}]))
        rows = 5 + len(state.extra) + n_explain + 4
        return 3 * section + rows * row + 2 * bar + 8

    def _draw_panel(self, state: ViewState, hud: Hud) -> None:
        pg = self._pg
        pr = self.panel_rect
        surf = self.surface
        pg.draw.rect(surf, PANEL, pr, border_radius=6)
        y = pr.y + 8
        task = state.task.split("/")[-1] or "smartbot"
        title = self._text(self._font_big, task, TEXT, (pr.x + 12, y))
        if hud.label:
            room = pr.right - 12 - (title.right + 16)
            label = hud.label
            if self._font.size(label)[0] > room:  # keep the end of a long model path
                tail = label
                while tail and self._font.size("..." + tail)[0] > room:
                    tail = tail[1:]
                label = "..." + tail
            self._text(self._font, label, ACCENT, (pr.right - 12, y + 3), "topright")
        y += self._font_big.get_linesize() + 6
        # camera
        if state.camera is not None:
            cam = np.asarray(state.camera)
            if cam.ndim == 3 and cam.shape[0] in (1, 3) and cam.shape[2] not in (1, 3):
                cam = cam.transpose(1, 2, 0)
            if cam.shape[2] == 1:
                cam = np.repeat(cam, 3, axis=2)
            cam = np.ascontiguousarray(cam, dtype=np.uint8)
            ch, cw = cam.shape[:2]
            avail_w = pr.w - 24
            avail_h = pr.bottom - y - 10 - self._hud_height(state, hud)
            k = max(1, min(avail_w // cw, avail_h // ch))
            small = pg.image.frombuffer(cam.tobytes(), (cw, ch), "RGB")
            big = pg.transform.scale(small, (cw * k, ch * k))
            cx = pr.x + (pr.w - cw * k) // 2
            pg.draw.rect(surf, (90, 95, 110), pg.Rect(cx - 2, y - 2, cw * k + 4, ch * k + 4), 2)
            surf.blit(big, (cx, y))
            self._text(self._font_small, f"camera {cw}x{ch}", (235, 235, 235), (cx + 6, y + 4))
            y += ch * k + 10
        # episode
        y = self._section(y, "episode")
        ep = f"{state.episode + 1}"
        if hud.seed is not None:
            ep += f"  (seed {hud.seed})"
        y = self._row(y, "episode", ep)
        steps = f"{state.step}" + (f" / {state.max_steps}" if state.max_steps else "")
        y = self._row(y, "step", steps)
        y = self._row(y, "return", f"{state.episode_return:+.2f}")
        done = state.episodes_done
        rate = f"  ({100.0 * state.successes / done:.0f}%)" if done else ""
        y = self._row(
            y, "successes", f"{state.successes} / {done} eps{rate}", GOOD if state.success else TEXT
        )
        hit = f"   ({state.episodes_with_contact} / {done} eps)" if done else ""
        y = self._row(y, "contacts", f"{state.contacts}{hit}", BAD if state.bumper else TEXT)
        for k_, v in state.extra.items():
            colour = TEXT
            if k_ in ("target", "cue") and v in TARGET_NAMES:
                colour = TARGET_COLOURS[TARGET_NAMES.index(v)]
            y = self._row(y, k_, _fmt(v), colour)
        # policy
        y = self._section(y + 2, "policy" + ("  (manual driving)" if self.manual else ""))
        ex = hud.explain
        mean = ex.get("action_mean")
        std = ex.get("action_std")
        act = hud.action
        raw = hud.policy_action
        for i, name in enumerate(("linear", "angular")):
            y = self._bar(
                y, name,
                None if act is None else float(np.asarray(act).ravel()[i]),
                None if mean is None else float(np.asarray(mean).ravel()[i]),
                None if std is None else float(np.asarray(std).ravel()[i]),
                None if raw is None else float(np.asarray(raw).ravel()[i]),
            )  # fmt: skip
        if "value" in ex:
            y = self._row(y, "value", f"{float(ex['value']):+.2f}")
        if "mode" in ex:
            y = self._row(y, "mode", str(ex["mode"]))
        if "probs" in ex:
            p = np.asarray(ex["probs"], dtype=np.float64).ravel()
            top = np.argsort(-p)[:3]
            y = self._row(y, "probs", "  ".join(f"{i}:{p[i]:.2f}" for i in top))
        shown = {"path", "lookahead", "value", "mode", "probs", "action_mean", "action_std"}
        for k_ in [k for k in ex if k not in shown][:3]:
            y = self._row(y, k_, _fmt(ex[k_]))
        # controller
        y = self._section(y + 2, "controller")
        if hud.latency_ms is not None:
            lat = f"{hud.latency_ms:.1f} ms"
            if hud.latency_p99_ms is not None:
                lat += f"  (p99 {hud.latency_p99_ms:.1f})"
            y = self._row(y, "latency", lat)
        over = f"{hud.overruns} overrun" + ("" if hud.overruns == 1 else "s")
        y = self._row(y, "watchdog", over, BAD if hud.overruns else TEXT)
        stops = f"{hud.interventions} stop" + ("" if hud.interventions == 1 else "s")
        safety = f"on, {stops}" if hud.safety else "off"
        y = self._row(y, "safety", safety, ACCENT if hud.intervened else TEXT)
        pace = f"x{self.speed:g} real time" if hud.realtime else "as fast as possible"
        self._row(y, "speed", f"{pace}, {self.fps_measured:.0f} fps")

    def _draw_status(self, state: ViewState, hud: Hud) -> None:
        mr = self.map_rect
        y = self.status_y
        if self.message and time.monotonic() < self._message_until:
            self._text(self._font_small, self.message, ACCENT, (mr.x + 2, y))
        else:
            hint = "h help   space pause   n step   r reset   +/- speed   m manual   s shot   v rec"
            self._text(self._font_small, hint, DIM, (mr.x + 2, y))

    def _draw_help(self) -> None:
        pg = self._pg
        mr = self.map_rect
        lh = self._font.get_linesize() + 6
        w = min(mr.w - 40, round(440 * self.scale))
        h = lh * (len(KEY_HELP) + 2) + 20
        box = pg.Rect(0, 0, w, h)
        box.center = mr.center
        shade = pg.Surface((box.w, box.h), pg.SRCALPHA)
        shade.fill((12, 13, 18, 225))
        self.surface.blit(shade, box.topleft)
        pg.draw.rect(self.surface, ACCENT, box, 2, border_radius=6)
        y = box.y + 12
        self._text(self._font_big, "keys", ACCENT, (box.x + 20, y))
        y += lh + 6
        col = box.x + 20 + self._font.size("q  /  Esc")[0] + 24
        for key, what in KEY_HELP:
            self._text(self._font, key, TEXT, (box.x + 20, y))
            self._text(self._font, what, DIM, (col, y))
            y += lh

    def close(self) -> None:
        """Finish a running recording and close the window."""
        self.stop_recording()
        if self.window is not None:
            self.window = None
            self._pg.display.quit()


# --------------------------------------------------------------------------- the loop


def _outcome(record: StepRecord | None) -> str:
    if record is None or not record.done:
        return ""
    if bool(record.info.get("is_success", False)):
        return "success"
    return "time out" if record.truncated else "failed"


class ViewerApp:
    """A :class:`Controller` shown in a :class:`Viewer`: the loop behind :func:`run_viewer`.

    :meth:`tick` runs one iteration (events, then at most one control step, or a redraw
    while paused); :meth:`run` loops until ``q``, the window closes or ``episodes`` end.
    Every reset and every step is drawn, and, while recording, appended as one video frame.

    Args:
        env, policy: as for :class:`Controller`.
        view_state_fn: ``env -> ViewState`` (e.g. :func:`envs.view.view_state`).
        viewer: the :class:`Viewer`.
        label: the policy's name for the HUD.
        episodes: stop after this many finished episodes (None: until quit).
        seed: episode j is reset with ``seed + j`` (None: the env's own stream).
        end_hold: seconds an ended episode stays on screen before the next one (interactive,
            divided by the speed).
        **controller_kwargs: ``deterministic``, ``safety``, ``realtime``, ``control_dt``.
    """

    def __init__(
        self,
        env: Any,
        policy: Any,
        view_state_fn: Callable[[Any], ViewState],
        viewer: Viewer,
        *,
        label: str = "",
        episodes: int | None = None,
        seed: int | None = None,
        end_hold: float = 1.0,
        **controller_kwargs: Any,
    ) -> None:
        self.env = env
        self.viewer = viewer
        self.view_state_fn = view_state_fn
        self.label = label
        self.episodes = episodes
        self.end_hold = float(end_hold)
        self.controller = Controller(
            env, policy, view=self._on_step, seed=seed, explain=True, **controller_kwargs
        )
        self._hold_until = 0.0
        self._drawn = False

    # the controller calls this after every reset (record None) and step
    def _on_step(self, ctl: Controller, record: StepRecord | None) -> None:
        self.draw(record)
        self.viewer.present()
        self.viewer.record_frame()

    def state(self) -> ViewState:
        """The :class:`ViewState` now, with the run counters of the controller."""
        ctl = self.controller
        return self.view_state_fn(self.env).replace(
            episode=max(ctl.episode, 0), episodes_done=ctl.episodes_done,
            successes=ctl.successes, episodes_with_contact=ctl.episodes_with_contact,
        )  # fmt: skip

    def hud(self, record: StepRecord | None = None) -> Hud:
        """The :class:`Hud` for the last step (``record``) of the controller."""
        ctl = self.controller
        safety: SafetyLayer | None = ctl.safety
        return Hud(
            label=self.label,
            action=None if record is None else record.action,
            policy_action=None if record is None else record.policy_action,
            explain=ctl.last_explain,
            latency_ms=None if record is None else 1000.0 * record.latency,
            latency_p99_ms=ctl.latency_ms(99, last=200) if ctl.latencies else None,
            overruns=ctl.watchdog_overruns,
            safety=safety is not None,
            interventions=ctl.interventions,
            intervened=bool(record is not None and record.intervened),
            realtime=ctl.realtime,
            control_hz=1.0 / ctl.control_dt,
            outcome=_outcome(record),
            seed=ctl.episode_seed,
        )

    def draw(self, record: StepRecord | None = None) -> None:
        """Draw the current state."""
        self.viewer.draw(self.state(), self.hud(record))
        self._drawn = True

    @property
    def finished(self) -> bool:
        """The loop is over (quit, or the episode budget is spent)."""
        if self.viewer.quit_requested:
            return True
        ctl = self.controller
        return self.episodes is not None and ctl.done and ctl.episodes_done >= self.episodes

    def _advance(self) -> StepRecord | None:
        """One control step, or the next episode's reset when the last one ended."""
        ctl = self.controller
        v = self.viewer
        ctl.speed = v.speed
        ctl.manual_action = v.manual_command() if v.manual else None
        if ctl.done:
            ctl.reset()
            return None
        return ctl.step()

    def tick(self) -> bool:
        """One loop iteration; False once the loop is over."""
        v = self.viewer
        ctl = self.controller
        if ctl.episode < 0:
            ctl.reset()
        v.process_events()
        if self.finished:
            return False
        if v.reset_requested:
            v.reset_requested = False
            self._hold_until = 0.0
            ctl.reset()
            return True
        if v.paused:
            if v.pending_steps > 0:
                v.pending_steps -= 1
                self._advance()
            else:
                v.redraw()
                v.present()
                time.sleep(1.0 / 30.0)
            ctl.resync()
            return True
        now = time.monotonic()
        if ctl.done and not v.headless and ctl.realtime:
            # show how the episode ended for a moment before the next one
            if self._hold_until == 0.0:
                self._hold_until = now + self.end_hold / max(v.speed, 1e-9)
            if now < self._hold_until:
                v.redraw()
                v.present()
                time.sleep(1.0 / 30.0)
                return True
            self._hold_until = 0.0
            ctl.resync()
        self._advance()
        return not self.finished

    def run(self) -> list[EpisodeStats]:
        """Loop until quit (or the episodes are done); the finished episodes' stats."""
        while self.tick():
            pass
        return [s for s in self.controller.history if s.completed]


def run_viewer(
    env: Any,
    policy: Any,
    view_state_fn: Callable[[Any], ViewState],
    *,
    deterministic: bool = True,
    safety: SafetyLayer | None = None,
    realtime: bool = True,
    control_dt: float | None = None,
    seed: int | None = None,
    episodes: int | None = None,
    headless: bool = False,
    record: str | os.PathLike[str] | None = None,
    label: str = "",
    width: int = 960,
    height: int = 720,
    out_dir: str | os.PathLike[str] = "runs/watch",
    viewer: Viewer | None = None,
) -> list[EpisodeStats]:
    """Watch ``policy`` drive ``env``: a window, or headless frames into a video.

    Interactive (``headless=False``): the loop of :class:`ViewerApp` until ``q`` or the
    window closes (or ``episodes`` finish); ``record`` starts a recording at once (``v``
    stops it). Headless: ``episodes`` (default 1) episodes as fast as possible, drawn
    off-screen; with ``record`` every reset and every step is one frame of the video (so
    a video holds ``sum(steps) + episodes`` frames) at the control rate (fps = 1 /
    control_dt), i.e. it plays in real time. Without ``record`` nothing is drawn.

    Args:
        env: a Gymnasium-like env. policy: a Policy. view_state_fn: ``env -> ViewState``.
        deterministic, safety, realtime, control_dt: see :class:`Controller` (headless runs
            are never paced).
        seed: episode j is reset with ``seed + j``.
        label: the policy's name for the HUD. width, height: picture size, px.
        out_dir: folder for screenshots and ``v`` recordings.
        viewer: use this viewer instead of making one (it is closed at the end).

    Returns:
        The :class:`EpisodeStats` of the finished episodes.

    Raises:
        NoDisplayError: interactive, and no window can be opened.
    """
    fps_meta = (getattr(env, "metadata", None) or {}).get("render_fps")
    dt = control_dt if control_dt is not None else (1.0 / float(fps_meta) if fps_meta else 0.1)
    if viewer is None:
        viewer = Viewer(width, height, headless=headless, out_dir=out_dir, fps=1.0 / dt)
    try:
        if headless:
            n = 1 if episodes is None else int(episodes)
            if record is None:
                ctl = Controller(
                    env,
                    policy,
                    deterministic=deterministic,
                    safety=safety,
                    control_dt=dt,
                    seed=seed,
                )
                ctl.run(n, seed)
                return [s for s in ctl.history if s.completed]
            app = ViewerApp(env, policy, view_state_fn, viewer, label=label, episodes=n,
                            seed=seed, deterministic=deterministic, safety=safety,
                            realtime=False, control_dt=dt)  # fmt: skip
            viewer.start_recording(record, fps=1.0 / dt)
            return app.run()
        app = ViewerApp(env, policy, view_state_fn, viewer, label=label, episodes=episodes,
                        seed=seed, deterministic=deterministic, safety=safety,
                        realtime=realtime, control_dt=dt)  # fmt: skip
        app.controller.reset()
        if record is not None:
            viewer.start_recording(record, fps=1.0 / dt)
        return app.run()
    finally:
        viewer.close()
