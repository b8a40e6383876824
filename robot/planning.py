"""Geodesic planning on an occupancy grid with the robot radius inflated.

Used for SPL's shortest path length ``l_i``, reward shaping by geodesic progress, and scripted
experts that follow a path. Everything is in metres, with ``x`` along columns and ``y`` along
rows, as in :mod:`robot.world`.

A :class:`PlanningGrid` holds a coarse (planning-resolution) boolean grid of cells where the
robot's *centre* may be: a coarse cell is free when a disc of the robot radius centred at the
coarse cell centre overlaps no occupied fine cell and stays inside the world. On it:

* :func:`distance_field` runs a 16-connected Dijkstra (diagonals sqrt(2), knight moves
  sqrt(5) cells, no corner cutting) from a goal; :func:`geodesic_distance` /
  :func:`geodesic_many` read it at points.
* :func:`astar` runs an 8-connected A* (octile heuristic) and string-pulls the cell path with
  exact robot-disc line-of-sight checks on the fine grid, approximating the any-angle
  shortest path.
* :func:`shortest_path_length` is the length of that path (``inf`` when unreachable).

The hot loops are numba kernels (compiled once, cached on disk).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

from robot.grid import _clearance_kernel, inflate

if TYPE_CHECKING:
    from robot.world import World

__all__ = [
    "Path",
    "PlanningGrid",
    "distance_field",
    "geodesic_distance",
    "geodesic_many",
    "lookup_many",
    "astar",
    "shortest_path_length",
]

_SQRT2 = math.sqrt(2.0)


# --------------------------------------------------------------------------- numba kernels


@numba.njit(cache=True)
def _heap_push(
    keys: NDArray[np.float64], vals: NDArray[np.int64], n: int, key: float, val: int
) -> int:
    """Push (key, val) onto the binary min-heap stored in ``keys[:n]``/``vals[:n]``."""
    i = n
    keys[i] = key
    vals[i] = val
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        vals[i] = vals[p]
        i = p
    keys[i] = key
    vals[i] = val
    return n + 1


@numba.njit(cache=True)
def _heap_pop(keys: NDArray[np.float64], vals: NDArray[np.int64], n: int) -> tuple[float, int, int]:
    """Pop the smallest entry; return (key, val, new size). ``n`` must be > 0."""
    key = keys[0]
    val = vals[0]
    n -= 1
    if n > 0:
        k = keys[n]
        v = vals[n]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= n:
                break
            if child + 1 < n and keys[child + 1] < keys[child]:
                child += 1
            if keys[child] >= k:
                break
            keys[i] = keys[child]
            vals[i] = vals[child]
            i = child
        keys[i] = k
        vals[i] = v
    return key, val, n


# 8-neighbourhood: (dr, dc, cost in cells)
_DR = np.array([-1, 1, 0, 0, -1, -1, 1, 1], dtype=np.int64)
_DC = np.array([0, 0, -1, 1, -1, 1, -1, 1], dtype=np.int64)
_COST = np.array([1.0, 1.0, 1.0, 1.0, _SQRT2, _SQRT2, _SQRT2, _SQRT2], dtype=np.float64)


@numba.njit(cache=True)
def _move_ok(free: NDArray[np.bool_], r: int, c: int, k: int, dr: int, dc: int) -> bool:
    """Whether the move from free cell (r, c) by (dr, dc) stays on free cells (no corner cut)."""
    h, w = free.shape
    nr = r + dr
    nc = c + dc
    if nr < 0 or nr >= h or nc < 0 or nc >= w or not free[nr, nc]:
        return False
    if k >= 4 and (not free[r + dr, c] or not free[r, c + dc]):
        return False
    return True


# 16-neighbourhood for distance fields: the 8 above plus knight moves (cost sqrt 5). Its
# Dijkstra distances overestimate the any-angle shortest path by at most ~2.7% (8-connected:
# up to ~8%), which keeps SPL's shortest-path lengths honest.
_SQRT5 = float(np.sqrt(5.0))
_DR16 = np.concatenate([_DR, np.array([-2, -2, 2, 2, -1, 1, -1, 1], dtype=np.int64)])
_DC16 = np.concatenate([_DC, np.array([-1, 1, -1, 1, -2, -2, 2, 2], dtype=np.int64)])
_COST16 = np.concatenate([_COST, np.full(8, _SQRT5)])


@numba.njit(cache=True)
def _move16_ok(free: NDArray[np.bool_], r: int, c: int, k: int, dr: int, dc: int) -> bool:
    """Like :func:`_move_ok`, and a knight move also needs both cells its segment crosses."""
    if k < 8:
        return _move_ok(free, r, c, k, dr, dc)
    h, w = free.shape
    nr = r + dr
    nc = c + dc
    if nr < 0 or nr >= h or nc < 0 or nc >= w or not free[nr, nc]:
        return False
    if abs(dr) == 2:
        mr = r + dr // 2
        return bool(free[mr, c] and free[mr, nc])
    mc = c + dc // 2
    return bool(free[r, mc] and free[nr, mc])


@numba.njit(cache=True)
def _nearest_free_kernel(free: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Flat index of the (approximately Euclidean) nearest free cell for every cell, -1 if none.

    Vector propagation from all free cells with a heap keyed by squared distance to the source.
    """
    h, w = free.shape
    n = h * w
    src = np.full(n, -1, dtype=np.int64)
    best = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.bool_)
    keys = np.empty(9 * n + 8, dtype=np.float64)
    vals = np.empty(9 * n + 8, dtype=np.int64)
    size = 0
    for idx in range(n):
        if free[idx // w, idx % w]:
            src[idx] = idx
            best[idx] = 0.0
            size = _heap_push(keys, vals, size, 0.0, idx)
    while size > 0:
        key, idx, size = _heap_pop(keys, vals, size)
        if done[idx] or key > best[idx]:
            continue
        done[idx] = True
        r = idx // w
        c = idx - r * w
        s = src[idx]
        sr = s // w
        sc = s - sr * w
        for k in range(8):
            nr = r + _DR[k]
            nc = c + _DC[k]
            if nr < 0 or nr >= h or nc < 0 or nc >= w:
                continue
            nidx = nr * w + nc
            if done[nidx]:
                continue
            d2 = float((nr - sr) * (nr - sr) + (nc - sc) * (nc - sc))
            if d2 < best[nidx]:
                best[nidx] = d2
                src[nidx] = s
                size = _heap_push(keys, vals, size, d2, nidx)
    return src.reshape(h, w)


@numba.njit(cache=True)
def _dijkstra_kernel(
    free: NDArray[np.bool_], gr: int, gc: int, g0: float, res: float
) -> NDArray[np.float32]:
    """16-connected Dijkstra from free cell (gr, gc) seeded with ``g0`` m; (H, W) float32 m."""
    h, w = free.shape
    n = h * w
    dist = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.bool_)
    keys = np.empty(16 * n + 8, dtype=np.float64)
    vals = np.empty(16 * n + 8, dtype=np.int64)
    size = 0
    start = gr * w + gc
    dist[start] = g0
    size = _heap_push(keys, vals, size, g0, start)
    while size > 0:
        key, idx, size = _heap_pop(keys, vals, size)
        if done[idx]:
            continue
        done[idx] = True
        r = idx // w
        c = idx - r * w
        for k in range(16):
            if not _move16_ok(free, r, c, k, _DR16[k], _DC16[k]):
                continue
            nidx = (r + _DR16[k]) * w + c + _DC16[k]
            if done[nidx]:
                continue
            nd = key + _COST16[k] * res
            if nd < dist[nidx]:
                dist[nidx] = nd
                size = _heap_push(keys, vals, size, nd, nidx)
    return dist.astype(np.float32).reshape(h, w)


