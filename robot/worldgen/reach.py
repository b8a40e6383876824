"""Where a disc robot can be: the inflated free space, its reachable component, sampling.

The *free space* for a robot of radius ``r`` is every cell whose centre is more than ``r``
from every non-free cell centre (``~inflate(occupancy != 0, r / cell_size)``; outside the grid
counts as wall). The *reachable mask* of a world is the 4-connected component of the free
space that holds ``world.start``, or the largest component when the start is not free.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from robot.grid import clearance_ok, flood_fill, inflate, label_components
from robot.world import FREE, World
from robot.worldgen._raster import Grid, Mask

__all__ = [
    "free_space",
    "main_component",
    "reachable_mask",
    "approach_ok",
    "sample_free_point",
    "sample_free_pose",
    "APPROACH_DISTANCE",
]

#: A target is reachable when some reachable cell centre lies within this distance of its edge, m.
APPROACH_DISTANCE = 0.5

# (id(world), what, radius, clearance) -> (weak ref to the world, its occupancy array, the
# reachable mask the entry was made from, the entry)
_Entry = tuple["weakref.ref[World]", Grid, Mask, Mask]
_CACHE: dict[tuple[int, str, float, float], _Entry] = {}


def free_space(occupancy: Grid, robot_radius: float, cell_size: float) -> Mask:
    """(H, W) bool: cells where the centre of a disc of ``robot_radius`` m fits."""
    blocked = inflate(np.asarray(occupancy) != FREE, robot_radius / cell_size)
    out: Mask = ~blocked
    return out


def main_component(free: Mask, seed_cell: tuple[int, int] | None = None) -> Mask:
    """(H, W) bool: the component of ``free`` holding ``seed_cell`` if it is free, else the
    largest 4-connected component (all False when nothing is free)."""
    if seed_cell is not None:
        r, c = seed_cell
        if 0 <= r < free.shape[0] and 0 <= c < free.shape[1] and bool(free[r, c]):
            return flood_fill(free, (r, c))
    labels, n = label_components(free)
    if n == 0:
        return np.zeros(free.shape, dtype=np.bool_)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    counts[0] = 0
    out: Mask = labels == int(np.argmax(counts))
    return out


def _cached(world: World, what: str, radius: float, clearance: float) -> _Entry | None:
    hit = _CACHE.get((id(world), what, radius, clearance))
    if hit is None or hit[0]() is not world or hit[1] is not world.occupancy:
        return None
    return hit


def _store(world: World, what: str, radius: float, clearance: float, entry: _Entry) -> None:
    key = (id(world), what, radius, clearance)
    if key not in _CACHE:
        weakref.finalize(world, _CACHE.pop, key, None)
    _CACHE[key] = entry


def reachable_mask(world: World, robot_radius: float = 0.18) -> Mask:
    """(H, W) bool, read-only: the cells a robot of ``robot_radius`` m can reach from the start.

    The component of the inflated free space that holds ``world.start`` (the largest component
    if the start is not free). Cached per world and radius; the cache notices a replaced
    ``world.occupancy`` array and a start moved out of the mask (it is then recomputed), but
    not edits made to the occupancy in place (assign a new array instead).
    """
    radius = float(robot_radius)
    start = world.cell_of(world.start[0], world.start[1])
    inside = 0 <= start[0] < world.shape[0] and 0 <= start[1] < world.shape[1]
    hit = _cached(world, "mask", radius, 0.0)
    if hit is not None and (not inside or bool(hit[3][start])):
        return hit[3]
    free = free_space(world.occupancy, radius, world.cell_size)
    mask = main_component(free, start)
    mask.setflags(write=False)
    _store(world, "mask", radius, 0.0, (weakref.ref(world), world.occupancy, mask, mask))
    return mask


def approach_ok(
    reach: Mask,
    occupancy: Grid,
    x: float,
    y: float,
    radius: float,
    cell_size: float,
    distance: float = APPROACH_DISTANCE,
) -> bool:
    """Whether the robot can come within ``distance`` m of the edge of a disc.

    True when some cell of ``reach`` (H, W) is joined to the disc of ``radius`` m at
    (``x``, ``y``) m by a 4-connected path of at most ``ceil(distance / cell_size)`` free
    cells of ``occupancy`` (H, W): nothing, not even a thin wall, may lie in between.
    """
    h, w = reach.shape
    steps = int(math.ceil(distance / cell_size - 1e-9))
    lim = radius + (steps + 2) * cell_size
    r0, r1 = max(0, int((y - lim) / cell_size)), min(h, int((y + lim) / cell_size) + 1)
    c0, c1 = max(0, int((x - lim) / cell_size)), min(w, int((x + lim) / cell_size) + 1)
    if r1 <= r0 or c1 <= c0:
        return False
    dy = (np.arange(r0, r1) + 0.5) * cell_size - y
    dx = (np.arange(c0, c1) + 0.5) * cell_size - x
    d2 = dy[:, None] ** 2 + dx[None, :] ** 2
    goal = d2 <= (radius + cell_size) ** 2  # the disc and the ring of cells touching it
    passable = (occupancy[r0:r1, c0:c1] == FREE) | goal
    grown = reach[r0:r1, c0:c1] & passable
    for _ in range(steps):
        if bool((grown & goal).any()):
            return True
        nxt = grown.copy()
        nxt[1:] |= grown[:-1]
        nxt[:-1] |= grown[1:]
        nxt[:, 1:] |= grown[:, :-1]
        nxt[:, :-1] |= grown[:, 1:]
        grown = nxt & passable
    return bool((grown & goal).any())


def _pose_cells(
    occupancy: Grid, reach: Mask, robot_radius: float, min_clearance: float, cell_size: float
) -> Mask:
    """Reachable cells whose centre keeps ``min_clearance`` m more than the robot radius."""
    if min_clearance <= 0.0:
        return reach
    roomy: Mask = reach & free_space(occupancy, robot_radius + min_clearance, cell_size)
    return roomy if bool(roomy.any()) else reach


def pick_pose(
    occupancy: Grid,
    candidates: Mask,
    rng: np.random.Generator,
    robot_radius: float,
    cell_size: float,
    jitter: bool,
) -> tuple[float, float, float]:
    """A uniform cell of ``candidates`` (its centre, jittered within the cell when ``jitter``
    and the disc still clears every obstacle) and a uniform yaw in [-pi, pi)."""
    idx = np.flatnonzero(candidates)
    if idx.size == 0:
        raise RuntimeError("no reachable free cell to place the robot in")
    k = int(idx[int(rng.integers(idx.size))])
    row, col = divmod(k, candidates.shape[1])
    x, y = (col + 0.5) * cell_size, (row + 0.5) * cell_size
    jx, jy = rng.uniform(-0.5, 0.5, size=2) * cell_size
    yaw = float(rng.uniform(-math.pi, math.pi))
    if jitter and clearance_ok(occupancy, x + jx, y + jy, robot_radius, cell_size):
        x, y = x + jx, y + jy
    return (float(x), float(y), yaw)


def sample_free_point(
    world: World, rng: np.random.Generator, robot_radius: float = 0.18
) -> tuple[float, float]:
    """A point (x, y), m: the centre of a cell drawn uniformly from the reachable mask."""
    x, y, _ = pick_pose(
        world.occupancy,
        reachable_mask(world, robot_radius),
        rng,
        robot_radius,
        world.cell_size,
        jitter=False,
    )
    return (x, y)


def sample_free_pose(
    world: World,
    rng: np.random.Generator,
    robot_radius: float = 0.18,
    min_clearance: float = 0.1,
) -> tuple[float, float, float]:
    """A pose (x m, y m, yaw rad) drawn uniformly over the reachable cells.

    Cells whose centre keeps ``min_clearance`` m beyond the robot radius from every obstacle
    are preferred (all reachable cells when there are none). The position is jittered inside
    the cell when the disc of ``robot_radius`` still touches nothing; yaw is uniform in
    [-pi, pi).
    """
    radius, clearance = float(robot_radius), float(min_clearance)
    mask = reachable_mask(world, radius)
    hit = _cached(world, "pose", radius, clearance)
    if hit is not None and hit[2] is mask:
        cand = hit[3]
    else:
        cand = _pose_cells(world.occupancy, mask, radius, clearance, world.cell_size)
        _store(world, "pose", radius, clearance, (weakref.ref(world), world.occupancy, mask, cand))
    return pick_pose(world.occupancy, cand, rng, radius, world.cell_size, jitter=True)
