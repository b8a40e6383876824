"""Write docs/camera_strip.png: eight 64x64 camera frames from generated worlds.

``python scripts/camera_strip.py [OUT.png]``. The frames show targets, walls and each of
the four floor terrains; every pose is chosen by a seeded search, so the strip is the same
on every run. Frames are upscaled x4 (nearest) and captioned.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from robot.camera import CameraModel  # noqa: E402
from robot.sim import Simulator  # noqa: E402
from robot.specs import SimSpec, WorldSpec  # noqa: E402
from robot.world import TARGET_COLOURS, TARGET_NAMES, World  # noqa: E402
from robot.worldgen import generate_world, sample_free_pose  # noqa: E402

SPEC = SimSpec()
TERRAINS = ("tile", "carpet", "gravel", "grass")


def render(world: World, pose: tuple[float, float, float]) -> NDArray[np.uint8]:
    """(64, 64, 3) RGB frame of the camera at ``pose`` in ``world``."""
    sim = Simulator(SPEC, batch_size=1)
    sim.reset([0], seeds=[0], worlds=[world], poses=[pose])
    return sim.camera()[0].transpose(1, 2, 0).copy()


def target_view(
    world: World, rng: np.random.Generator
) -> tuple[tuple[float, float, float], str] | None:
    """A pose 1.2-2.5 m from a target, facing it, with the target in clear view."""
    targets = world.targets()
    best: tuple[int, tuple[float, float, float], str] | None = None
    for _ in range(200):
        x, y, _ = sample_free_pose(world, rng)
        t = targets[int(rng.integers(len(targets)))]
        dist = math.hypot(t.x - x, t.y - y)
        if not 1.2 < dist < 2.5:
            continue
        yaw = math.atan2(t.y - y, t.x - x) + rng.uniform(-0.25, 0.25)
        img = render(world, (x, y, yaw)).astype(float)
        ref = np.array(TARGET_COLOURS[t.colour])
        cos = img @ ref / (np.linalg.norm(img, axis=2) * np.linalg.norm(ref) + 1e-9)
        score = int((cos > 0.99).sum())
        if best is None or score > best[0]:
            best = (score, (x, y, yaw), TARGET_NAMES[t.colour])
        if score > 150:
            break
    if best is None or best[0] < 40:
        return None
    return best[1], best[2]


def floor_terrain_share(world: World, pose: tuple[float, float, float], terrain: int) -> float:
    """Share of the lower image half that shows floor of class ``terrain`` (not occluded)."""
    cam = CameraModel(SPEC.camera)
    h = SPEC.camera.height
    sim = Simulator(SPEC, batch_size=1)
    sim.reset([0], seeds=[0], worlds=[world], poses=[pose])
    _, depth = sim.camera_depth()
    rc = np.arange(h // 2, h) + 0.5 - h / 2  # rows below the horizon
    fd = cam.focal * SPEC.camera.mount_height / rc  # (R,) forward floor distance, m
    visible = np.isclose(depth[0, 0, h // 2 :, :], fd[:, None].astype(np.float32))
    x, y, yaw = pose
    dist = fd[:, None] / cam.cos[None, :]
    ang = yaw + cam.angle[None, :]
    i = np.clip((y + dist * np.sin(ang)) / world.cell_size, 0, world.shape[0] - 1).astype(int)
    j = np.clip((x + dist * np.cos(ang)) / world.cell_size, 0, world.shape[1] - 1).astype(int)
    return float((visible & (world.terrain[i, j] == terrain)).mean())


def terrain_view(
    world: World, terrain: int, rng: np.random.Generator
) -> tuple[float, float, float] | None:
    """A pose whose lower image half is mostly floor of class ``terrain``."""
    best: tuple[float, tuple[float, float, float]] | None = None
    for _ in range(300):
        pose = sample_free_pose(world, rng)
        score = floor_terrain_share(world, pose, terrain)
        if best is None or score > best[0]:
            best = (score, pose)
        if score > 0.8:
            break
    return best[1] if best is not None and best[0] > 0.5 else None


def wall_view(world: World, rng: np.random.Generator) -> tuple[float, float, float]:
    """A pose facing the nearest wall 0.8-1.6 m away (lidar beam straight ahead)."""
    sim = Simulator(SPEC, batch_size=1)
    for _ in range(300):
        pose = sample_free_pose(world, rng)
        sim.reset([0], seeds=[0], worlds=[world], poses=[pose])
        ahead = float(sim.lidar()[0, SPEC.lidar.beams // 2])
        if 0.8 < ahead < 1.6:
            return pose
    return pose


def build_strip() -> list[tuple[NDArray[np.uint8], str]]:
    """Eight (frame, caption) pairs: 3 targets, 4 terrains, 1 wall close-up."""
    rng = np.random.default_rng(2024)
    frames: list[tuple[NDArray[np.uint8], str]] = []
    seed = 0
    while len(frames) < 3 and seed < 200:
        kind = ("rooms", "clutter", "corridors")[len(frames)]
        world = generate_world(WorldSpec(kind=kind), seed)
        seed += 1
        found = target_view(world, rng) if world.targets() else None
        if found is not None:
            pose, colour = found
            frames.append((render(world, pose), f"{colour} target\n{kind} #{seed - 1}"))
    for t, name in enumerate(TERRAINS):
        for s in range(300):
            world = generate_world(WorldSpec(kind="rooms", terrain_patches=8.0), 1000 + s)
            if not (world.terrain == t).any():
                continue
            view = terrain_view(world, t, rng)
            if view is not None:
                frames.append((render(world, view), f"{name} floor\nrooms #{1000 + s}"))
                break
    world = generate_world(WorldSpec(kind="maze"), 7)
    frames.append((render(world, wall_view(world, rng)), "wall ~1 m ahead\nmaze #7"))
    return frames


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "docs/camera_strip.png"
    frames = build_strip()
    fig, axes = plt.subplots(1, len(frames), figsize=(2.2 * len(frames), 2.75), dpi=120)
    for ax, (img, caption) in zip(np.atleast_1d(axes), frames, strict=True):
        big = np.repeat(np.repeat(img, 4, axis=0), 4, axis=1)
        ax.imshow(big, interpolation="nearest")
        ax.set_title(caption, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("smartbot camera: 64x64 RGB (shown x4), 90 deg FOV", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
