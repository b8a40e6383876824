"""Drive a robot through a generated world with a scripted planner and record a video.

Generates a world, plans an A* path from the start to a far target object (or a far free
point), follows it with a pure-pursuit controller that slows down when the lidar sees an
obstacle ahead, and records every step as a panel: the top-down view (path, trail, lidar,
goal), the robot's camera and a HUD. Writes an MP4 and a GIF and prints a summary.

Example::

    smartbot demo --scripted --seed 3 --kind maze --out runs/demo
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from robot.lidar import beam_angles
from robot.planning import PlanningGrid, astar, distance_field
from robot.sim import Simulator
from robot.specs import TERRAIN_NAMES, WORLD_KINDS, SimSpec, WorldSpec
from robot.topdown import TopDownRenderer, compose_panel
from robot.video import VideoWriter
from robot.world import TARGET_NAMES, World
from robot.worldgen import generate_world

__all__ = ["add_arguments", "run", "choose_goal", "PurePursuit", "drive", "DemoResult"]

GOAL_RADIUS = 0.3  # m: success when the robot centre is this close to the goal point
PLAN_MARGIN = 0.06  # m of clearance added to the robot radius when planning
HOLD_SECONDS = 1.5  # the last frame is held this long at the end of the video


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``smartbot demo``."""
    parser.add_argument("--seed", type=int, default=0, help="world and noise seed (default 0)")
    parser.add_argument(
        "--kind", choices=WORLD_KINDS, default="rooms", help="world generator (default rooms)"
    )
    parser.add_argument(
        "--steps", type=int, default=600, help="step budget at 10 Hz (default 600 = 60 s)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("runs/demo"), help="output folder (default runs/demo)"
    )
    parser.add_argument("--fps", type=float, default=10.0, help="video frame rate (default 10)")
    parser.add_argument(
        "--no-gif", dest="gif", action="store_false", help="write only the MP4, not the GIF"
    )


# --------------------------------------------------------------------------- goal choice


def choose_goal(
    world: World,
    grid: PlanningGrid,
    start_xy: tuple[float, float],
    rng: np.random.Generator,
    max_distance: float = math.inf,
) -> tuple[tuple[float, float], int | None, str]:
    """A far goal reachable from ``start_xy``.

    A target object with a free planning cell within 0.5 m of its surface (the goal is that
    cell's centre nearest to the object): the farthest from the start by geodesic distance
    among those at most ``max_distance`` m away, else the nearest. Without any, a random
    free point among the farthest 30% of the reachable cells within ``max_distance``.

    Returns:
        (goal (x, y) m, target colour index or None, a description).
    """
    field = distance_field(grid, start_xy)
    finite = np.isfinite(field)
    if not finite.any():
        raise RuntimeError("no reachable free space around the start")
    hc, wc = grid.shape
    yy = (np.arange(hc) + 0.5) * grid.res
    xx = (np.arange(wc) + 0.5) * grid.res
    options: list[tuple[float, tuple[float, float], int]] = []
    for obj in world.targets():
        d = np.hypot(xx[None, :] - obj.x, yy[:, None] - obj.y)
        near = finite & (d <= obj.size + 0.5 + grid.robot_radius)
        if not near.any():
            continue
        k = int(np.argmin(np.where(near, d, np.inf)))
        r, c = divmod(k, wc)
        if field[r, c] >= 1.5:
            options.append((float(field[r, c]), (float(xx[c]), float(yy[r])), obj.colour))
    if options:
        within = [o for o in options if o[0] <= max_distance]
        best = max(within) if within else min(options)
        return best[1], best[2], f"{TARGET_NAMES[best[2]]} target"
    lim = min(float(field[finite].max()), max_distance)
    far = finite & (field >= 0.7 * lim) & (field <= max(lim, 1e-9))
    if not far.any():
        far = finite
    idx = np.flatnonzero(far)
    k = int(idx[int(rng.integers(idx.size))])
    r, c = divmod(k, wc)
    return (float(xx[c]), float(yy[r])), None, "free point"


# --------------------------------------------------------------------------- controller


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


