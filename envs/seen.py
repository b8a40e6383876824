"""The ``seen`` sensor: which ground around the robot its camera has looked over.

A search is over when the robot has looked everywhere, not when it has driven
everywhere: from a doorway the camera takes in a room the wheels never enter. ``seen``
keeps that memory from the robot's own readings (no simulator ground truth): the
dead-reckoned pose of :class:`envs.visits.VisitMemory` and, each step, the lidar beams
that fall inside the camera's field of view. Every cell of the visit grid (0.5 m) that
such a beam crosses, up to its range or ``reach`` m, whichever is nearer, counts as seen.

* **Reading**: (1 + 8 x 4,) float32 in {0, 1}. Entry 0 is the robot's own cell; then
  for each of 8 directions (0, 45, ..., 315 deg, counter-clockwise from the heading)
  the cells at 1, 2, 3 and 4 m (direction-major: ``[1 + 4 * d + r]`` is direction d at
  ring r): 1 where the cell has been seen this episode. Cells off the grid read 0.
* **New cells** (for the task's ``explore_bonus`` with ``explore_by: seen``):
  :meth:`SeenMemory.look` returns how many cells each slot saw for the first time.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from envs.visits import VISIT_CELL, VISIT_DIRECTIONS, VISIT_GRID, cell_of, read_cells, ring_offsets

__all__ = ["SeenMemory", "SEEN_RINGS", "beams_in_view"]

#: Distances of the sampled cells from the robot, m.
SEEN_RINGS: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)
#: Samples per visit-grid cell along a beam (a beam marks every cell it crosses).
_SAMPLES_PER_CELL = 4


def beams_in_view(angles: NDArray[np.float64], fov: float) -> NDArray[np.int64]:
    """Indices of the lidar beams (bearings ``angles`` rad, (beams,)) within the camera's
    horizontal field of view ``fov`` rad, centred on the heading."""
    return np.flatnonzero(np.abs(angles) <= fov / 2 + 1e-9).astype(np.int64)


@njit(cache=True)
def _look(
    pose: NDArray[np.float64],
    ranges: NDArray[np.float32],
    idx: NDArray[np.int64],
    beams: NDArray[np.int64],
    angles: NDArray[np.float64],
    reach: float,
    cell: float,
    seen: NDArray[np.float32],
    new: NDArray[np.float64],
) -> None:
    """Mark the cells the beams ``beams`` of slots ``idx`` cross and count the new ones.

    Args:
        pose: (n, 3) dead-reckoned x m, y m, yaw rad. ranges: (n, beams) lidar, m.
        beams: (m,) beam indices in view; angles: (m,) their bearings, rad.
        reach: m. cell: grid cell, m. seen: (n, G, G) float32, 1 where seen; updated in place.
        new: (n,) float64, rows ``idx`` set to the count of cells seen for the first time.
    """
    g = seen.shape[1]
    step = cell / _SAMPLES_PER_CELL
    for j in range(idx.shape[0]):
        i = idx[j]
        x, y, yaw = pose[i, 0], pose[i, 1], pose[i, 2]
        count = 0
        for k in range(beams.shape[0]):
            a = yaw + angles[k]
            c, s = math.cos(a), math.sin(a)
            length = min(float(ranges[i, beams[k]]), reach)
            n_samples = int(length / step) + 1
            for q in range(n_samples):
                d = min(q * step, length)
                row, col = cell_of(x + c * d, y + s * d, cell, g)
                if row >= 0 and seen[i, row, col] == 0.0:
                    seen[i, row, col] = 1.0
                    count += 1
        new[i] = count


class SeenMemory:
    """Per-slot seen cells over the dead-reckoned visit grid (see the module docstring).

    Args:
        num_envs: slots.
        angles: (beams,) the lidar's beam bearings, rad (:func:`robot.lidar.beam_angles`).
        fov: the camera's horizontal field of view, rad: the beams within it are used.
        reach: m, how far along a beam the ground counts as seen (at most its range).

    Attributes:
        seen: (n, VISIT_GRID, VISIT_GRID) float32, 1 where seen.
        new_cells: (n,) float64, set by :meth:`look`.
    """

    size = 1 + VISIT_DIRECTIONS * len(SEEN_RINGS)

    def __init__(
        self, num_envs: int, angles: NDArray[np.float64], fov: float, reach: float
    ) -> None:
        if not reach > 0:
            raise ValueError(f"reach: expected a distance > 0 m, got {reach!r}")
        self.beams = beams_in_view(np.asarray(angles, np.float64), fov)
        if not self.beams.size:
            raise ValueError(f"fov: no lidar beam lies within {fov!r} rad of the heading")
        self.angles = np.asarray(angles, np.float64)[self.beams]
        self.reach = float(reach)
        self.seen = np.zeros((num_envs, VISIT_GRID, VISIT_GRID), np.float32)
        self.new_cells = np.zeros(num_envs)
        self._offsets = ring_offsets(SEEN_RINGS)

    def reset(self, idx: NDArray[np.int64]) -> None:
        """Forget what slots ``idx`` have seen."""
        self.seen[idx] = 0.0
        self.new_cells[idx] = 0.0

    def look(
        self, pose: NDArray[np.float64], ranges: NDArray[np.float32], idx: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Mark what slots ``idx`` see from ``pose`` (n, 3, dead-reckoned) with lidar
        ``ranges`` (n, beams) m; returns ``new_cells`` (n,): the cells each saw first."""
        _look(
            pose,
            ranges,
            idx,
            self.beams,
            self.angles,
            self.reach,
            VISIT_CELL,
            self.seen,
            self.new_cells,
        )
        return self.new_cells

    def read(
        self, pose: NDArray[np.float64], idx: NDArray[np.int64], out: NDArray[np.float32]
    ) -> None:
        """Write the readings of slots ``idx`` into rows ``idx`` of ``out`` (n, size): the
        visit reading's look-up, on a grid of 0 and 1 saturating at 1."""
        read_cells(pose, self.seen, idx, VISIT_CELL, self._offsets, 1.0, out)
