"""Grid ray casting (Amanatides-Woo DDA), shared by the lidar and the camera.

The ray walks the occupancy grid cell by cell and stops at the first cell whose
material is not free; the distance is exact to the cell boundary (float64), so
walls aligned to cells give analytic ranges. Outside the grid counts as wall.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["cast_ray", "cast_fan", "chebyshev_clearance"]

#: Clearance jumps stop this fraction short of the free square's edge, so that a landing
#: point computed in floating point never rounds into the next cell.
_JUMP_SHRINK = 1.0 - 1e-9


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
    jump = _JUMP_SHRINK * cell / max(abs(dx), abs(dy))
    off_c = 1 if step_c > 0 else 0
    off_r = 1 if step_r > 0 else 0
    t_max_x = ((col + off_c) * cell - x) * inv_dx if step_c != 0 else inf
    t_max_y = ((row + off_r) * cell - y) * inv_dy if step_r != 0 else inf
    t = 0.0
    k = int(clear[row, col])
    while True:
        if k >= 3:
            # Jump through empty space, then resume the DDA there: just under k - 1 cells
            # along the ray's major axis (every cell passed is within k - 1 cells, Chebyshev,
            # of this one, with a margin no rounding can cross), which is up to
            # sqrt(2) x (k - 1) cells along a diagonal ray.
            tj = t + (k - 1) * jump
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


@njit(cache=True)
def cast_fan(
    occ: NDArray[np.uint8],
    clear: NDArray[np.uint8],
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
    """Cast a fan of rays from one origin: ``out[i] = cast_ray(..., dxs[i], dys[i],
    max_t, False)[0]`` (distance to the first non-free cell, m; ``max_t`` for no hit), bit for bit.

    The rays advance in lockstep, one DDA step (or clearance jump) of every unfinished ray
    per sweep. A step's grid read does not depend on the other rays' reads, so the CPU
    overlaps the cache misses of many rays instead of waiting for each in turn (the grids
    of a batch of worlds rarely stay in cache while a network trains beside them).

    Args:
        occ, clear: as for :func:`cast_ray` (``occ`` is only checked at the origin).
        dxs, dys: (N,) unit direction vectors. out: (N,) float64 distances, m.
        fscratch: (6, N) float64 and iscratch: (4, N) int64 work space (overwritten).
    """
    n = dxs.shape[0]
    col0 = int(np.floor(x / cell))
    row0 = int(np.floor(y / cell))
    if col0 < 0 or row0 < 0 or col0 >= cols or row0 >= rows or clear[row0, col0] == 0:
        out[:n] = 0.0
        return
    inf = 1e30
    # Each ray's DDA state (see cast_ray): next x/y boundary distances, distance so far,
    # 1/dx and 1/dy; its cell, the clearance there, and the list of unfinished rays.
    s_tmx = fscratch[0]
    s_tmy = fscratch[1]
    s_t = fscratch[2]
    s_ix = fscratch[3]
    s_iy = fscratch[4]
    s_jump = fscratch[5]
    s_col = iscratch[0]
    s_row = iscratch[1]
    s_k = iscratch[2]
    todo = iscratch[3]
    for i in range(n):
        dx = dxs[i]
        dy = dys[i]
        inv_dx = 1.0 / dx if dx != 0.0 else inf
        inv_dy = 1.0 / dy if dy != 0.0 else inf
        s_ix[i] = inv_dx
        s_iy[i] = inv_dy
        s_jump[i] = _JUMP_SHRINK * cell / max(abs(dx), abs(dy))
        s_tmx[i] = ((col0 + (1 if dx > 0.0 else 0)) * cell - x) * inv_dx if dx != 0.0 else inf
        s_tmy[i] = ((row0 + (1 if dy > 0.0 else 0)) * cell - y) * inv_dy if dy != 0.0 else inf
        s_t[i] = 0.0
        s_col[i] = col0
        s_row[i] = row0
        s_k[i] = clear[row0, col0]
        todo[i] = i
    active = n
    while active > 0:
        kept = 0
        for a in range(active):
            i = todo[a]
            dx = dxs[i]
            dy = dys[i]
            step_c = 1 if dx > 0.0 else (-1 if dx < 0.0 else 0)
            step_r = 1 if dy > 0.0 else (-1 if dy < 0.0 else 0)
            inv_dx = s_ix[i]
            inv_dy = s_iy[i]
            col = s_col[i]
            row = s_row[i]
            t_max_x = s_tmx[i]
            t_max_y = s_tmy[i]
            t = s_t[i]
            k = s_k[i]
            if k >= 3:
                tj = t + (k - 1) * s_jump[i]
                if tj >= max_t:
                    out[i] = max_t
                    continue
                col = int(np.floor((x + tj * dx) / cell))
                row = int(np.floor((y + tj * dy) / cell))
                if step_c != 0:
                    t_max_x = ((col + (1 if step_c > 0 else 0)) * cell - x) * inv_dx
                if step_r != 0:
                    t_max_y = ((row + (1 if step_r > 0 else 0)) * cell - y) * inv_dy
                t = tj
            if t_max_x < t_max_y:
                t = t_max_x
                col += step_c
                t_max_x += cell * abs(inv_dx) if step_c != 0 else inf
            else:
                t = t_max_y
                row += step_r
                t_max_y += cell * abs(inv_dy) if step_r != 0 else inf
            if t >= max_t:
                out[i] = max_t
                continue
            if col < 0 or row < 0 or col >= cols or row >= rows:
                out[i] = t
                continue
            k = int(clear[row, col])
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
