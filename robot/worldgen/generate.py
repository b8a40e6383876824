"""Procedural worlds from a :class:`~robot.specs.WorldSpec` and a seed."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from robot.grid import clearance_ok
from robot.specs import WorldSpec
from robot.world import WALL, World, WorldObject
from robot.worldgen._raster import Grid, Layout, Mask
from robot.worldgen.maze import maze_layout
from robot.worldgen.objects import clear_of, place_clutter, place_targets, prune_clutter
from robot.worldgen.reach import (
    approach_ok,
    free_space,
    main_component,
    pick_pose,
)
from robot.worldgen.rooms import corridors_layout, open_layout, rooms_layout
from robot.worldgen.terrain import paint_terrain

__all__ = ["generate_world", "GENERATORS", "MAX_ATTEMPTS", "seeded_rng"]

LayoutFn = Callable[[np.random.Generator, tuple[int, int], float, float], Layout]

#: The concrete world kinds; "mixed" picks one of them per seed.
GENERATORS: dict[str, LayoutFn] = {
    "rooms": rooms_layout,
    "corridors": corridors_layout,
    "maze": maze_layout,
    "clutter": open_layout,
}
#: Clutter objects per m^2 of free floor at ``WorldSpec.clutter == 1``, and the share of boxes.
_DENSITY = {"rooms": 0.25, "corridors": 0.2, "maze": 0.06, "clutter": 0.7}
_BOX_SHARE = {"rooms": 0.6, "corridors": 0.6, "maze": 0.0, "clutter": 0.5}
#: Attempts (the seed, then derived seeds) before generation gives up.
MAX_ATTEMPTS = 8


def seeded_rng(seed: int, attempt: int = 0) -> np.random.Generator:
    """The generator for ``seed``: ``default_rng(seed)``, or a derived one for a retry."""
    s = int(seed) % 2**64
    return np.random.default_rng(s if attempt == 0 else [s, attempt])


def _side_cells(rng: np.random.Generator, spec: WorldSpec) -> int:
    """A side length drawn in [min_size, max_size] m, in whole cells inside that range."""
    lo = math.ceil(spec.min_size / spec.cell_size - 1e-9)
    hi = max(lo, math.floor(spec.max_size / spec.cell_size + 1e-9))
    n = int(round(rng.uniform(spec.min_size, spec.max_size) / spec.cell_size))
    return min(max(n, lo), hi)


def _start_pose(
    occ: Grid,
    reach: Mask,
    targets: list[WorldObject],
    rng: np.random.Generator,
    robot_radius: float,
    cs: float,
) -> tuple[float, float, float]:
    """A reachable pose 1 m clear of the targets, preferring 0.1 m extra clearance."""
    away = clear_of(reach, targets, 1.0, cs)
    cand = away if away.any() else reach
    for _ in range(64):
        pose = pick_pose(occ, cand, rng, robot_radius, cs, jitter=True)
        if clearance_ok(occ, pose[0], pose[1], robot_radius + 0.1, cs):
            return pose
    return pose


def _attempt(
    spec: WorldSpec, seed: int, rng: np.random.Generator, robot_radius: float, attempt: int
) -> World | None:
    cs = spec.cell_size
    kinds = tuple(GENERATORS)
    kind = kinds[int(rng.integers(len(kinds)))] if spec.kind == "mixed" else spec.kind
    shape = (_side_cells(rng, spec), _side_cells(rng, spec))  # (H rows = y, W cols = x)
    layout = GENERATORS[kind](rng, shape, cs, spec.door_width)
    terrain = paint_terrain(rng, shape, cs, spec.terrain_patches)
    clutter = place_clutter(layout, rng, cs, spec.clutter * _DENSITY[kind], _BOX_SHARE[kind])
    occ, clutter, free = prune_clutter(layout.occupancy, clutter, robot_radius, cs)
    placed = place_targets(occ, layout.spots, rng, spec.n_targets, robot_radius, cs, free)
    if placed is None:
        return None
    occ, targets = placed
    reach = main_component(free_space(occ, robot_radius, cs))
    if not all(approach_ok(reach, occ, t.x, t.y, t.size, cs) for t in targets):
        return None
    start = _start_pose(occ, reach, targets, rng, robot_radius, cs)
    terrain[occ == WALL] = 0
    world = World(
        occupancy=occ,
        terrain=terrain,
        cell_size=cs,
        wall_height=spec.wall_height,
        objects=clutter + targets,
        start=start,
        seed=int(seed),
        kind=kind,
    )
    world.meta = {
        "reachable": True,
        "robot_radius": float(robot_radius),
        "spec_kind": spec.kind,
        "attempt": attempt,
        "doors": [[round(v, 4) for v in d] for d in layout.doors],
        "n_clutter": len(clutter),
    }
    return world


def generate_world(spec: WorldSpec, seed: int, robot_radius: float = 0.18) -> World:
    """Generate a world; the same ``spec`` and ``seed`` give the same world, bit for bit.

    The world is ``min_size..max_size`` m on each side (drawn separately, whole cells), has
    0.1 m outer and inner walls, the layout of ``spec.kind`` ("mixed" picks one per seed),
    boxes and pillars scaled by ``spec.clutter``, ``spec.n_targets`` targets of distinct colours
    and about ``spec.terrain_patches`` terrain patches. A robot of ``robot_radius`` m can reach
    the start and the approach area of every target (some free cell within 0.5 m of its edge);
    see :func:`~robot.worldgen.reach.reachable_mask`. ``world.meta`` holds ``reachable`` (True),
    ``robot_radius``, ``spec_kind``, ``attempt``, ``doors`` ([x, y, width] m) and ``n_clutter``.

    Args:
        spec: what to generate. seed: any int (``np.random.default_rng(seed)`` drives it all;
            derived seeds ``[seed, attempt]`` are used if an attempt fails).
        robot_radius: m, the robot the reachability guarantee is for.

    Returns:
        The world: occupancy and terrain (H, W) uint8 at ``spec.cell_size`` m per cell.

    Raises:
        ValueError: ``robot_radius`` not in (0, 1].
        RuntimeError: no valid world after :data:`MAX_ATTEMPTS` attempts.
    """
    if not (0.0 < robot_radius <= 1.0) or not math.isfinite(robot_radius):
        raise ValueError(f"robot_radius: {robot_radius!r} is out of range; allowed (0, 1]")
    for attempt in range(MAX_ATTEMPTS):
        world = _attempt(spec, seed, seeded_rng(seed, attempt), robot_radius, attempt)
        if world is not None:
            return world
    raise RuntimeError(
        f"generate_world: no reachable {spec.kind} world for seed {seed} after {MAX_ATTEMPTS} "
        f"attempts (robot_radius {robot_radius} m, door_width {spec.door_width} m, "
        f"n_targets {spec.n_targets}); lower n_targets or clutter, or widen the world"
    )
