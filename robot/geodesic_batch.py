"""Batched geodesic look-ups: one distance field per world, all worlds in one call.

Each world slot holds a coarse distance field (from :func:`robot.planning.distance_field`)
padded into a (B, Hc, Wc) array. The rule per point matches
:func:`robot.planning.geodesic_many`: the minimum over the 3x3 coarse neighbourhood of
``field[n] + |p - centre(n)|`` (a blocked cell is replaced by its nearest free cell), and the
straight-line distance to the goal when the goal's cell is adjacent, so the value is 0 at the
goal and varies continuously as the robot moves.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from robot.planning import PlanningGrid

__all__ = ["BatchedFields"]


@njit(cache=True)
def _geodesic_batch(
    fields: NDArray[np.float32],
    nearest: NDArray[np.int64],
    dims: NDArray[np.int64],
    res: float,
    xy: NDArray[np.float64],
    goal: NDArray[np.float64],
    goal_cell: NDArray[np.int64],
    out: NDArray[np.float64],
) -> None:
    for b in range(xy.shape[0]):
        h = dims[b, 0]
        w = dims[b, 1]
        x = xy[b, 0]
        y = xy[b, 1]
        out[b] = np.inf
        if h == 0 or not (math.isfinite(x) and math.isfinite(y)):
            continue
        r = int(math.floor(y / res))
        c = int(math.floor(x / res))
        if r < 0 or r >= h or c < 0 or c >= w or not math.isfinite(fields[b, r, c]):
            k = nearest[b, min(max(r, 0), h - 1), min(max(c, 0), w - 1)]
            if k < 0:
                continue
            r = k // w
            c = k - r * w
        best = np.inf
        for nr in range(max(r - 1, 0), min(r + 2, h)):
            for nc in range(max(c - 1, 0), min(c + 2, w)):
                v = float(fields[b, nr, nc])
                if math.isfinite(v):
                    cand = v + math.hypot(x - (nc + 0.5) * res, y - (nr + 0.5) * res)
                    if cand < best:
                        best = cand
        gr = goal_cell[b, 0]
        gc = goal_cell[b, 1]
        if gr >= 0 and math.isfinite(best) and abs(r - gr) <= 1 and abs(c - gc) <= 1:
            best = min(best, math.hypot(x - goal[b, 0], y - goal[b, 1]))
        out[b] = best


class BatchedFields:
    """Distance fields of B worlds, padded into one array for a single batched look-up.

    Args:
        batch_size: B. res: coarse cell size, m (the same for every world).
    """

    def __init__(self, batch_size: int, res: float) -> None:
        self.batch_size = batch_size
        self.res = float(res)
        self.fields = np.full((batch_size, 1, 1), np.inf, dtype=np.float32)
        self.nearest = np.full((batch_size, 1, 1), -1, dtype=np.int64)
        self.dims = np.zeros((batch_size, 2), dtype=np.int64)
        self.goal = np.zeros((batch_size, 2))
        self.goal_cell = np.full((batch_size, 2), -1, dtype=np.int64)

    def set(
        self,
        index: int,
        grid: PlanningGrid,
        field: NDArray[np.float32],
        goal_xy: tuple[float, float],
    ) -> None:
        """Store world ``index``'s field (Hc, Wc) float32 m for goal ``goal_xy`` (m)."""
        if abs(grid.res - self.res) > 1e-12:
            raise ValueError(f"grid.res: {grid.res} differs from {self.res}")
        h, w = field.shape
        hm, wm = self.fields.shape[1:]
        if h > hm or w > wm:
            nh, nw = max(h, hm), max(w, wm)
            f = np.full((self.batch_size, nh, nw), np.inf, dtype=np.float32)
            n = np.full((self.batch_size, nh, nw), -1, dtype=np.int64)
            f[:, :hm, :wm] = self.fields
            n[:, :hm, :wm] = self.nearest
            self.fields, self.nearest = f, n
        self.fields[index] = np.inf
        self.fields[index, :h, :w] = field
        self.nearest[index] = -1
        self.nearest[index, :h, :w] = grid.nearest
        self.dims[index] = (h, w)
        self.goal[index] = goal_xy
        cell = grid.nearest_free(goal_xy[0], goal_xy[1])
        self.goal_cell[index] = cell if cell is not None else (-1, -1)

    def distances(
        self, xy: NDArray[np.float64], out: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Geodesic distance of each world's point ``xy`` (B, 2) m to its goal, (B,) m."""
        if out is None:
            out = np.empty(self.batch_size)
        _geodesic_batch(
            self.fields,
            self.nearest,
            self.dims,
            self.res,
            np.ascontiguousarray(xy, dtype=np.float64),
            self.goal,
            self.goal_cell,
            out,
        )
        return out
