"""The lidar's caster: a fan of rays from one origin, accelerated by quadrant clearances.

:func:`robot.raycast.cast_ray` jumps through empty space by the Chebyshev clearance of a
cell: the free square centred on it. A ray only ever moves away from where it is, into
one quadrant (the signs of dx and dy), so all it needs free is the square that has its cell
at one corner and extends the way it goes. :func:`quadrant_clearance` stores that square's
size for each of the four quadrants. It is at least the Chebyshev clearance and usually
much more (a wall behind the ray does not limit it), and a jump goes to the square's far
edge instead of a fixed (k - 1) cells: on PointNav's worlds a lidar ray takes 3.4 moves
instead of 7.8, and the lidar costs ~40% less.

The hit itself is still found by the same DDA step, whose boundary distances are
measured from the ray origin: the distance equals ``cast_ray``'s up to float64 rounding
(~1e-15 m, from a different count of ``+= delta`` steps since the last jump), which the
lidar's float32 output does not see.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from robot.raycast import JUMP_SHRINK, ray_land, ray_setup, ray_step

__all__ = ["cast_fan", "quadrant_clearance", "quadrant_of"]


@njit(cache=True)
def quadrant_clearance(occ: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Per cell and quadrant, the side (cells) of the largest free square with the cell at
    its corner, extending towards that quadrant.

    Args:
        occ: (H, W) uint8 material grid (0 = free); outside the grid counts as occupied.
    Returns:
        (4, H, W) uint8, capped at 255; 0 on occupied cells. Quadrant ``q`` (see
        :func:`quadrant_of`) has bit 0 set for -x (columns decreasing) and bit 1 for -y
        (rows decreasing): ``out[0, r, c] = k`` means every cell of rows r..r+k-1 and
        columns c..c+k-1 is free. One plane per quadrant keeps a ray's reads (all in one
        quadrant) on as few cache lines as possible.
    """
    h, w = occ.shape
    out = np.zeros((4, h, w), dtype=np.uint8)
    side = np.zeros((h, w), dtype=np.int32)
    for q in range(4):
        sx = -1 if q & 1 else 1
        sy = -1 if q & 2 else 1
        for ii in range(h):
            r = h - 1 - ii if sy > 0 else ii  # visit the square's far cells first
            r2 = r + sy
            row_in = 0 <= r2 < h
            for jj in range(w):
                c = w - 1 - jj if sx > 0 else jj
                if occ[r, c] != 0:
                    side[r, c] = 0
                    continue
                c2 = c + sx
                col_in = 0 <= c2 < w
                a = side[r2, c] if row_in else 0
                b = side[r, c2] if col_in else 0
                d = side[r2, c2] if row_in and col_in else 0
                side[r, c] = 1 + min(a, min(b, d))
        for r in range(h):
            for c in range(w):
                out[q, r, c] = min(side[r, c], 255)
    return out


@njit(cache=True, inline="always")
def quadrant_of(dx: float, dy: float) -> int:
    """The quadrant index of direction (dx, dy): bit 0 for dx < 0, bit 1 for dy < 0."""
    return (1 if dx < 0.0 else 0) + (2 if dy < 0.0 else 0)


@njit(cache=True, inline="always")
def _move(
    x: float,
    y: float,
    dx: float,
    dy: float,
    inv_dx: float,
    inv_dy: float,
    cell: float,
    inv_cell: float,
    delta_x: float,
    delta_y: float,
    max_t: float,
    k: int,
    t: float,
    col: int,
    row: int,
    t_max_x: float,
    t_max_y: float,
) -> tuple[float, int, int, float, float, int]:
    """One move of a fan ray from cell (row, col), of quadrant clearance ``k``, reached at
    ``t`` m: with ``k >= 2``, a jump to just short of the free square's far edge (its
    exit distance, measured from the origin, times :data:`robot.raycast.JUMP_SHRINK`),
    then one DDA step, as in :func:`robot.raycast.cast_ray`.

    Returns:
        (t, col, row, t_max_x, t_max_y, side), as :func:`robot.raycast.ray_step` returns
        them; ``t >= max_t`` means out of range.
    """
    if k >= 2:
        # The square spans columns col..col+k-1 (dx >= 0) or col-k+1..col, rows likewise.
        ex = ((col + (k if dx >= 0.0 else 1 - k)) * cell - x) * inv_dx if dx != 0.0 else 1e30
        ey = ((row + (k if dy >= 0.0 else 1 - k)) * cell - y) * inv_dy if dy != 0.0 else 1e30
        tj = t + (min(ex, ey) - t) * JUMP_SHRINK
        if tj >= max_t:
            return tj, col, row, t_max_x, t_max_y, 0
        col, row, t_max_x, t_max_y = ray_land(
            x, y, dx, dy, inv_dx, inv_dy, cell, inv_cell, delta_x, delta_y, tj, t_max_x, t_max_y
        )
    return ray_step(dx, dy, delta_x, delta_y, col, row, t_max_x, t_max_y)


