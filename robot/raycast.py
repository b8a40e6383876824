"""Grid ray casting (Amanatides-Woo DDA) for the camera, and the DDA parts the lidar's
fan caster (:mod:`robot.fan`) shares.

The ray walks the occupancy grid cell by cell and stops at the first cell whose
material is not free; the distance is exact to the cell boundary (float64), so
walls aligned to cells give analytic ranges. Outside the grid counts as wall.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["cast_ray", "chebyshev_clearance", "ray_setup", "ray_land", "ray_step", "JUMP_SHRINK"]

#: Clearance jumps (here and in :mod:`robot.fan`) stop this fraction short of the free
#: square's edge, so that a landing point computed in floating point never rounds into the
#: next cell.
JUMP_SHRINK = 1.0 - 1e-9


@njit(cache=True)
def chebyshev_clearance(occ: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Chebyshev distance, in cells, from each cell to the nearest non-free cell.

    Args:
        occ: (H, W) uint8 material grid; outside the grid counts as occupied.
    Returns:
        (H, W) uint8, 0 on occupied cells, capped at 255. A ray that starts in a cell of
        clearance k can travel (k - 1) cells' length without entering an occupied cell.
    """
    h, w = occ.shape
    d = np.empty((h, w), dtype=np.int32)
    for i in range(h):
        for j in range(w):
            if occ[i, j] != 0:
                d[i, j] = 0
            else:
                d[i, j] = min(min(i, j), min(h - 1 - i, w - 1 - j)) + 1
    for i in range(h):
        for j in range(w):
            v = d[i, j]
            if v == 0:
                continue
            if i > 0:
                v = min(v, d[i - 1, j] + 1)
                if j > 0:
                    v = min(v, d[i - 1, j - 1] + 1)
                if j < w - 1:
                    v = min(v, d[i - 1, j + 1] + 1)
            if j > 0:
                v = min(v, d[i, j - 1] + 1)
            d[i, j] = v
    for i in range(h - 1, -1, -1):
        for j in range(w - 1, -1, -1):
            v = d[i, j]
            if v == 0:
                continue
            if i < h - 1:
                v = min(v, d[i + 1, j] + 1)
                if j > 0:
                    v = min(v, d[i + 1, j - 1] + 1)
                if j < w - 1:
                    v = min(v, d[i + 1, j + 1] + 1)
            if j < w - 1:
                v = min(v, d[i, j + 1] + 1)
            d[i, j] = v
    out = np.empty((h, w), dtype=np.uint8)
    for i in range(h):
        for j in range(w):
            out[i, j] = min(d[i, j], 255)
    return out


@njit(cache=True, inline="always")
def ray_setup(
    col: int, row: int, cell: float, x: float, y: float, dx: float, dy: float
) -> tuple[float, float, float, float, float, float, float]:
    """A ray's constants and first boundaries from (x, y) in cell (row, col) along
    (dx, dy): 1/dx, 1/dy (1e30 for 0), the jump per unit of clearance (see
    :func:`_ray_move`), the distances to the first x and y cell boundaries, m, and the
    distance between successive x (and y) boundaries, m (1e30 along an axis not crossed)."""
    inf = 1e30
    inv_dx = 1.0 / dx if dx != 0.0 else inf
    inv_dy = 1.0 / dy if dy != 0.0 else inf
    jump = JUMP_SHRINK * cell / max(abs(dx), abs(dy))
    t_max_x = ((col + (1 if dx > 0.0 else 0)) * cell - x) * inv_dx if dx != 0.0 else inf
    t_max_y = ((row + (1 if dy > 0.0 else 0)) * cell - y) * inv_dy if dy != 0.0 else inf
    delta_x = cell * abs(inv_dx) if dx != 0.0 else inf
    delta_y = cell * abs(inv_dy) if dy != 0.0 else inf
    return inv_dx, inv_dy, jump, t_max_x, t_max_y, delta_x, delta_y