class PurePursuit:
    """Follows a polyline: steers at a point ``lookahead`` m further along the path.

    Turns on the spot when the heading error exceeds ``turn_in_place`` rad, slows down near
    the goal and when the lidar's front sector reads close, and backs off after a bump.

    Args:
        path: (N, 2) waypoints, m. max_linear m/s and max_angular rad/s: command scales.
        radius: robot radius, m. lidar_angles: (K,) beam bearings relative to the heading.
    """

    def __init__(
        self,
        path: NDArray[np.float64],
        max_linear: float,
        max_angular: float,
        radius: float,
        lidar_angles: NDArray[np.float64],
        lookahead: float = 0.45,
        turn_in_place: float = 1.0,
    ) -> None:
        self.set_path(path)
        self.max_linear = max_linear
        self.max_angular = max_angular
        self.radius = radius
        self.lookahead = lookahead
        self.turn_in_place = turn_in_place
        self.front = np.abs(lidar_angles) <= math.radians(35)
        self._backoff = 0

    def set_path(self, path: NDArray[np.float64]) -> None:
        """Follow a new path from its beginning."""
        self.path = np.asarray(path, dtype=np.float64)
        seg = np.diff(self.path, axis=0)
        self._seg_len = np.hypot(seg[:, 0], seg[:, 1])
        self._cum = np.concatenate([[0.0], np.cumsum(self._seg_len)])
        self.progress = 0.0  # arc length along the path, m

    @property
    def remaining(self) -> float:
        """Path length left beyond the current progress, m."""
        return float(self._cum[-1]) - self.progress

    def _point_at(self, s: float) -> NDArray[np.float64]:
        s = min(max(s, 0.0), float(self._cum[-1]))
        i = int(np.clip(np.searchsorted(self._cum, s, side="right") - 1, 0, len(self._seg_len) - 1))
        t = (s - self._cum[i]) / max(self._seg_len[i], 1e-9)
        out: NDArray[np.float64] = self.path[i] + t * (self.path[i + 1] - self.path[i])
        return out

    def _project(self, p: NDArray[np.float64]) -> float:
        """Arc length of the closest path point within 1.5 m ahead of the current progress."""
        a, b = self.path[:-1], self.path[1:]
        ab = b - a
        t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(self._seg_len**2, 1e-12), 0, 1)
        q = a + t[:, None] * ab
        d = np.hypot(q[:, 0] - p[0], q[:, 1] - p[1])
        s = self._cum[:-1] + t * self._seg_len
        ok = (s >= self.progress - 0.2) & (s <= self.progress + 1.5)
        if not ok.any():
            return self.progress
        return max(self.progress, float(s[ok][np.argmin(d[ok])]))

    def act(
        self, pose: NDArray[np.float64], ranges: NDArray[np.float32], bumper: bool
    ) -> NDArray[np.float64]:
        """(2,) normalised (linear, angular) command for the current pose and lidar."""
        if bumper and self._backoff == 0:
            self._backoff = 4
        if self._backoff > 0:
            self._backoff -= 1
            return np.array([-0.4, 0.0])
        p = pose[:2]
        self.progress = self._project(p)
        goal = self.path[-1]
        d_goal = float(np.hypot(*(goal - p)))
        target = self._point_at(self.progress + self.lookahead)
        if d_goal < self.lookahead:
            target = goal
        alpha = _wrap(math.atan2(target[1] - p[1], target[0] - p[0]) - float(pose[2]))
        w = float(np.clip(2.5 * alpha, -self.max_angular, self.max_angular))
        if abs(alpha) > self.turn_in_place:
            v = 0.0
        else:
            v = self.max_linear * math.cos(alpha) ** 2
            v = min(v, 0.9 * d_goal + 0.08)  # arrive gently
            front = float(ranges[self.front].min()) if self.front.any() else np.inf
            v *= float(np.clip((front - self.radius - 0.06) / 0.45, 0.25, 1.0))
        return np.array([v / self.max_linear, w / self.max_angular])


# --------------------------------------------------------------------------- episode


