"""The CueMaze world: a T-maze whose correct arm is shown by a coloured cue at the start.

Layout (``bend`` = +1 as drawn: the start corridor lies west of the stem and the corridor
bends east into it; -1 mirrors the part below the stem)::

    +-----------------------------------+
    | 0 <------ arm ----J---- arm ------> 1 |   arm ends 0 (left) and 1 (right):
    +--------------+     +--------------+      equal length, plain tile, no cue
                   |     |
                   |     |   stem (corridor_length m)
        +-----+    |     |
        |  C  |    |     |   C: cue pillar in an alcove; its back wall is painted
    +---+     +----+     |      in the cue colour
    |       bend         |
    |     +--------------+
    |  S  |                  S: start, facing north (yaw = pi/2), the cue straight ahead
    +-----+

The robot starts at the bottom of a short start corridor looking north straight at the cue
in its alcove. The corridor bends sideways into the stem, so the cue is out of sight from the
stem and the junction. Arm 0 is the left (-x) arm and arm 1 the right (+x) arm, seen facing
north at the junction. Cue colour ``c`` means arm ``c % 2`` is correct (red 0 -> left,
green 1 -> right).
"""

from __future__ import annotations

import math

import numpy as np

from robot.world import FREE, TARGET_NAMES, WALL, World, WorldObject, target_material
from robot.worldgen._raster import stamp
from robot.worldgen.generate import seeded_rng
from robot.worldgen.reach import free_space, main_component
from robot.worldgen.terrain import paint_terrain

__all__ = ["generate_cuemaze", "CUE_RADIUS"]

#: Radius of the cue pillar, m.
CUE_RADIUS = 0.2
_ALCOVE_WIDTH = 0.8
_ALCOVE_DEPTH = 0.55
_MARGIN = 0.2


