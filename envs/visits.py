"""The ``visits`` sensor: where the robot has been this episode, around where it is.

A memoryless policy that cannot see its goal has no way to tell a room it has searched
from one it has not, and loops. ``visits`` gives it that memory as a sensor reading,
from the robot's own odometry (no simulator ground truth): each slot dead-reckons its
pose from the wheel odometry of every step, in the frame it started the episode in,
and counts the steps it spends in each cell of a square grid centred on its start.

* **Reading**: (1 + 8 x 3,) float32 in [0, 1]. Entry 0 is the robot's own cell;
  then for each of 8 directions (0, 45, ..., 315 deg, counter-clockwise from the
  robot's heading) the cells at 1, 2 and 3 m (direction-major:
  ``[1 + 3 * d + r]`` is direction d at ring r). Each entry is
  ``min(steps spent in that cell, saturation) / saturation`` (``saturation``
  :data:`SATURATION` steps unless the task's ``visits_saturation`` says otherwise); cells
  outside the grid read 0.
* **New cells** (for the task's ``explore_bonus``): :meth:`VisitMemory.update`
  reports which slots entered a cell with no steps in it yet.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "VisitMemory",
    "VISIT_CELL",
    "VISIT_GRID",
    "VISIT_RINGS",
    "VISIT_DIRECTIONS",
    "SATURATION",
    "cell_of",
    "read_cells",
    "ring_offsets",
]

#: Cell size of the visit grid, m.
VISIT_CELL = 0.5
#: Cells per side of the (square) visit grid, centred on the start: 64 x 0.5 m = 32 m.
VISIT_GRID = 64
#: Distances of the sampled cells from the robot, m.
VISIT_RINGS: tuple[float, ...] = (1.0, 2.0, 3.0)
#: Directions sampled, evenly spaced from the robot's heading.
VISIT_DIRECTIONS = 8
#: Steps in a cell at which its reading saturates at 1, by default (2 s at 10 Hz).
SATURATION = 20.0


@njit(cache=True)
def cell_of(x: float, y: float, cell: float, g: int) -> tuple[int, int]:
    """(row, col) of the point (x, y) m of the start frame on the g x g grid centred on
    the origin; (-1, -1) outside it."""
    half = g * cell / 2.0
    row = int(math.floor((y + half) / cell))
    col = int(math.floor((x + half) / cell))
    if 0 <= row < g and 0 <= col < g:
        return row, col
    return -1, -1


@njit(cache=True)
def _integrate(
    odom: NDArray[np.float64],
    pose: NDArray[np.float64],
    counts: NDArray[np.float32],
    cell: float,
    new_cell: NDArray[np.bool_],
) -> None:
    """Dead-reckon each slot's pose by its odometry and count a step in its new cell.

    Args:
        odom: (n, 3) body-frame dx m, dy m, dyaw rad of the last step.
        pose: (n, 3) x m, y m, yaw rad in the start frame, updated in place.
        counts: (n, G, G) steps per cell, updated in place.
        cell: cell size, m. new_cell: (n,) bool, filled: the cell had no steps before.
    """
    g = counts.shape[1]
    for i in range(pose.shape[0]):
        yaw = pose[i, 2]
        c, s = math.cos(yaw), math.sin(yaw)
        pose[i, 0] += c * odom[i, 0] - s * odom[i, 1]
        pose[i, 1] += s * odom[i, 0] + c * odom[i, 1]
        pose[i, 2] = (yaw + odom[i, 2] + math.pi) % (2.0 * math.pi) - math.pi
        row, col = cell_of(pose[i, 0], pose[i, 1], cell, g)
        new_cell[i] = False
        if row >= 0:
            new_cell[i] = counts[i, row, col] == 0.0
            counts[i, row, col] += 1.0


@njit(cache=True)
def read_cells(
    pose: NDArray[np.float64],
    counts: NDArray[np.float32],
    idx: NDArray[np.int64],
    cell: float,
    offsets: NDArray[np.float64],
    saturation: float,
    out: NDArray[np.float32],
) -> None:
    """Fill ``out[i]`` (K,) for each slot i in ``idx``: the saturated counts of the cells
    at ``offsets`` (K, 2), m forward and left of the robot."""
    g = counts.shape[1]
    for j in range(idx.shape[0]):
        i = idx[j]
        x, y, yaw = pose[i, 0], pose[i, 1], pose[i, 2]
        c, s = math.cos(yaw), math.sin(yaw)
        for k in range(offsets.shape[0]):
            fx, fy = offsets[k, 0], offsets[k, 1]
            row, col = cell_of(x + c * fx - s * fy, y + s * fx + c * fy, cell, g)
            v = 0.0
            if row >= 0:
                v = min(counts[i, row, col], saturation) / saturation
            out[i, k] = v


def ring_offsets(rings: tuple[float, ...] = VISIT_RINGS) -> NDArray[np.float64]:
    """(1 + VISIT_DIRECTIONS x len(rings), 2) the sampled cells' offsets in the robot
    frame, m forward and left: the robot's own, then for each direction the ``rings`` (m)."""
    rows = [(0.0, 0.0)]
    for d in range(VISIT_DIRECTIONS):
        a = 2.0 * math.pi * d / VISIT_DIRECTIONS
        rows += [(r * math.cos(a), r * math.sin(a)) for r in rings]
    return np.array(rows, dtype=np.float64)


class VisitMemory:
    """Per-slot visit counts over a dead-reckoned grid (see the module docstring).

    Attributes:
        pose: (n, 3) dead-reckoned x m, y m, yaw rad in each slot's start frame.
        counts: (n, VISIT_GRID, VISIT_GRID) float32 steps spent per cell.
        new_cell: (n,) bool, set by :meth:`update`.
        saturation: steps in a cell at which its reading reaches 1 (at least 1).
    """

    size = 1 + VISIT_DIRECTIONS * len(VISIT_RINGS)

    def __init__(self, num_envs: int, saturation: float = SATURATION) -> None:
        if not saturation >= 1:
            raise ValueError(f"saturation: expected at least 1 step, got {saturation!r}")
        self.saturation = float(saturation)
        self.pose = np.zeros((num_envs, 3))
        self.counts = np.zeros((num_envs, VISIT_GRID, VISIT_GRID), np.float32)
        self.new_cell = np.zeros(num_envs, dtype=bool)
        self._offsets = ring_offsets()

    def reset(self, idx: NDArray[np.int64]) -> None:
        """Start slots ``idx`` afresh: pose at the origin, one step in the start cell."""
        self.pose[idx] = 0.0
        self.counts[idx] = 0.0
        self.counts[idx, VISIT_GRID // 2, VISIT_GRID // 2] = 1.0
        self.new_cell[idx] = False

    def update(self, odom: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Advance every slot by its last step's odometry (n, 3) body-frame dx m, dy m,
        dyaw rad; returns (n,) bool: which slots entered a cell new to them."""
        _integrate(odom, self.pose, self.counts, VISIT_CELL, self.new_cell)
        return self.new_cell

    def read(self, idx: NDArray[np.int64], out: NDArray[np.float32]) -> None:
        """Write the readings of slots ``idx`` into rows ``idx`` of ``out`` (n, size)."""
        read_cells(self.pose, self.counts, idx, VISIT_CELL, self._offsets, self.saturation, out)