@dataclasses.dataclass
class DemoResult:
    """What one demo episode did. Lengths in m, wall time in s."""

    world: World
    goal: tuple[float, float]
    goal_what: str
    planned_length: float
    driven_length: float
    steps: int
    contacts: int
    success: bool
    replans: int
    frames: int
    wall_s: float


def drive(
    seed: int,
    kind: str = "rooms",
    steps: int = 600,
    on_frame: Callable[[NDArray[np.uint8]], None] | None = None,
    hold_frames: int = 0,
) -> DemoResult:
    """Run one scripted episode; call ``on_frame(panel)`` for every rendered frame.

    Without ``on_frame`` nothing is rendered (for fast success-rate checks).
    """
    t0 = time.perf_counter()
    spec = SimSpec(world=WorldSpec(kind=kind))
    radius = spec.robot.radius
    world = generate_world(spec.world, seed, robot_radius=radius)
    rng = np.random.default_rng(seed)
    grid = PlanningGrid.from_world(world, radius, resolution=0.1, margin=PLAN_MARGIN)
    start = (float(world.start[0]), float(world.start[1]))
    # a goal the robot can reach in the step budget at ~55% of its top speed (turns, slip)
    reach_m = 0.55 * spec.robot.max_linear * spec.robot.control_dt * steps
    goal, colour, what = choose_goal(world, grid, start, rng, max_distance=reach_m)
    plan = astar(grid, start, goal)
    if plan is None:
        raise RuntimeError(f"no path from {start} to {goal} in world seed {seed}")
    angles = beam_angles(spec.lidar)
    ctrl = PurePursuit(plan.points, spec.robot.max_linear, spec.robot.max_angular, radius, angles)
    sim = Simulator(spec, batch_size=1)
    sim.reset([0], seeds=[seed], worlds=[world])
    renderer = TopDownRenderer(world) if on_frame is not None else None
    trail = np.empty((steps + 1, 2))
    trail[0] = sim.pose[0, :2]
    driven = 0.0
    success = False
    replans = 0
    stuck_since, best_left = 0, math.inf
    frames = 0
    k = 0

    def frame(k: int, ranges: NDArray[np.float32], status: str) -> None:
        nonlocal frames
        if renderer is None or on_frame is None:
            return
        pose = sim.pose[0]
        img = renderer.render(
            pose,
            trail=trail[: k + 1] if k > 0 else None,
            lidar_ranges=ranges,
            lidar_angles=angles,
            lidar_max_range=spec.lidar.max_range,
            goal=goal,
            goal_radius=GOAL_RADIUS,
            path=ctrl.path,
            target_colour=colour,
            robot_radius=radius,
            bumper=bool(sim.bumper[0]),
        )
        v, w = sim.true_vel[0]
        d_goal = math.hypot(goal[0] - pose[0], goal[1] - pose[1])
        lines = [
            f"step {k:4d}/{steps}  t {k * spec.robot.control_dt:5.1f}s",
            f"x {pose[0]:5.2f}  y {pose[1]:5.2f} m",
            f"yaw {math.degrees(pose[2]):+5.0f} deg",
            f"v {v:+.2f} m/s w {w:+.2f}",
            f"terrain {TERRAIN_NAMES[int(sim.terrain_under()[0])]}",
            f"bumper {'HIT' if sim.bumper[0] else '-':3s}  contacts {int(sim.contacts[0])}",
            f"goal {d_goal:5.2f} m",
            f"to {what}",
            status,
        ]
        cam = sim.camera()[0]
        on_frame(compose_panel(img, cam, lines, camera_title=f"{kind} world, seed {seed}"))
        frames += 1

    for k in range(steps):
        ranges = sim.lidar()[0]
        pose = sim.pose[0].copy()
        d_goal = math.hypot(goal[0] - pose[0], goal[1] - pose[1])
        if d_goal <= GOAL_RADIUS:
            success = True
            break
        frame(k, ranges, "driving")
        action = ctrl.act(pose, ranges, bool(sim.bumper[0]))
        sim.step(action[None, :])
        driven += float(np.hypot(*(sim.pose[0, :2] - pose[:2])))
        trail[k + 1] = sim.pose[0, :2]
        # no progress along the path for 3 s: plan again from here
        left = ctrl.remaining
        if left < best_left - 0.05:
            best_left, stuck_since = left, k
        elif k - stuck_since > 30:
            new = astar(grid, (float(sim.pose[0, 0]), float(sim.pose[0, 1])), goal)
            if new is not None:
                ctrl.set_path(new.points)
                replans += 1
            best_left, stuck_since = ctrl.remaining, k
    else:
        k = steps
        pose = sim.pose[0]
        success = math.hypot(goal[0] - pose[0], goal[1] - pose[1]) <= GOAL_RADIUS
    if on_frame is not None:
        ranges = sim.lidar()[0]
        status = "GOAL REACHED" if success else "out of steps"
        for _ in range(max(1, hold_frames)):
            frame(k, ranges, status)
    return DemoResult(
        world=world,
        goal=goal,
        goal_what=what,
        planned_length=plan.length,
        driven_length=driven,
        steps=k,
        contacts=int(sim.contacts[0]),
        success=success,
        replans=replans,
        frames=frames,
        wall_s=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------- job


def run(args: argparse.Namespace) -> int:
    """``smartbot demo``: drive, record, summarise. Returns 0 on success, 1 otherwise."""
    from rich.console import Console
    from rich.table import Table

    from training.cli import UserError

    if args.steps < 1:
        raise UserError(f"--steps: expected an integer >= 1, got {args.steps}")
    if not (0 < args.fps <= 60):
        raise UserError(f"--fps: {args.fps} is out of range; allowed (0, 60]")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    mp4_path, gif_path = out / "demo.mp4", out / "demo.gif"
    # the GIF keeps every other frame at 8 fps and more: half the size, still smooth
    gif_every = 2 if args.fps >= 8 else 1
    mp4 = VideoWriter(mp4_path, fps=args.fps)
    gif = VideoWriter(gif_path, fps=args.fps / gif_every) if args.gif else None
    writers = [mp4] if gif is None else [mp4, gif]
    console = Console()
    t0 = time.perf_counter()
    try:
        with console.status(f"driving a {args.kind} world (seed {args.seed})..."):

            def on_frame(img: NDArray[np.uint8]) -> None:
                if gif is not None and mp4.frames % gif_every == 0:
                    gif.append(img)
                mp4.append(img)

            res = drive(
                args.seed,
                args.kind,
                args.steps,
                on_frame,
                hold_frames=int(round(HOLD_SECONDS * args.fps)),
            )
            for w in writers:
                w.close()
        wall = time.perf_counter() - t0
    except BaseException:
        for w in writers:
            w.abort()
        raise
    world = res.world
    table = Table(title=f"smartbot demo: {args.kind} world, seed {args.seed}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    wx, wy = world.size_m
    table.add_row("world", f"{world.kind}, {wx:.1f} x {wy:.1f} m, {len(world.objects)} objects")
    table.add_row("goal", f"{res.goal_what} at ({res.goal[0]:.2f}, {res.goal[1]:.2f}) m")
    table.add_row(
        "path planned / driven", f"{res.planned_length:.2f} m / {res.driven_length:.2f} m"
    )
    table.add_row("steps", f"{res.steps} of {args.steps} ({res.steps / 10:.1f} s simulated)")
    table.add_row("contacts", str(res.contacts))
    table.add_row("replans", str(res.replans))
    table.add_row("success", "[green]yes[/green]" if res.success else "[red]no[/red]")
    table.add_row(
        "wall time",
        f"{wall:.1f} s ({res.wall_s:.1f} s driving and recording {res.frames} frames, "
        f"{wall - res.wall_s:.1f} s finishing the files)",
    )
    for w in writers:
        table.add_row(
            w.kind,
            f"{w.path} ({w.frames} frames at {w.fps:g} fps, {w.path.stat().st_size / 1e6:.1f} MB)",
        )
    console.print(table)
    print(f"video: {mp4_path}")
    if args.gif:
        print(f"gif:   {gif_path}")
    return 0 if res.success else 1