@njit(cache=True, inline="always")
def _ray_move(
    x: float,
    y: float,
    dx: float,
    dy: float,
    inv_dx: float,
    inv_dy: float,
    cell: float,
    inv_cell: float,
    jump: float,
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
    """One move of a ray walk from cell (row, col), of clearance ``k``, reached at ``t`` m.

    When ``k >= 2`` the ray first jumps through empty space: just under k - 1 cells along
    its major axis (``jump`` = that per unit of k - 1; every cell passed is within k - 1
    cells, Chebyshev, of this one, with a margin no rounding can cross), which is up to
    sqrt(2) x (k - 1) cells along a diagonal. Then one DDA step across the nearer cell
    boundary (``delta_x``/``delta_y`` apart, from :func:`ray_setup`). Boundary distances
    ``t_max_x``/``t_max_y`` are always measured from the ray origin, so the result is
    exact whatever the jumps (the landing cell, found by multiplying by ``inv_cell`` =
    1 / ``cell``, lies inside the free square by that margin too). A ray that runs along a
    grid line (within rounding) can land on the wrong side of it: a boundary then reads as
    behind the landing point, and the cell moves across it, so that the walk never goes
    back (without that, such a ray could jump back and forth for ever).

    Returns:
        (t, col, row, t_max_x, t_max_y, side): the distance at which the ray enters the new
        cell, that cell, the next boundary distances, and the face crossed (0 = x, 1 = y).
        ``t >= max_t`` means the ray ran out of range (the cell is then meaningless).
    """
    if k >= 2:
        tj = t + (k - 1) * jump
        if tj >= max_t:
            return tj, col, row, t_max_x, t_max_y, 0
        col, row, t_max_x, t_max_y = ray_land(
            x, y, dx, dy, inv_dx, inv_dy, cell, inv_cell, delta_x, delta_y, tj, t_max_x, t_max_y
        )
    return ray_step(dx, dy, delta_x, delta_y, col, row, t_max_x, t_max_y)


@njit(cache=True, inline="always")
def ray_land(
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
    tj: float,
    t_max_x: float,
    t_max_y: float,
) -> tuple[int, int, float, float]:
    """Land a clearance jump at ``tj`` m along the ray: (col, row, t_max_x, t_max_y), the
    landing cell and its next boundary distances measured from the origin (unchanged along
    an axis the ray does not cross). A landing point that rounding put behind a boundary it
    crossed moves across it (see :func:`_ray_move`)."""
    col = int(np.floor((x + tj * dx) * inv_cell))
    row = int(np.floor((y + tj * dy) * inv_cell))
    if dx != 0.0:
        t_max_x = ((col + (1 if dx > 0.0 else 0)) * cell - x) * inv_dx
        if t_max_x < tj:  # rounding put the landing point behind a boundary it crossed
            col += 1 if dx > 0.0 else -1
            t_max_x += delta_x
    if dy != 0.0:
        t_max_y = ((row + (1 if dy > 0.0 else 0)) * cell - y) * inv_dy
        if t_max_y < tj:
            row += 1 if dy > 0.0 else -1
            t_max_y += delta_y
    return col, row, t_max_x, t_max_y


@njit(cache=True, inline="always")
def ray_step(
    dx: float,
    dy: float,
    delta_x: float,
    delta_y: float,
    col: int,
    row: int,
    t_max_x: float,
    t_max_y: float,
) -> tuple[float, int, int, float, float, int]:
    """One DDA step across the nearer cell boundary: (t, col, row, t_max_x, t_max_y, side),
    the distance at which the ray enters the next cell, that cell, its next boundary
    distances and the face crossed (0 = x, 1 = y)."""
    if t_max_x < t_max_y:
        return t_max_x, col + (1 if dx > 0.0 else -1), row, t_max_x + delta_x, t_max_y, 0
    return t_max_y, col, row + (1 if dy > 0.0 else -1), t_max_x, t_max_y + delta_y, 1


@njit(cache=True, inline="always")
def cast_ray(
    occ: NDArray[np.uint8],
    clear: NDArray[np.uint8],
    rows: int,
    cols: int,
    cell: float,
    x: float,
    y: float,
    dx: float,
    dy: float,
    max_t: float,
    stop_at_wall_only: bool,
) -> tuple[float, int, int, float, int, int]:
    """Cast one ray from (x, y) m along the unit vector (dx, dy).

    Args:
        occ: (H, W) uint8 material grid (only the first ``rows`` x ``cols`` are the world).
        clear: (H, W) uint8 :func:`chebyshev_clearance` of ``occ`` (0 where occupied). Empty
            space is crossed in jumps; the exact hit is still found by the DDA, whose boundary
            distances are always measured from the ray origin.
        cell: cell size, m. max_t: range limit, m.
        stop_at_wall_only: also report the first hit of material 1 (wall) behind objects.

    Returns:
        (t1, m1, side1, t2, m2, side2): distance (m), material and face (0 = a vertical
        x-face, 1 = a horizontal y-face) of the first non-free cell, and of the first wall
        cell (only when ``stop_at_wall_only``; otherwise equal to the first). Material 0
        means nothing was hit within ``max_t`` (t = max_t).
    """
    col = int(np.floor(x / cell))
    row = int(np.floor(y / cell))
    if col < 0 or row < 0 or col >= cols or row >= rows:
        return 0.0, 1, 0, 0.0, 1, 0
    t1 = max_t
    m1 = 0
    s1 = 0
    if clear[row, col] == 0:
        m = int(occ[row, col])
        if not stop_at_wall_only or m == 1:
            return 0.0, m, 0, 0.0, m, 0
        t1 = 0.0
        m1 = m
    inv_dx, inv_dy, jump, t_max_x, t_max_y, delta_x, delta_y = ray_setup(
        col, row, cell, x, y, dx, dy
    )
    inv_cell = 1.0 / cell
    t = 0.0
    k = int(clear[row, col])
    while True:
        t, col, row, t_max_x, t_max_y, side = _ray_move(
            x,
            y,
            dx,
            dy,
            inv_dx,
            inv_dy,
            cell,
            inv_cell,
            jump,
            delta_x,
            delta_y,
            max_t,
            k,
            t,
            col,
            row,
            t_max_x,
            t_max_y,
        )
        if t >= max_t:
            break
        if col < 0 or row < 0 or col >= cols or row >= rows:
            k = 0
            m = 1
        else:
            k = int(clear[row, col])
            m = int(occ[row, col]) if k == 0 else 0
        if k == 0:
            if m1 == 0:
                t1 = t
                m1 = m
                s1 = side
                if not stop_at_wall_only or m == 1:
                    return t, m, side, t, m, side
            elif m == 1:
                return t1, m1, s1, t, m, side
    if m1 == 0:
        return max_t, 0, 0, max_t, 0, 0
    return t1, m1, s1, max_t, 0, 0
