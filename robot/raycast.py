"""Grid ray casting (Amanatides-Woo DDA), shared by the lidar and the camera.

The ray walks the occupancy grid cell by cell and stops at the first cell whose
material is not free; the distance is exact to the cell boundary (float64), so
walls aligned to cells give analytic ranges. Outside the grid counts as wall.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["cast_ray", "chebyshev_clearance"]


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
    inf = 1e30
    step_c = 1 if dx > 0.0 else (-1 if dx < 0.0 else 0)
    step_r = 1 if dy > 0.0 else (-1 if dy < 0.0 else 0)
    inv_dx = 1.0 / dx if step_c != 0 else inf
    inv_dy = 1.0 / dy if step_r != 0 else inf
    t_dx = cell * abs(inv_dx) if step_c != 0 else inf
    t_dy = cell * abs(inv_dy) if step_r != 0 else inf
    off_c = 1 if step_c > 0 else 0
    off_r = 1 if step_r > 0 else 0
    t_max_x = ((col + off_c) * cell - x) * inv_dx if step_c != 0 else inf
    t_max_y = ((row + off_r) * cell - y) * inv_dy if step_r != 0 else inf
    t = 0.0
    k = int(clear[row, col])
    while True:
        if k >= 3:
            # Jump (k - 1) cells through empty space, then resume the DDA there.
            tj = t + (k - 1) * cell
            if tj >= max_t:
                break
            col = int(np.floor((x + tj * dx) / cell))
            row = int(np.floor((y + tj * dy) / cell))
            if step_c != 0:
                t_max_x = ((col + off_c) * cell - x) * inv_dx
            if step_r != 0:
                t_max_y = ((row + off_r) * cell - y) * inv_dy
            t = tj
        if t_max_x < t_max_y:
            t = t_max_x
            col += step_c
            t_max_x += t_dx
            side = 0
        else:
            t = t_max_y
            row += step_r
            t_max_y += t_dy
            side = 1
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
