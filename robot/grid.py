"""Fast boolean-grid helpers: inflation, downsampling, flood fill, clearance tests.

Grids are indexed ``[row, col]``; row ``r`` covers ``y in [r*cs, (r+1)*cs)`` and column ``c``
covers ``x in [c*cs, (c+1)*cs)`` (``cs`` the cell size, m). Anything outside a grid counts as
blocked / wall. The hot loops are numba kernels (compiled once, cached on disk).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "inflate",
    "downsample_blocked",
    "flood_fill",
    "label_components",
    "largest_component",
    "clearance_ok",
]


def _disc_half_widths(radius_cells: float) -> NDArray[np.int64]:
    """Half widths ``w[k]`` of a disc of radius ``radius_cells`` for row offset ``dy = k - R``.

    ``w[k]`` is the largest integer ``dx >= 0`` with ``dx**2 + dy**2 <= radius_cells**2``, or
    -1 when no such ``dx`` exists. Shape ``(2R+1,)`` with ``R = floor(radius_cells)``.
    """
    r2 = radius_cells * radius_cells
    big_r = int(math.floor(radius_cells))
    widths = np.full(2 * big_r + 1, -1, dtype=np.int64)
    for k in range(2 * big_r + 1):
        dy = k - big_r
        rem = r2 - dy * dy
        if rem < 0:
            continue
        w = int(math.floor(math.sqrt(rem)))
        while (w + 1) * (w + 1) + dy * dy <= r2:
            w += 1
        while w >= 0 and w * w + dy * dy > r2:
            w -= 1
        widths[k] = w
    return widths


@numba.njit(cache=True)
def _inflate_kernel(
    padded: NDArray[np.bool_], widths: NDArray[np.int64], pad: int, h: int, w: int
) -> NDArray[np.bool_]:
    """Dilate ``padded`` (``(h+2p, w+2p)``) by the disc given by ``widths``; return ``(h, w)``."""
    ph, pw = padded.shape
    # prefix[r, c] = number of blocked cells in padded[r, :c]
    prefix = np.zeros((ph, pw + 1), dtype=np.int32)
    for r in range(ph):
        acc = 0
        for c in range(pw):
            if padded[r, c]:
                acc += 1
            prefix[r, c + 1] = acc
    big_r = (widths.shape[0] - 1) // 2
    out = np.zeros((h, w), dtype=np.bool_)
    for r in range(h):
        pr = r + pad
        for c in range(w):
            pc = c + pad
            hit = False
            for k in range(widths.shape[0]):
                hw = widths[k]
                if hw < 0:
                    continue
                rr = pr + k - big_r
                if prefix[rr, pc + hw + 1] - prefix[rr, pc - hw] > 0:
                    hit = True
                    break
            out[r, c] = hit
    return out


def inflate(blocked: NDArray[np.bool_], radius_cells: float) -> NDArray[np.bool_]:
    """Dilate a blocked mask by a Euclidean disc, treating everything outside as blocked.

    Args:
        blocked: (H, W) bool, True where blocked.
        radius_cells: disc radius in cell units (centre-to-centre distance). A cell is blocked
            in the result when any blocked cell's centre (including the virtual blocked cells
            outside the grid) lies within ``radius_cells`` (inclusive) of its centre.
            Values < 1 leave the mask unchanged.

    Returns:
        (H, W) bool, the inflated mask (a new array).
    """
    b = np.asarray(blocked, dtype=np.bool_)
    if b.ndim != 2:
        raise ValueError(f"blocked: expected a 2-D array, got shape {b.shape}")
    if not math.isfinite(radius_cells) or radius_cells < 0:
        raise ValueError(f"radius_cells: expected a finite value >= 0, got {radius_cells}")
    h, w = b.shape
    if radius_cells < 1.0 or h == 0 or w == 0:
        return b.copy()
    widths = _disc_half_widths(radius_cells)
    pad = (widths.shape[0] - 1) // 2
    padded = np.ones((h + 2 * pad, w + 2 * pad), dtype=np.bool_)
    padded[pad : pad + h, pad : pad + w] = b
    out: NDArray[np.bool_] = _inflate_kernel(padded, widths, pad, h, w)
    return out


def downsample_blocked(blocked: NDArray[np.bool_], factor: int) -> NDArray[np.bool_]:
    """Coarsen a blocked mask: a coarse cell is blocked when any of its fine cells is.

    Args:
        blocked: (H, W) bool fine mask.
        factor: fine cells per coarse cell along each axis (>= 1).

    Returns:
        (ceil(H/factor), ceil(W/factor)) bool. Partial coarse cells at the high edges are padded
        with blocked fine cells (so they are blocked).
    """
    if factor < 1:
        raise ValueError(f"factor: expected >= 1, got {factor}")
    b = np.asarray(blocked, dtype=np.bool_)
    if b.ndim != 2:
        raise ValueError(f"blocked: expected a 2-D array, got shape {b.shape}")
    if factor == 1:
        return b.copy()
    h, w = b.shape
    hc, wc = -(-h // factor), -(-w // factor)
    padded = np.ones((hc * factor, wc * factor), dtype=np.bool_)
    padded[:h, :w] = b
    out: NDArray[np.bool_] = np.any(padded.reshape(hc, factor, wc, factor), axis=(1, 3))
    return out


@numba.njit(cache=True)
def _flood_kernel(free: NDArray[np.bool_], sr: int, sc: int) -> NDArray[np.bool_]:
    h, w = free.shape
    seen = np.zeros((h, w), dtype=np.bool_)
    if sr < 0 or sr >= h or sc < 0 or sc >= w or not free[sr, sc]:
        return seen
    queue = np.empty(h * w, dtype=np.int64)
    head = 0
    tail = 0
    seen[sr, sc] = True
    queue[tail] = sr * w + sc
    tail += 1
    while head < tail:
        idx = queue[head]
        head += 1
        r = idx // w
        c = idx - r * w
        if r > 0 and free[r - 1, c] and not seen[r - 1, c]:
            seen[r - 1, c] = True
            queue[tail] = idx - w
            tail += 1
        if r + 1 < h and free[r + 1, c] and not seen[r + 1, c]:
            seen[r + 1, c] = True
            queue[tail] = idx + w
            tail += 1
        if c > 0 and free[r, c - 1] and not seen[r, c - 1]:
            seen[r, c - 1] = True
            queue[tail] = idx - 1
            tail += 1
        if c + 1 < w and free[r, c + 1] and not seen[r, c + 1]:
            seen[r, c + 1] = True
            queue[tail] = idx + 1
            tail += 1
    return seen


def flood_fill(free: NDArray[np.bool_], start: tuple[int, int]) -> NDArray[np.bool_]:
    """Cells 4-connected to ``start`` through free cells.

    Args:
        free: (H, W) bool, True where passable.
        start: (row, col) seed cell.

    Returns:
        (H, W) bool reachable mask; all False when ``start`` is outside the grid or not free.
    """
    f = np.ascontiguousarray(free, dtype=np.bool_)
    if f.ndim != 2:
        raise ValueError(f"free: expected a 2-D array, got shape {f.shape}")
    out: NDArray[np.bool_] = _flood_kernel(f, int(start[0]), int(start[1]))
    return out


@numba.njit(cache=True)
def _label_kernel(free: NDArray[np.bool_]) -> tuple[NDArray[np.int32], int]:
    h, w = free.shape
    labels = np.zeros((h, w), dtype=np.int32)
    queue = np.empty(max(h * w, 1), dtype=np.int64)
    n = 0
    for r0 in range(h):
        for c0 in range(w):
            if not free[r0, c0] or labels[r0, c0] != 0:
                continue
            n += 1
            labels[r0, c0] = n
            head = 0
            tail = 1
            queue[0] = r0 * w + c0
            while head < tail:
                idx = queue[head]
                head += 1
                r = idx // w
                c = idx - r * w
                if r > 0 and free[r - 1, c] and labels[r - 1, c] == 0:
                    labels[r - 1, c] = n
                    queue[tail] = idx - w
                    tail += 1
                if r + 1 < h and free[r + 1, c] and labels[r + 1, c] == 0:
                    labels[r + 1, c] = n
                    queue[tail] = idx + w
                    tail += 1
                if c > 0 and free[r, c - 1] and labels[r, c - 1] == 0:
                    labels[r, c - 1] = n
                    queue[tail] = idx - 1
                    tail += 1
                if c + 1 < w and free[r, c + 1] and labels[r, c + 1] == 0:
                    labels[r, c + 1] = n
                    queue[tail] = idx + 1
                    tail += 1
    return labels, n


def label_components(free: NDArray[np.bool_]) -> tuple[NDArray[np.int32], int]:
    """Label the 4-connected components of free cells.

    Args:
        free: (H, W) bool, True where passable.

    Returns:
        ``(labels, n)``: (H, W) int32 labels (0 for blocked cells, 1..n for components in
        raster order of their first cell) and the number of components ``n``.
    """
    f = np.ascontiguousarray(free, dtype=np.bool_)
    if f.ndim != 2:
        raise ValueError(f"free: expected a 2-D array, got shape {f.shape}")
    labels, n = _label_kernel(f)
    return labels, int(n)


def largest_component(free: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Mask of the largest 4-connected component of free cells.

    Args:
        free: (H, W) bool, True where passable.

    Returns:
        (H, W) bool; all False when there is no free cell. Ties go to the component whose first
        cell comes first in raster order.
    """
    labels, n = label_components(free)
    if n == 0:
        return np.zeros(labels.shape, dtype=np.bool_)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    counts[0] = 0
    out: NDArray[np.bool_] = labels == int(np.argmax(counts))
    return out


