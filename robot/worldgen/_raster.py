"""Raster helpers shared by the world generators: cell counts, rectangles, discs and boxes.

Grids are indexed ``[row, col]``; row ``r`` covers ``y in [r*cs, (r+1)*cs)`` and column ``c``
covers ``x in [c*cs, (c+1)*cs)`` (``cs`` the cell size, m). An object covers the cells whose
centre lies inside its disc (pillars, targets) or its axis-aligned square (boxes).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import NDArray

from robot.world import FREE, WorldObject

Mask = NDArray[np.bool_]
Grid = NDArray[np.uint8]

#: Thickness of outer and inner walls, m.
WALL_THICKNESS = 0.1


def cells(length_m: float, cell_size: float) -> int:
    """The whole number of cells nearest to ``length_m`` metres (at least 1)."""
    return max(1, int(round(length_m / cell_size)))


def wall_cells(cell_size: float) -> int:
    """Wall thickness in cells (0.1 m rounded, at least 1)."""
    return cells(WALL_THICKNESS, cell_size)


def footprint(
    shape: tuple[int, int], kind: str, x: float, y: float, size: float, cell_size: float
) -> tuple[slice, slice, Mask]:
    """The cells covered by an object, clipped to the grid.

    Args:
        shape: grid shape (H, W).
        kind: "box" for an axis-aligned square of half side ``size``; anything else is a disc
            of radius ``size``.
        x, y: centre, m. size: m. cell_size: m per cell.

    Returns:
        ``(rows, cols, mask)``: the bounding slices and a bool mask of shape
        ``(len(rows), len(cols))``, True for cells whose centre lies inside the shape.
    """
    h, w = shape
    r0 = max(0, math.ceil((y - size) / cell_size - 0.5))
    r1 = min(h - 1, math.floor((y + size) / cell_size - 0.5))
    c0 = max(0, math.ceil((x - size) / cell_size - 0.5))
    c1 = min(w - 1, math.floor((x + size) / cell_size - 0.5))
    if r1 < r0 or c1 < c0:
        return slice(0, 0), slice(0, 0), np.zeros((0, 0), dtype=np.bool_)
    rows, cols = slice(r0, r1 + 1), slice(c0, c1 + 1)
    if kind == "box":
        return rows, cols, np.ones((r1 - r0 + 1, c1 - c0 + 1), dtype=np.bool_)
    dy = (np.arange(r0, r1 + 1) + 0.5) * cell_size - y
    dx = (np.arange(c0, c1 + 1) + 0.5) * cell_size - x
    mask: Mask = dy[:, None] ** 2 + dx[None, :] ** 2 <= size * size
    return rows, cols, mask


def bbox(
    shape: tuple[int, int], x: float, y: float, half: float, cell_size: float
) -> tuple[slice, slice]:
    """Row and column slices of the cells overlapping the square ``[x-half, x+half]^2`` m."""
    h, w = shape
    r0 = max(0, int(math.floor((y - half) / cell_size)))
    r1 = min(h, int(math.floor((y + half) / cell_size)) + 1)
    c0 = max(0, int(math.floor((x - half) / cell_size)))
    c1 = min(w, int(math.floor((x + half) / cell_size)) + 1)
    return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


def stamp(occupancy: Grid, obj: WorldObject, cell_size: float) -> None:
    """Rasterise ``obj`` into ``occupancy`` (in place) with its material id."""
    rows, cols, mask = footprint(occupancy.shape, obj.kind, obj.x, obj.y, obj.size, cell_size)
    occupancy[rows, cols][mask] = obj.material


def rasterise(layout: Grid, objects: list[WorldObject], cell_size: float) -> Grid:
    """A copy of ``layout`` (H, W) with every object stamped in."""
    occ = layout.copy()
    for obj in objects:
        stamp(occ, obj, cell_size)
    return occ


def fits(
    occupancy: Grid,
    keepout: Mask | None,
    kind: str,
    x: float,
    y: float,
    size: float,
    gap: float,
    cell_size: float,
) -> bool:
    """Whether an object (grown by ``gap`` m) covers only free cells outside ``keepout``."""
    rows, cols, mask = footprint(occupancy.shape, kind, x, y, size + gap, cell_size)
    if mask.size == 0:
        return False
    if bool((occupancy[rows, cols][mask] != FREE).any()):
        return False
    return keepout is None or not bool(keepout[rows, cols][mask].any())


@dataclasses.dataclass
class Layout:
    """The walls of a world before clutter, targets and terrain.

    Attributes:
        occupancy: (H, W) uint8, FREE or WALL.
        keepout: (H, W) bool, True where clutter must not go (doorways, corridors).
        spots: preferred target centres (x, y), m, used when open floor is scarce (mazes).
        doors: doorways as [x, y, width] in m (centre of the opening).
        kind: the generator that made it.
    """

    occupancy: Grid
    keepout: Mask
    spots: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    doors: list[list[float]] = dataclasses.field(default_factory=list)
    kind: str = "custom"

    def transposed(self) -> Layout:
        """The same layout mirrored across the diagonal (x and y swapped)."""
        return Layout(
            occupancy=np.ascontiguousarray(self.occupancy.T),
            keepout=np.ascontiguousarray(self.keepout.T),
            spots=[(y, x) for x, y in self.spots],
            doors=[[d[1], d[0], d[2]] for d in self.doors],
            kind=self.kind,
        )


def carve_door(
    layout: Layout, r0: int, r1: int, c0: int, c1: int, across_rows: bool, cell_size: float
) -> None:
    """Open the wall cells ``[r0:r1, c0:c1]`` as a doorway and keep clutter away from it.

    ``across_rows`` is True when the robot passes the door along y (a wall running along x).
    """
    layout.occupancy[r0:r1, c0:c1] = FREE
    depth, side = cells(0.9, cell_size), cells(0.15, cell_size)
    h, w = layout.occupancy.shape
    if across_rows:
        kr0, kr1, kc0, kc1 = r0 - depth, r1 + depth, c0 - side, c1 + side
        width = (c1 - c0) * cell_size
    else:
        kr0, kr1, kc0, kc1 = r0 - side, r1 + side, c0 - depth, c1 + depth
        width = (r1 - r0) * cell_size
    layout.keepout[max(0, kr0) : min(h, kr1), max(0, kc0) : min(w, kc1)] = True
    layout.doors.append([0.5 * (c0 + c1) * cell_size, 0.5 * (r0 + r1) * cell_size, width])