@njit(cache=True)
def cast_fan(
    quad: NDArray[np.uint8],
    rows: int,
    cols: int,
    cell: float,
    x: float,
    y: float,
    dxs: NDArray[np.float64],
    dys: NDArray[np.float64],
    max_t: float,
    out: NDArray[np.float64],
    fscratch: NDArray[np.float64],
    iscratch: NDArray[np.int64],
) -> None:
    """Cast a fan of rays from one origin: ``out[i]`` is the distance (m) along
    (``dxs[i]``, ``dys[i]``) to the first non-free cell, ``max_t`` for no hit, 0 from an
    origin inside an obstacle or off the grid; the same as
    ``robot.raycast.cast_ray(..., max_t, False)[0]`` up to float64 rounding.

    The rays advance in lockstep, one move of every unfinished ray per sweep. A move's grid
    read does not depend on the other rays' reads, so the CPU overlaps the cache misses of
    many rays instead of waiting for each in turn.

    Args:
        quad: (4, H, W) :func:`quadrant_clearance` of the world's grid (only the first
            ``rows`` x ``cols`` are the world; outside counts as wall).
        cell: cell size, m. x, y: origin, m. max_t: range limit, m.
        dxs, dys: (N,) unit direction vectors. out: (N,) float64 distances, m.
        fscratch: (7, N) float64 and iscratch: (5, N) int64 work space (overwritten).
    """
    n = dxs.shape[0]
    col0 = int(np.floor(x / cell))
    row0 = int(np.floor(y / cell))
    if col0 < 0 or row0 < 0 or col0 >= cols or row0 >= rows or quad[0, row0, col0] == 0:
        out[:n] = 0.0
        return
    # Each ray's walk state: next x/y boundary distances, distance so far, 1/dx, 1/dy and
    # boundary spacings; its cell, its quadrant, the clearance there, the unfinished rays.
    s_tmx = fscratch[0]
    s_tmy = fscratch[1]
    s_t = fscratch[2]
    s_ix = fscratch[3]
    s_iy = fscratch[4]
    s_ddx = fscratch[5]
    s_ddy = fscratch[6]
    s_col = iscratch[0]
    s_row = iscratch[1]
    s_k = iscratch[2]
    s_q = iscratch[3]
    todo = iscratch[4]
    for i in range(n):
        s_ix[i], s_iy[i], _, s_tmx[i], s_tmy[i], s_ddx[i], s_ddy[i] = ray_setup(
            col0, row0, cell, x, y, dxs[i], dys[i]
        )
        q = quadrant_of(dxs[i], dys[i])
        s_q[i] = q
        s_t[i] = 0.0
        s_col[i] = col0
        s_row[i] = row0
        s_k[i] = quad[q, row0, col0]
        todo[i] = i
    inv_cell = 1.0 / cell
    active = n
    while active > 0:
        kept = 0
        for a in range(active):
            i = todo[a]
            t, col, row, t_max_x, t_max_y, _ = _move(
                x,
                y,
                dxs[i],
                dys[i],
                s_ix[i],
                s_iy[i],
                cell,
                inv_cell,
                s_ddx[i],
                s_ddy[i],
                max_t,
                s_k[i],
                s_t[i],
                s_col[i],
                s_row[i],
                s_tmx[i],
                s_tmy[i],
            )
            if t >= max_t:
                out[i] = max_t
                continue
            if col < 0 or row < 0 or col >= cols or row >= rows:
                out[i] = t
                continue
            k = int(quad[s_q[i], row, col])
            if k == 0:
                out[i] = t
                continue
            s_col[i] = col
            s_row[i] = row
            s_tmx[i] = t_max_x
            s_tmy[i] = t_max_y
            s_t[i] = t
            s_k[i] = k
            todo[kept] = i
            kept += 1
        active = kept
