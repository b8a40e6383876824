"""A perfect maze (recursive backtracker) with corridors 1.0-1.5 m wide and 0.1 m walls."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from robot.world import FREE, WALL
from robot.worldgen._raster import Layout, cells, wall_cells

__all__ = ["maze_layout", "backtracker"]

_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def backtracker(rng: np.random.Generator, n_rows: int, n_cols: int) -> NDArray[np.bool_]:
    """A spanning tree of an ``n_rows x n_cols`` cell grid by randomised depth-first search.

    Returns:
        ``open_`` of shape (n_rows, n_cols, 4), bool: ``open_[i, j, k]`` is True when cell
        (i, j) has a passage towards ``(i + di, j + dj)`` for step ``k`` in
        ((1, 0), (-1, 0), (0, 1), (0, -1)) (row up, row down, col right, col left).
    """
    open_ = np.zeros((n_rows, n_cols, 4), dtype=np.bool_)
    seen = np.zeros((n_rows, n_cols), dtype=np.bool_)
    start = (int(rng.integers(n_rows)), int(rng.integers(n_cols)))
    seen[start] = True
    stack = [start]
    while stack:
        i, j = stack[-1]
        options = [
            k
            for k, (di, dj) in enumerate(_STEPS)
            if 0 <= i + di < n_rows and 0 <= j + dj < n_cols and not seen[i + di, j + dj]
        ]
        if not options:
            stack.pop()
            continue
        k = options[int(rng.integers(len(options)))]
        di, dj = _STEPS[k]
        open_[i, j, k] = True
        open_[i + di, j + dj, k ^ 1] = True  # the opposite step: 0<->1, 2<->3
        seen[i + di, j + dj] = True
        stack.append((i + di, j + dj))
    return open_


def _bounds(inner: int, t: int, width: int) -> NDArray[np.int64]:
    """Starts of maze cells along one axis; cell i spans ``[b[i], b[i+1] - t)``."""
    n = max(2, int(round((inner + t) / (width + t))))
    out: NDArray[np.int64] = t + np.round(np.linspace(0, inner + t, n + 1)).astype(np.int64)
    return out


def maze_layout(
    rng: np.random.Generator, shape: tuple[int, int], cell_size: float, door_width: float
) -> Layout:
    """A perfect maze filling the world; dead ends are offered as target spots.

    Args:
        rng: the world's generator. shape: (H, W) cells. cell_size: m.
        door_width: unused (the maze has no doors); kept for a uniform signature.

    Returns:
        The layout with an empty keepout (the clutter pruning keeps the maze passable) and
        ``spots``: one point per dead end, 0.35 m from its closed end.
    """
    h, w = shape
    t = wall_cells(cell_size)
    cw = cells(float(rng.uniform(1.0, 1.5)), cell_size)
    rb, cb = _bounds(h - 2 * t, t, cw), _bounds(w - 2 * t, t, cw)
    nr, nc = len(rb) - 1, len(cb) - 1
    occ = np.full(shape, WALL, dtype=np.uint8)
    row_free = np.zeros(h, dtype=np.bool_)
    col_free = np.zeros(w, dtype=np.bool_)
    for i in range(nr):
        row_free[rb[i] : rb[i + 1] - t] = True
    for j in range(nc):
        col_free[cb[j] : cb[j + 1] - t] = True
    occ[np.ix_(row_free, col_free)] = FREE
    open_ = backtracker(rng, nr, nc)
    for i, j in zip(*np.nonzero(open_[:, :, 0]), strict=True):  # passages upwards (+row)
        occ[rb[i + 1] - t : rb[i + 1], cb[j] : cb[j + 1] - t] = FREE
    for i, j in zip(*np.nonzero(open_[:, :, 2]), strict=True):  # passages rightwards (+col)
        occ[rb[i] : rb[i + 1] - t, cb[j + 1] - t : cb[j + 1]] = FREE
    spots: list[tuple[float, float]] = []
    back = 0.35
    for i, j in zip(*np.nonzero(open_.sum(axis=2) == 1), strict=True):
        y0, y1 = rb[i] * cell_size, (rb[i + 1] - t) * cell_size
        x0, x1 = cb[j] * cell_size, (cb[j + 1] - t) * cell_size
        x, y = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        k = int(np.argmax(open_[i, j]))
        if k == 0:
            y = min(y, y0 + back)  # open upwards: the closed end is below
        elif k == 1:
            y = max(y, y1 - back)
        elif k == 2:
            x = min(x, x0 + back)
        else:
            x = max(x, x1 - back)
        spots.append((float(x), float(y)))
    return Layout(occ, np.zeros(shape, dtype=np.bool_), spots=spots, kind="maze")
