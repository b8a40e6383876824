"""The static world a robot lives in: an occupancy grid of materials and a terrain grid.

Coordinates: metres, x to the right (columns), y up (rows). Cell ``(row, col)``
covers ``x in [col*cell, (col+1)*cell)``, ``y in [row*cell, (row+1)*cell)``.
Anything outside the grid counts as wall.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FREE",
    "WALL",
    "BOX",
    "PILLAR",
    "TARGET_BASE",
    "TARGET_COLOURS",
    "TARGET_NAMES",
    "MATERIAL_RGB",
    "MATERIAL_HEIGHT_FRACTION",
    "TERRAIN_RGB",
    "N_MATERIALS",
    "WorldObject",
    "World",
    "target_material",
]

# Material ids stored in World.occupancy (uint8).
FREE = 0
WALL = 1
BOX = 2
PILLAR = 3
TARGET_BASE = 4
TARGET_NAMES: tuple[str, ...] = ("red", "green", "blue", "yellow", "magenta", "cyan")
TARGET_COLOURS: tuple[tuple[int, int, int], ...] = (
    (220, 30, 30),
    (30, 200, 40),
    (40, 70, 230),
    (235, 215, 20),
    (210, 40, 210),
    (20, 210, 220),
)
N_MATERIALS = TARGET_BASE + len(TARGET_NAMES)

#: Base RGB of each material id, shape (N_MATERIALS, 3), uint8.
MATERIAL_RGB: NDArray[np.uint8] = np.array(
    [(0, 0, 0), (170, 160, 150), (150, 100, 50), (120, 120, 130), *TARGET_COLOURS], dtype=np.uint8
)
#: Height of each material as a fraction of the world's wall height, shape (N_MATERIALS,).
MATERIAL_HEIGHT_FRACTION: NDArray[np.float64] = np.array(
    [0.0, 1.0, 0.45, 0.8] + [0.6] * len(TARGET_NAMES), dtype=np.float64
)
#: Base RGB of each terrain class (tile, carpet, gravel, grass), shape (4, 3), uint8.
TERRAIN_RGB: NDArray[np.uint8] = np.array(
    [(200, 200, 190), (110, 60, 90), (125, 115, 100), (70, 140, 60)], dtype=np.uint8
)


def target_material(colour: int) -> int:
    """Material id of target colour index ``colour`` (0..5, see :data:`TARGET_NAMES`)."""
    if not 0 <= colour < len(TARGET_NAMES):
        raise ValueError(f"colour: {colour} out of range; allowed [0, {len(TARGET_NAMES) - 1}]")
    return TARGET_BASE + colour


@dataclasses.dataclass(frozen=True)
class WorldObject:
    """An object standing in the world (rasterised into the occupancy grid).

    Attributes:
        kind: "box", "pillar" or "target".
        x, y: centre, m. size: radius (pillar/target) or half side (box), m.
        material: material id in the occupancy grid.
        colour: target colour index (0..5) for targets, -1 otherwise.
    """

    kind: str
    x: float
    y: float
    size: float
    material: int
    colour: int = -1


@dataclasses.dataclass
class World:
    """One generated or loaded world.

    Attributes:
        occupancy: (H, W) uint8 material ids (0 free, 1 wall, 2 box, 3 pillar, 4+ targets).
        terrain: (H, W) uint8 terrain class per cell (0 tile, 1 carpet, 2 gravel, 3 grass).
        cell_size: m per cell.
        wall_height: m.
        objects: the objects rasterised into ``occupancy``.
        start: suggested start pose (x m, y m, yaw rad) in the reachable free space.
        seed: the seed the world was generated from (-1 if loaded from a file).
        kind: generator name or "map".
        meta: generator-specific extras (e.g. CueMaze arm positions), JSON-friendly.
    """

    occupancy: NDArray[np.uint8]
    terrain: NDArray[np.uint8]
    cell_size: float
    wall_height: float = 1.0
    objects: list[WorldObject] = dataclasses.field(default_factory=list)
    start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    seed: int = -1
    kind: str = "custom"
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occupancy.ndim != 2 or self.occupancy.dtype != np.uint8:
            raise ValueError("occupancy: expected a 2-D uint8 array")
        if self.terrain.shape != self.occupancy.shape or self.terrain.dtype != np.uint8:
            raise ValueError(
                f"terrain: expected uint8 of shape {self.occupancy.shape}, "
                f"got {self.terrain.dtype} {self.terrain.shape}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """Grid shape (rows H, cols W)."""
        return (int(self.occupancy.shape[0]), int(self.occupancy.shape[1]))

    @property
    def size_m(self) -> tuple[float, float]:
        """World extent (width x, height y) in metres."""
        return (self.occupancy.shape[1] * self.cell_size, self.occupancy.shape[0] * self.cell_size)

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the cell containing point (x, y) in metres."""
        return (int(np.floor(y / self.cell_size)), int(np.floor(x / self.cell_size)))

    def cell_centre(self, row: int, col: int) -> tuple[float, float]:
        """Centre (x, y) in metres of cell (row, col)."""
        return ((col + 0.5) * self.cell_size, (row + 0.5) * self.cell_size)

    def targets(self) -> list[WorldObject]:
        """The coloured target objects."""
        return [o for o in self.objects if o.kind == "target"]
