"""A cache of task maps: worlds, their planning grids and goal distance fields.

Generating a world and planning on it costs milliseconds, a simulator step
microseconds; so each split holds a finite pool of maps (``n_maps``), built on first
use and kept, and each map a few goal candidates whose distance fields are computed
once. A reset then only draws a map, a goal and a start.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np
from numpy.typing import NDArray

from robot.planning import PlanningGrid, distance_field
from robot.world import World

__all__ = ["MapEntry", "MapCache", "MAP_CACHE"]


@dataclasses.dataclass
class MapEntry:
    """One map of a task.

    Attributes:
        world: the world.
        grid: its planning grid (robot radius inflated, coarse resolution).
        goals: (G, 2) goal candidates, m.
        fields: goal index -> (Hc, Wc) float32 geodesic distance field, m (lazily filled).
        start_cells: (N,) flat indices of free, goal-reachable coarse cells (starts).
        extras: task-specific values (e.g. target colours, cue colour).
    """

    world: World
    grid: PlanningGrid
    goals: NDArray[np.float64]
    fields: dict[int, NDArray[np.float32]] = dataclasses.field(default_factory=dict)
    start_cells: NDArray[np.int64] = dataclasses.field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )
    extras: dict[str, object] = dataclasses.field(default_factory=dict)

    def field(self, goal: int) -> NDArray[np.float32]:
        """The distance field of goal candidate ``goal`` (computed on first use)."""
        f = self.fields.get(goal)
        if f is None:
            gx, gy = self.goals[goal]
            f = distance_field(self.grid, (float(gx), float(gy)))
            self.fields[goal] = f
        return f


class MapCache:
    """An LRU cache of :class:`MapEntry` keyed by anything hashable (thread-safe).

    Args:
        capacity: maps kept; the least recently used beyond it are dropped.
    """

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, MapEntry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], MapEntry]) -> MapEntry:
        """The entry for ``key``, built with ``build()`` when absent."""
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return entry
        entry = build()
        with self._lock:
            self.misses += 1
            self._items[key] = entry
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return entry

    def clear(self) -> None:
        """Drop every cached map."""
        with self._lock:
            self._items.clear()


#: The process-wide map cache shared by every env instance (maps are immutable once built).
MAP_CACHE = MapCache()
