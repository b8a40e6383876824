"""Procedural worlds for the robot: rooms, corridors, mazes, clutter halls and the CueMaze.

Public API:

- :func:`generate_world` ``(spec, seed, robot_radius=0.18) -> World``: a seeded world of
  ``spec.kind`` (rooms | corridors | maze | clutter | mixed), reachable for the robot.
- :func:`generate_cuemaze` ``(seed, *, cue_colour, ...) -> World``: the T-maze of CueMaze-v0.
- :func:`reachable_mask` ``(world, robot_radius) -> (H, W) bool``: where the robot centre can go.
- :func:`sample_free_pose` / :func:`sample_free_point`: uniform draws from the reachable cells.

Units are metres and radians; grids are (H, W) = (rows along y, columns along x), see
:mod:`robot.world`. Generation is vectorised (numpy slices, numba flood fills from
:mod:`robot.grid`): a 10x10 m world at 0.05 m takes a few milliseconds.
"""

from robot.worldgen.cuemaze import generate_cuemaze
from robot.worldgen.generate import GENERATORS, MAX_ATTEMPTS, generate_world
from robot.worldgen.reach import (
    APPROACH_DISTANCE,
    approach_ok,
    free_space,
    reachable_mask,
    sample_free_point,
    sample_free_pose,
)

__all__ = [
    "generate_world",
    "generate_cuemaze",
    "reachable_mask",
    "sample_free_pose",
    "sample_free_point",
    "free_space",
    "approach_ok",
    "APPROACH_DISTANCE",
    "GENERATORS",
    "MAX_ATTEMPTS",
]
