"""Wall layouts made of rectangular rooms: recursive rooms, corridors with rooms, open halls.

Every layout is connected by construction: each wall that splits a region gets a doorway,
and every room opens onto a corridor. Walls are 0.1 m thick (see :data:`WALL_THICKNESS`).
"""

from __future__ import annotations

import numpy as np

from robot.world import WALL
from robot.worldgen._raster import Layout, carve_door, cells, wall_cells

__all__ = ["rooms_layout", "corridors_layout", "open_layout", "MIN_ROOM"]

#: Smallest room side, m.
MIN_ROOM = 2.0


def _empty(shape: tuple[int, int], cell_size: float, kind: str) -> Layout:
    """A layout with only the outer walls."""
    occ = np.zeros(shape, dtype=np.uint8)
    t = wall_cells(cell_size)
    occ[:t, :] = WALL
    occ[-t:, :] = WALL
    occ[:, :t] = WALL
    occ[:, -t:] = WALL
    return Layout(occ, np.zeros(shape, dtype=np.bool_), kind=kind)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether half-open rectangles (r0, r1, c0, c1) overlap."""
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def rooms_layout(
    rng: np.random.Generator, shape: tuple[int, int], cell_size: float, door_width: float
) -> Layout:
    """Recursive partition of the interior into rooms (side >= 2 m) joined by doorways.

    Args:
        rng: the world's generator. shape: (H, W) cells. cell_size: m. door_width: m.

    Returns:
        The layout; ``doors`` lists every doorway. The rooms form a tree, so all are connected.
    """
    lay = _empty(shape, cell_size, "rooms")
    h, w = shape
    t = wall_cells(cell_size)
    min_room = cells(MIN_ROOM, cell_size)
    door = cells(door_width, cell_size)
    margin = cells(0.3, cell_size)
    doors: list[tuple[int, int, int, int]] = []
    # inner walls by direction: a new wall must not line up with one across its end walls
    walls: dict[bool, list[tuple[int, int, int, int]]] = {True: [], False: []}
    stack = [(t, h - t, t, w - t)]
    while stack:
        r0, r1, c0, c1 = stack.pop()
        hh, ww = r1 - r0, c1 - c0
        can_rows, can_cols = hh >= 2 * min_room + t, ww >= 2 * min_room + t
        if not (can_rows or can_cols):
            continue
        if hh * ww * cell_size**2 < 30.0 and rng.random() < 0.3:
            continue  # leave some bigger rooms
        if can_rows and can_cols:
            p_rows = 0.8 if hh > ww else (0.2 if hh < ww else 0.5)
            split_rows = bool(rng.random() < p_rows)
        else:
            split_rows = can_rows
        lo, hi = (r0, r1) if split_rows else (c0, c1)
        for _ in range(8):
            p = int(rng.integers(lo + min_room, hi - min_room - t + 1))
            if split_rows:
                wall = (p, p + t, c0, c1)
                ends = (p - margin, p + t + margin, c0 - 1, c1 + 1)
                across = (p - margin, p + t + margin, c0 - t - 1, c1 + t + 1)
            else:
                wall = (r0, r1, p, p + t)
                ends = (r0 - 1, r1 + 1, p - margin, p + t + margin)
                across = (r0 - t - 1, r1 + t + 1, p - margin, p + t + margin)
            if not any(_overlaps(ends, d) for d in doors) and not any(
                _overlaps(across, o) for o in walls[split_rows]
            ):
                break
        else:
            continue  # every position would cut a doorway: keep the room whole
        lay.occupancy[wall[0] : wall[1], wall[2] : wall[3]] = WALL
        walls[split_rows].append(wall)
        length = (c1 - c0) if split_rows else (r1 - r0)
        dw = min(door, length - 2)
        d = int(rng.integers(0, length - dw + 1))
        if split_rows:
            rect = (p, p + t, c0 + d, c0 + d + dw)
            stack += [(r0, p, c0, c1), (p + t, r1, c0, c1)]
        else:
            rect = (r0 + d, r0 + d + dw, p, p + t)
            stack += [(r0, r1, c0, p), (r0, r1, p + t, c1)]
        doors.append(rect)
        carve_door(lay, *rect, across_rows=split_rows, cell_size=cell_size)
    return lay


def _partition(
    rng: np.random.Generator, lay: Layout, r0: int, r1: int, c0: int, c1: int, cell_size: float
) -> list[tuple[int, int]]:
    """Split the strip ``[r0:r1, c0:c1]`` into rooms 2-4 m wide; return their column ranges."""
    t = wall_cells(cell_size)
    min_room = cells(MIN_ROOM, cell_size)
    rooms: list[tuple[int, int]] = []
    a = c0
    while a < c1:
        rw = cells(float(rng.uniform(MIN_ROOM, 4.0)), cell_size)
        if c1 - (a + rw + t) < min_room:
            rooms.append((a, c1))
            break
        rooms.append((a, a + rw))
        lay.occupancy[r0:r1, a + rw : a + rw + t] = WALL
        a += rw + t
    return rooms


def corridors_layout(
    rng: np.random.Generator, shape: tuple[int, int], cell_size: float, door_width: float
) -> Layout:
    """One or two corridors 1.0-1.4 m wide along the long side, rooms beside them.

    Each room has a doorway onto a corridor; two corridors are joined by a connecting corridor
    through the rooms between them. Clutter is kept out of corridors and doorways.

    Args:
        rng: the world's generator. shape: (H, W) cells. cell_size: m. door_width: m.
    """
    h, w = shape
    transpose = h > w or (h == w and bool(rng.random() < 0.5))
    hh, ww = (w, h) if transpose else (h, w)
    lay = _empty((hh, ww), cell_size, "corridors")
    t = wall_cells(cell_size)
    min_room = cells(MIN_ROOM, cell_size)
    cw = cells(float(rng.uniform(1.0, 1.4)), cell_size)
    door = cells(door_width, cell_size)
    inner = hh - 2 * t
    n_corr = 1 if inner * cell_size < 11.0 else 2
    n_strips = n_corr + 1
    if inner < n_strips * min_room + n_corr * (cw + 2 * t):
        n_strips = n_corr  # the last corridor runs along the top wall
    spare = inner - n_corr * cw - (n_strips + n_corr - 1) * t
    weights = rng.uniform(0.8, 1.2, size=n_strips)
    depths = np.maximum(np.floor(spare * weights / weights.sum()).astype(int), min_room)
    depths[-1] = spare - int(depths[:-1].sum())
    if depths[-1] < min_room:
        depths[:] = spare // n_strips
        depths[-1] = spare - int(depths[:-1].sum())
    # bands bottom to top: strip, corridor, strip, corridor, [strip]
    bands: list[tuple[str, int, int]] = []
    y = t
    for i in range(n_strips + n_corr):
        size = int(depths[i // 2]) if i % 2 == 0 else cw
        bands.append(("strip" if i % 2 == 0 else "corr", y, y + size))
        y += size
        if i < n_strips + n_corr - 1:
            lay.occupancy[y : y + t, :] = WALL
            y += t
    corridors = [(b0, b1) for kind, b0, b1 in bands if kind == "corr"]
    for b0, b1 in corridors:
        lay.keepout[b0:b1, :] = True
    for i, (kind, b0, b1) in enumerate(bands):
        if kind != "strip":
            continue
        below = bands[i - 1] if i > 0 else None
        above = bands[i + 1] if i + 1 < len(bands) else None
        rooms: list[tuple[int, int]]
        if below is not None and above is not None:
            # between two corridors: a connecting corridor with rooms on both sides
            lo, hi = t + min_room + t, ww - t - min_room - t - cw
            cc = int(rng.integers(lo, hi + 1)) if hi >= lo else (ww - cw) // 2
            lay.occupancy[b0:b1, cc - t : cc] = WALL
            lay.occupancy[b0:b1, cc + cw : cc + cw + t] = WALL
            lay.occupancy[below[2] : above[1], cc : cc + cw] = 0
            lay.keepout[below[2] : above[1], cc : cc + cw] = True
            rooms = _partition(rng, lay, b0, b1, t, cc - t, cell_size)
            rooms += _partition(rng, lay, b0, b1, cc + cw + t, ww - t, cell_size)
        else:
            rooms = _partition(rng, lay, b0, b1, t, ww - t, cell_size)
        for rc0, rc1 in rooms:
            sides = [s for s in (below, above) if s is not None]
            if len(sides) == 2 and rng.random() < 0.7:
                sides = [sides[int(rng.integers(2))]]
            for side in sides:
                wr0 = b0 - t if side is below else b1
                dw = min(door, rc1 - rc0 - 2)
                d = int(rng.integers(rc0 + 1, rc1 - dw))
                carve_door(lay, wr0, wr0 + t, d, d + dw, across_rows=True, cell_size=cell_size)
    return lay.transposed() if transpose else lay


def open_layout(
    rng: np.random.Generator, shape: tuple[int, int], cell_size: float, door_width: float
) -> Layout:
    """One big hall, or two halls split across the long side and joined by 1-2 wide doorways.

    Args:
        rng: the world's generator. shape: (H, W) cells. cell_size: m. door_width: m.
    """
    lay = _empty(shape, cell_size, "clutter")
    h, w = shape
    t = wall_cells(cell_size)
    min_room = cells(MIN_ROOM + 1.0, cell_size)
    split_cols = w >= h
    length = w if split_cols else h
    across = h if split_cols else w
    if length - 2 * t >= 2 * min_room + t and rng.random() < 0.5:
        p = int(rng.integers(t + min_room, length - t - min_room - t + 1))
        if split_cols:
            lay.occupancy[:, p : p + t] = WALL
        else:
            lay.occupancy[p : p + t, :] = WALL
        dw = min(cells(max(door_width, 1.0), cell_size), (across - 2 * t) // 3)
        n_doors = 1 + int(rng.random() < 0.6)
        span = (across - 2 * t) // n_doors
        for k in range(n_doors):
            lo = t + k * span
            d = int(rng.integers(lo, lo + span - dw + 1))
            if split_cols:
                carve_door(lay, d, d + dw, p, p + t, across_rows=False, cell_size=cell_size)
            else:
                carve_door(lay, p, p + t, d, d + dw, across_rows=True, cell_size=cell_size)
    return lay