@numba.njit(cache=True)
def _astar_kernel(free: NDArray[np.bool_], sr: int, sc: int, gr: int, gc: int) -> NDArray[np.int64]:
    """8-connected A* (octile heuristic, cell units); flat cell indices start..goal, or empty."""
    h, w = free.shape
    n = h * w
    g = np.full(n, np.inf)
    parent = np.full(n, -1, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    keys = np.empty(8 * n + 8, dtype=np.float64)
    vals = np.empty(8 * n + 8, dtype=np.int64)
    size = 0
    start = sr * w + sc
    goal = gr * w + gc
    g[start] = 0.0
    dr0 = abs(gr - sr)
    dc0 = abs(gc - sc)
    h0 = max(dr0, dc0) + (_SQRT2 - 1.0) * min(dr0, dc0)
    size = _heap_push(keys, vals, size, h0, start)
    found = False
    while size > 0:
        _key, idx, size = _heap_pop(keys, vals, size)
        if closed[idx]:
            continue
        closed[idx] = True
        if idx == goal:
            found = True
            break
        r = idx // w
        c = idx - r * w
        gi = g[idx]
        for k in range(8):
            if not _move_ok(free, r, c, k, _DR[k], _DC[k]):
                continue
            nr = r + _DR[k]
            nc = c + _DC[k]
            nidx = nr * w + nc
            if closed[nidx]:
                continue
            ng = gi + _COST[k]
            if ng < g[nidx]:
                g[nidx] = ng
                parent[nidx] = idx
                ddr = abs(gr - nr)
                ddc = abs(gc - nc)
                hh = max(ddr, ddc) + (_SQRT2 - 1.0) * min(ddr, ddc)
                # tiny tie-break towards deeper nodes keeps the frontier narrow in open space
                size = _heap_push(keys, vals, size, ng + hh * (1.0 + 1e-7), nidx)
    if not found:
        return np.empty(0, dtype=np.int64)
    count = 1
    idx = goal
    while idx != start:
        idx = parent[idx]
        count += 1
    out = np.empty(count, dtype=np.int64)
    idx = goal
    for i in range(count - 1, -1, -1):
        out[i] = idx
        idx = parent[idx]
    return out


@numba.njit(cache=True)
def _line_of_sight(
    occupied: NDArray[np.uint8],
    near: NDArray[np.bool_],
    cs: float,
    radius: float,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
) -> bool:
    """Whether a robot disc of ``radius`` m can slide from (x0, y0) to (x1, y1) m.

    The segment is sampled every ``0.4 * min(cs, radius)`` m (both ends included); at each
    sample in a fine cell flagged ``near`` an obstacle, the exact disc-versus-cell-box test of
    :func:`robot.grid.clearance_ok` runs; samples outside the grid fail. Between samples the
    disc can intrude into an obstacle by at most ``r - sqrt(r**2 - (step / 2)**2)`` (0.3 mm for
    r = 0.18 m, cs = 0.05 m).
    """
    h, w = occupied.shape
    step = 0.4 * min(cs, radius) if radius > 0.0 else 0.4 * cs
    length = math.hypot(x1 - x0, y1 - y0)
    steps = max(1, int(math.ceil(length / step)))
    for i in range(steps + 1):
        t = i / steps
        x = x0 + (x1 - x0) * t
        y = y0 + (y1 - y0) * t
        if not (x >= 0.0 and y >= 0.0):
            return False
        fr = int(y / cs)
        fc = int(x / cs)
        if fr >= h or fc >= w:
            return False
        if near[fr, fc] and not _clearance_kernel(occupied, x, y, radius, cs):
            return False
    return True


@numba.njit(cache=True)
def _string_pull(
    occupied: NDArray[np.uint8],
    near: NDArray[np.bool_],
    cs: float,
    radius: float,
    pts: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Greedy forward string pulling of an (N, 2) polyline; consecutive vertices always stay."""
    n = pts.shape[0]
    if n <= 2:
        return pts.copy()
    keep = np.zeros(n, dtype=np.bool_)
    keep[0] = True
    keep[n - 1] = True
    anchor = 0
    j = 1
    while j < n - 1:
        if _line_of_sight(
            occupied, near, cs, radius, pts[anchor, 0], pts[anchor, 1], pts[j + 1, 0], pts[j + 1, 1]
        ):
            j += 1
        else:
            keep[j] = True
            anchor = j
            j = anchor + 1
    return pts[keep]


@numba.njit(cache=True)
def _geodesic_kernel(
    field: NDArray[np.float32],
    nearest: NDArray[np.int64],
    res: float,
    xs: NDArray[np.float64],
    ys: NDArray[np.float64],
    gx: float,
    gy: float,
    gr: int,
    gc: int,
) -> NDArray[np.float64]:
    h, w = field.shape
    m = xs.shape[0]
    out = np.full(m, np.inf)
    for i in range(m):
        x = xs[i]
        y = ys[i]
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        r = int(math.floor(y / res))
        c = int(math.floor(x / res))
        if r < 0 or r >= h or c < 0 or c >= w or not math.isfinite(field[r, c]):
            rr = min(max(r, 0), h - 1)
            cc = min(max(c, 0), w - 1)
            k = nearest[rr, cc]
            if k < 0:
                continue
            r = k // w
            c = k - r * w
        best = np.inf
        for dr in range(-1, 2):
            nr = r + dr
            if nr < 0 or nr >= h:
                continue
            for dc in range(-1, 2):
                nc = c + dc
                if nc < 0 or nc >= w:
                    continue
                v = float(field[nr, nc])
                if not math.isfinite(v):
                    continue
                cand = v + math.hypot(x - (nc + 0.5) * res, y - (nr + 0.5) * res)
                if cand < best:
                    best = cand
        if gr >= 0 and math.isfinite(best) and abs(r - gr) <= 1 and abs(c - gc) <= 1:
            best = min(best, math.hypot(x - gx, y - gy))
        out[i] = best
    return out


# --------------------------------------------------------------------------- public API


@dataclasses.dataclass(frozen=True)
class Path:
    """A planned path.

    Attributes:
        points: (N, 2) float64 waypoints (x, y) in metres, from the exact start point to the
            exact goal point (N >= 2).
        length: total polyline length, m.
    """

    points: NDArray[np.float64]
    length: float


def _coarse_blocked(
    fine_blocked: NDArray[np.bool_], cell_size: float, factor: int, radius: float
) -> NDArray[np.bool_]:
    """Coarse cells where a disc of ``radius`` m at the coarse centre touches a blocked fine cell.

    Args:
        fine_blocked: (H, W) bool fine occupancy (True = occupied); outside counts as occupied.
        cell_size: fine cell size, m. factor: fine cells per coarse cell. radius: m (>= 0).

    Returns:
        (ceil(H/factor), ceil(W/factor)) bool. A coarse cell also counts as blocked when any of
        its own fine cells is occupied.
    """
    h, w = fine_blocked.shape
    hc, wc = -(-h // factor), -(-w // factor)
    rc = radius / cell_size  # radius in fine cells
    m = int(math.ceil(rc)) + 1
    padded = np.ones((hc * factor + 2 * m, wc * factor + 2 * m), dtype=np.bool_)
    padded[m : m + h, m : m + w] = fine_blocked
    centre = factor / 2.0
    out = np.zeros((hc, wc), dtype=np.bool_)
    lim = rc * rc - 1e-9
    for di in range(-m, factor + m):
        dy = max(di - centre, 0.0, centre - (di + 1))
        for dj in range(-m, factor + m):
            dx = max(dj - centre, 0.0, centre - (dj + 1))
            inside = 0 <= di < factor and 0 <= dj < factor
            if not inside and dx * dx + dy * dy >= lim:
                continue
            out |= padded[
                m + di : m + di + hc * factor : factor, m + dj : m + dj + wc * factor : factor
            ]
    return out


class PlanningGrid:
    """A coarse grid of cells where the robot centre may be, built from an occupancy grid.

    Args:
        occupancy: (H, W) integer material ids, 0 = free, anything else blocks.
        cell_size: m per fine cell.
        robot_radius: m; the robot is a disc of this radius.
        resolution: requested planning cell size, m. The fine grid is downsampled by
            ``factor = max(1, round(resolution / cell_size))``, so the actual planning cell size
            is ``res = factor * cell_size``.
        margin: extra clearance added to ``robot_radius``, m (default 0).

    Attributes:
        factor: fine cells per coarse cell along each axis.
        res: coarse cell size, m.
        free: (Hc, Wc) bool, True where a robot disc centred at the coarse cell centre overlaps
            no occupied fine cell and stays inside the world (``Hc = ceil(H / factor)``).
        blocked: ``~free``.
        occupied: (H, W) uint8, 1 where the fine occupancy is non-free.
        near: (H, W) bool, fine cells within ``radius + 1.5`` fine cells of an obstacle or the
            border (where path segments need the exact clearance test).
        nearest: (Hc, Wc) int64 flat index (``row * Wc + col``) of the nearest free coarse cell
            (approximately Euclidean), -1 when there is no free cell at all.
    """

    def __init__(
        self,
        occupancy: NDArray[np.integer],
        cell_size: float,
        robot_radius: float,
        resolution: float = 0.1,
        margin: float = 0.0,
    ) -> None:
        occ = np.asarray(occupancy)
        if occ.ndim != 2 or occ.size == 0:
            raise ValueError(f"occupancy: expected a non-empty 2-D array, got shape {occ.shape}")
        if not (cell_size > 0 and math.isfinite(cell_size)):
            raise ValueError(f"cell_size: expected a finite value > 0, got {cell_size}")
        if not (robot_radius >= 0 and math.isfinite(robot_radius)):
            raise ValueError(f"robot_radius: expected a finite value >= 0, got {robot_radius}")
        if not (resolution > 0 and math.isfinite(resolution)):
            raise ValueError(f"resolution: expected a finite value > 0, got {resolution}")
        if not (margin >= 0 and math.isfinite(margin)):
            raise ValueError(f"margin: expected a finite value >= 0, got {margin}")
        self.cell_size = float(cell_size)
        self.robot_radius = float(robot_radius)
        self.margin = float(margin)
        self.fine_shape = (int(occ.shape[0]), int(occ.shape[1]))
        self.factor = max(1, int(round(resolution / cell_size)))
        self.res = self.factor * self.cell_size
        self.blocked: NDArray[np.bool_] = _coarse_blocked(
            occ != 0, self.cell_size, self.factor, self.robot_radius + self.margin
        )
        self.free: NDArray[np.bool_] = np.ascontiguousarray(~self.blocked)
        self.occupied: NDArray[np.uint8] = np.ascontiguousarray(occ != 0, dtype=np.uint8)
        # fine cells whose centre is within radius + 1.5 cells of an obstacle (or the outside):
        # only there can a robot centred anywhere in the cell touch an obstacle
        self.near: NDArray[np.bool_] = inflate(
            self.occupied != 0, (self.robot_radius + self.margin) / self.cell_size + 1.5
        )
        self.nearest: NDArray[np.int64] = _nearest_free_kernel(self.free)

    @classmethod
    def from_world(
        cls, world: World, robot_radius: float, resolution: float = 0.1, margin: float = 0.0
    ) -> PlanningGrid:
        """Build from a :class:`robot.world.World` (its occupancy and cell size)."""
        return cls(world.occupancy, world.cell_size, robot_radius, resolution, margin)

    @property
    def shape(self) -> tuple[int, int]:
        """Coarse grid shape (rows Hc, cols Wc)."""
        return (int(self.free.shape[0]), int(self.free.shape[1]))

    def to_cell(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the coarse cell containing point (x, y) m (may lie outside the grid)."""
        return (int(math.floor(y / self.res)), int(math.floor(x / self.res)))

    def to_xy(self, row: int, col: int) -> tuple[float, float]:
        """Centre (x, y) in metres of coarse cell (row, col)."""
        return ((col + 0.5) * self.res, (row + 0.5) * self.res)

    def in_bounds(self, row: int, col: int) -> bool:
        """Whether coarse cell (row, col) lies in the grid."""
        return 0 <= row < self.free.shape[0] and 0 <= col < self.free.shape[1]

    def is_free(self, x: float, y: float) -> bool:
        """Whether the coarse cell containing (x, y) m is free (False outside the grid)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return False
        r, c = self.to_cell(x, y)
        return self.in_bounds(r, c) and bool(self.free[r, c])

    def nearest_free(self, x: float, y: float) -> tuple[int, int] | None:
        """The free coarse cell nearest to (x, y) m: its own cell when free, else the nearest
        free cell to that cell (points outside the grid are clamped to the border cell first).
        None when the grid has no free cell or the point is not finite."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        r, c = self.to_cell(x, y)
        h, w = self.shape
        r = min(max(r, 0), h - 1)
        c = min(max(c, 0), w - 1)
        k = int(self.nearest[r, c])
        if k < 0:
            return None
        return (k // w, k % w)


def distance_field(grid: PlanningGrid, goal_xy: tuple[float, float]) -> NDArray[np.float32]:
    """Geodesic distance from every coarse cell centre to a goal point.

    16-connected Dijkstra on ``grid.free`` (steps ``res``, ``sqrt(2) res``, ``sqrt(5) res``,
    no diagonal step past a blocked orthogonal neighbour), seeded at the goal's nearest free
    cell with the Euclidean distance from the goal point to that cell's centre.

    Args:
        grid: the planning grid.
        goal_xy: goal (x, y), m.

    Returns:
        (Hc, Wc) float32 distances in metres; ``inf`` at blocked cells and cells that cannot
        reach the goal (all ``inf`` when the grid has no free cell).
    """
    gx, gy = float(goal_xy[0]), float(goal_xy[1])
    cell = grid.nearest_free(gx, gy)
    if cell is None:
        return np.full(grid.shape, np.inf, dtype=np.float32)
    cx, cy = grid.to_xy(*cell)
    out: NDArray[np.float32] = _dijkstra_kernel(
        grid.free, cell[0], cell[1], math.hypot(gx - cx, gy - cy), grid.res
    )
    return out


def lookup_many(
    field: NDArray[np.floating], rows: NDArray[np.integer], cols: NDArray[np.integer]
) -> NDArray[np.float64]:
    """Vectorised nearest-cell lookup of a field.

    Args:
        field: (Hc, Wc) distances (e.g. from :func:`distance_field`).
        rows, cols: integer cell indices of the same shape (any shape).

    Returns:
        float64 array of that shape: ``field[rows, cols]``, ``inf`` where out of the grid.
    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    r, c = np.broadcast_arrays(r, c)
    h, w = field.shape
    ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
    out = np.full(r.shape, np.inf, dtype=np.float64)
    out[ok] = field[r[ok], c[ok]]
    return out


def geodesic_many(
    grid: PlanningGrid,
    field: NDArray[np.float32],
    xs: NDArray[np.floating],
    ys: NDArray[np.floating],
    goal_xy: tuple[float, float] | None = None,
) -> NDArray[np.float64]:
    """Geodesic distances from many points to the field's goal, m.

    For each point: take its coarse cell (or, when that cell is blocked / unreachable / outside,
    the nearest free cell), and return the minimum over that cell's 3x3 neighbourhood of
    ``field[n] + |p - centre(n)|``. When ``goal_xy`` (the goal the field was built for) is
    given and the goal's cell is in that neighbourhood, the straight-line distance to the goal
    is also a candidate, so the value is 0 at the goal.

    Args:
        grid: the planning grid the field was computed on.
        field: (Hc, Wc) float32 from :func:`distance_field`.
        xs, ys: x and y in metres, same shape (any shape).
        goal_xy: optional goal (x, y), m.

    Returns:
        float64 distances in metres, shape of ``xs``; ``inf`` where the goal is unreachable.
    """
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    shape = x.shape
    f = np.ascontiguousarray(field, dtype=np.float32)
    if f.shape != grid.shape:
        raise ValueError(f"field: expected shape {grid.shape}, got {f.shape}")
    gx = gy = 0.0
    gr = gc = -1
    if goal_xy is not None:
        gx, gy = float(goal_xy[0]), float(goal_xy[1])
        cell = grid.nearest_free(gx, gy)
        if cell is not None:
            gr, gc = cell
    out: NDArray[np.float64] = _geodesic_kernel(
        f,
        grid.nearest,
        grid.res,
        np.ascontiguousarray(x.ravel()),
        np.ascontiguousarray(y.ravel()),
        gx,
        gy,
        gr,
        gc,
    )
    return out.reshape(shape)


def geodesic_distance(
    grid: PlanningGrid,
    field: NDArray[np.float32],
    x: float,
    y: float,
    goal_xy: tuple[float, float] | None = None,
) -> float:
    """Geodesic distance in metres from point (x, y) m to the field's goal.

    See :func:`geodesic_many` for the rule; ``inf`` when unreachable.
    """
    return float(geodesic_many(grid, field, np.array([x]), np.array([y]), goal_xy)[0])


def _drop_repeats(pts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Remove repeated consecutive vertices of an (N, 2) polyline, keeping both exact ends."""
    out = [pts[0]]
    for p in pts[1:-1]:
        if math.hypot(p[0] - out[-1][0], p[1] - out[-1][1]) > 1e-12:
            out.append(p)
    last = pts[-1]
    if len(out) > 1 and math.hypot(last[0] - out[-1][0], last[1] - out[-1][1]) <= 1e-12:
        out[-1] = last
    else:
        out.append(last)
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def astar(
    grid: PlanningGrid, start_xy: tuple[float, float], goal_xy: tuple[float, float]
) -> Path | None:
    """Shortest path between two points on the planning grid.

    8-connected A* (octile heuristic, no corner cutting) between the nearest free cells of the
    start and goal (cell centres), then greedy string pulling: a waypoint is dropped when the
    robot disc can slide along the segment that skips it (exact disc-versus-cell-box clearance
    against the fine occupancy, sampled every ``0.4 * min(cell_size, radius)``). The path
    therefore approximates the any-angle geodesic shortest path; its interior waypoints are
    free coarse cell centres, and its segments keep the robot radius from every obstacle
    (apart from the segments joining a start or goal that lies in a blocked cell).

    Args:
        grid: the planning grid.
        start_xy, goal_xy: (x, y) in metres. Points in blocked cells are joined by a straight
            segment to their nearest free cell.

    Returns:
        The :class:`Path` (points (N, 2) m from the exact start to the exact goal, length m),
        or None when the goal is unreachable from the start.
    """
    sx, sy = float(start_xy[0]), float(start_xy[1])
    gx, gy = float(goal_xy[0]), float(goal_xy[1])
    s = grid.nearest_free(sx, sy)
    g = grid.nearest_free(gx, gy)
    if s is None or g is None:
        return None
    cells = _astar_kernel(grid.free, s[0], s[1], g[0], g[1])
    if cells.shape[0] == 0:
        return None
    w = grid.shape[1]
    pts = np.empty((cells.shape[0] + 2, 2), dtype=np.float64)
    pts[0] = (sx, sy)
    pts[-1] = (gx, gy)
    pts[1:-1, 0] = (cells % w + 0.5) * grid.res
    pts[1:-1, 1] = (cells // w + 0.5) * grid.res
    for _ in range(3):
        smoothed = _string_pull(
            grid.occupied, grid.near, grid.cell_size, grid.robot_radius + grid.margin, pts
        )
        if smoothed.shape[0] == pts.shape[0]:
            break
        pts = smoothed
    pts = _drop_repeats(pts)
    length = float(np.sum(np.hypot(*np.diff(pts, axis=0).T)))
    return Path(points=pts, length=length)


def shortest_path_length(
    grid: PlanningGrid, start_xy: tuple[float, float], goal_xy: tuple[float, float]
) -> float:
    """Length in metres of :func:`astar`'s path, ``inf`` when the goal is unreachable."""
    path = astar(grid, start_xy, goal_xy)
    return math.inf if path is None else path.length