@numba.njit(cache=True)
def _clearance_kernel(
    occupancy: NDArray[np.uint8], x: float, y: float, radius: float, cs: float
) -> bool:
    h, w = occupancy.shape
    if x - radius < 0.0 or y - radius < 0.0 or x + radius > w * cs or y + radius > h * cs:
        return False
    r0 = max(int(math.floor((y - radius) / cs)), 0)
    r1 = min(int(math.floor((y + radius) / cs)), h - 1)
    c0 = max(int(math.floor((x - radius) / cs)), 0)
    c1 = min(int(math.floor((x + radius) / cs)), w - 1)
    r2 = radius * radius
    for r in range(r0, r1 + 1):
        ylo = r * cs
        yhi = ylo + cs
        dy = 0.0
        if y < ylo:
            dy = ylo - y
        elif y > yhi:
            dy = y - yhi
        for c in range(c0, c1 + 1):
            if occupancy[r, c] == 0:
                continue
            xlo = c * cs
            xhi = xlo + cs
            dx = 0.0
            if x < xlo:
                dx = xlo - x
            elif x > xhi:
                dx = x - xhi
            if dx * dx + dy * dy < r2:
                return False
    return True


def clearance_ok(
    occupancy: NDArray[np.integer], x: float, y: float, radius: float, cell_size: float
) -> bool:
    """Whether a disc fits at a point without overlapping any non-free cell.

    Exact disc-versus-cell-box test: the disc of ``radius`` m centred at (``x``, ``y``) m must
    lie inside the grid and have distance >= ``radius`` to every non-free cell's box (touching
    counts as clear).

    Args:
        occupancy: (H, W) integer material ids, 0 = free.
        x, y: disc centre, m.
        radius: disc radius, m (>= 0).
        cell_size: m per cell.
    """
    occ = np.ascontiguousarray(occupancy, dtype=np.uint8)
    if occ.ndim != 2:
        raise ValueError(f"occupancy: expected a 2-D array, got shape {occ.shape}")
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return bool(_clearance_kernel(occ, float(x), float(y), float(radius), float(cell_size)))