def generate_cuemaze(
    seed: int,
    *,
    cue_colour: int,
    cell_size: float = 0.05,
    corridor_length: float = 6.0,
    corridor_width: float = 1.2,
    robot_radius: float = 0.18,
    wall_height: float = 1.0,
    terrain_patches: float = 2.0,
) -> World:
    """Generate a T-maze for the cue-memory task.

    The seed varies the stem length (``corridor_length`` +-10%), the arm length (2.2-2.8 m),
    the start corridor (1.0-1.4 m), the bend offset (1.6-2.2 m) and its side, and terrain
    patches (in the start corridor and stem only, so both arms look the same).

    Args:
        seed: any int. cue_colour: target colour index 0..5 of the cue.
        cell_size: m per cell. corridor_length: stem length, m, in [2, 30].
        corridor_width: m, at least ``2 * robot_radius + 0.2`` and at most 3.
        robot_radius: m. wall_height: m. terrain_patches: mean number of patches.

    Returns:
        The world (kind "cuemaze"). ``world.start`` faces the cue. ``world.meta``:
        ``cue_colour``, ``correct_arm`` (``cue_colour % 2``), ``arms`` ([[x, y], [x, y]] m: the
        left and right goal points, at the arm ends), ``goal_radius`` (m, half the corridor
        width), ``stem_start`` ([x, y]), ``junction`` ([x, y]), ``cue`` ([x, y]), ``bend``
        (+1 east, -1 west), ``reachable`` (True), ``robot_radius``. The cue is also in
        ``world.objects`` as a "target" of ``cue_colour``.

    Raises:
        ValueError: an argument out of range.
        RuntimeError: an arm is not reachable (cannot happen for valid arguments).
    """
    if not 0 <= cue_colour < len(TARGET_NAMES):
        raise ValueError(f"cue_colour: {cue_colour!r} is out of range; allowed [0, 5]")
    if not 2.0 <= corridor_length <= 30.0:
        raise ValueError(f"corridor_length: {corridor_length!r} is out of range; allowed [2, 30]")
    if not 2 * robot_radius + 0.2 <= corridor_width <= 3.0:
        raise ValueError(
            f"corridor_width: {corridor_width!r} is out of range; allowed "
            f"[{2 * robot_radius + 0.2:g}, 3] for robot_radius {robot_radius:g}"
        )
    if not 0.01 <= cell_size <= 0.2:
        raise ValueError(f"cell_size: {cell_size!r} is out of range; allowed [0.01, 0.2]")
    rng = seeded_rng(seed)
    w = corridor_width
    stem = corridor_length * float(rng.uniform(0.9, 1.1))
    arm = float(rng.uniform(2.2, 2.8))
    a = float(rng.uniform(1.0, 1.4))
    b = max(float(rng.uniform(1.6, 2.2)), w / 2 + _ALCOVE_WIDTH / 2 + 0.3)
    bend = 1 if rng.random() < 0.5 else -1
    xs = -bend * b  # start corridor centre; the stem is at x = 0 before shifting
    yj = a + w + stem  # bottom of the arm corridor
    rects = [  # (x0, x1, y0, y1) m, carved free
        (xs - w / 2, xs + w / 2, 0.0, a + w),
        (min(xs, 0.0) - w / 2, max(xs, 0.0) + w / 2, a, a + w),
        (-w / 2, w / 2, a, yj),
        (-arm - w / 2, arm + w / 2, yj, yj + w),
        (xs - _ALCOVE_WIDTH / 2, xs + _ALCOVE_WIDTH / 2, a + w, a + w + _ALCOVE_DEPTH),
    ]
    x_lo = min(r[0] for r in rects) - _MARGIN
    x_hi = max(r[1] for r in rects) + _MARGIN
    ox, oy = -x_lo, _MARGIN
    shape = (
        int(math.ceil((yj + w + 2 * _MARGIN) / cell_size)),
        int(math.ceil((x_hi - x_lo) / cell_size)),
    )
    occ = np.full(shape, WALL, dtype=np.uint8)

    def cols(x0: float, x1: float) -> slice:
        return slice(int(round((x0 + ox) / cell_size)), int(round((x1 + ox) / cell_size)))

    def rows(y0: float, y1: float) -> slice:
        return slice(int(round((y0 + oy) / cell_size)), int(round((y1 + oy) / cell_size)))

    for x0, x1, y0, y1 in rects:
        occ[rows(y0, y1), cols(x0, x1)] = FREE
    material = target_material(cue_colour)
    panel = a + w + _ALCOVE_DEPTH
    occ[rows(panel, panel + 0.1), cols(xs - _ALCOVE_WIDTH / 2, xs + _ALCOVE_WIDTH / 2)] = material
    cue = WorldObject(
        "target", xs + ox, panel - 0.05 - CUE_RADIUS + oy, CUE_RADIUS, material, cue_colour
    )
    stamp(occ, cue, cell_size)

    lower = np.zeros(shape, dtype=np.bool_)
    lower[: rows(0.0, yj - 0.3).stop, :] = True
    terrain = paint_terrain(
        rng, shape, cell_size, terrain_patches, region=lower, size_range=(0.8, 2.5)
    )
    terrain[occ == WALL] = 0

    start = (xs + ox, 0.6 + oy, math.pi / 2)
    arms = [[-arm + ox, yj + w / 2 + oy], [arm + ox, yj + w / 2 + oy]]
    free = free_space(occ, robot_radius, cell_size)
    reach = main_component(free, (int(start[1] / cell_size), int(start[0] / cell_size)))
    for x, y in arms:
        if not reach[int(y / cell_size), int(x / cell_size)]:
            raise RuntimeError(f"generate_cuemaze: arm end ({x:.2f}, {y:.2f}) is not reachable")
    world = World(
        occupancy=occ,
        terrain=terrain,
        cell_size=cell_size,
        wall_height=wall_height,
        objects=[cue],
        start=start,
        seed=int(seed),
        kind="cuemaze",
    )
    world.meta = {
        "cue_colour": int(cue_colour),
        "correct_arm": int(cue_colour) % 2,
        "arms": arms,
        "goal_radius": w / 2,
        "stem_start": [start[0], start[1]],
        "junction": [ox, yj + w / 2 + oy],
        "cue": [cue.x, cue.y],
        "bend": bend,
        "reachable": True,
        "robot_radius": float(robot_radius),
    }
    return world
