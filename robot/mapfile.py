"""A small text format for hand-made worlds.

A map file has header lines ``key: value``, then a line ``map:`` followed by the map rows,
one character per map cell, all rows the same width. The first row is the top of the world
(largest y); x grows to the right. Example (``robot/maps/example.txt`` is a fuller one)::

    name: tiny
    cell: 0.25
    wall_height: 1.0
    ; lines starting with ';' are comments (header only)
    map:
    ##########
    #S..c..R.#
    #...cc...#
    #.b.##.+.#
    ##########

Header keys (all optional):

- ``cell``: metres per map character (default 0.25); it must be a whole multiple of the
  simulation cell size (``cell_size`` argument of :func:`parse_map`, default 0.05 m), and each
  character becomes a square block of ``cell / cell_size`` sim cells on each side.
- ``wall_height``: m, in [0.1, 5] (default 1.0).
- ``name``: free text (default "map").

Characters:

====  ==========================================================
``#``  wall
``.``  floor, tile
``c``  floor, carpet
``g``  floor, gravel
``w``  floor, grass
``b``  box filling the block (half side ``cell / 2``)
``o``  pillar, a disc of radius ``0.4 * cell`` on tile
``R G B Y M C``  target of colour red, green, blue, yellow, magenta, cyan (disc of radius
       ``0.4 * cell`` on tile)
``S``  the start (tile): the robot starts at its centre facing +x (yaw 0), or at the nearest
       point within one map cell where it fits (next to a wall). Exactly one.
``+``  the goal marker (tile), stored as ``meta["goal"] = [x, y]``. At most one.
====  ==========================================================

The map must be enclosed by ``#`` (every character of the first and last rows and the first
and last character of every row). By default the loader checks that a robot of
``robot_radius`` can stand at ``S`` and reach every target (some free cell within 0.5 m of its
edge) and the goal. Every problem raises :class:`MapError` whose message starts with
``line L, column C:`` (1-based, in the text as given).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from robot.world import BOX, FREE, PILLAR, TARGET_BASE, WALL, World, WorldObject
from robot.worldgen._raster import stamp
from robot.worldgen.reach import approach_ok, free_space, main_component

__all__ = ["MapError", "load_map", "parse_map", "MAP_DIR", "MAP_CHARS", "HEADER_KEYS"]

#: Folder of the bundled maps (``load_map("example")`` reads ``MAP_DIR / "example.txt"``).
MAP_DIR = Path(__file__).resolve().parent / "maps"
#: Allowed header keys and their defaults.
HEADER_KEYS: dict[str, float | str] = {"cell": 0.25, "name": "map", "wall_height": 1.0}
_TERRAIN_CHARS = {".": 0, "c": 1, "g": 2, "w": 3, "S": 0, "+": 0}
_TARGET_CHARS = "RGBYMC"
#: Every character a map row may hold.
MAP_CHARS = "#" + "".join(_TERRAIN_CHARS) + "bo" + _TARGET_CHARS


class MapError(ValueError):
    """A map text is malformed. ``line`` and ``column`` (1-based) locate the problem."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column


def _header_value(key: str, value: str, line: int, column: int, cell_size: float) -> float | str:
    """Parse and check one header value."""
    if key == "name":
        if not value:
            raise MapError(line, column, "name: expected some text, got nothing")
        return value
    try:
        number = float(value)
    except ValueError:
        raise MapError(line, column, f"{key}: expected a number, got {value!r}") from None
    if key == "wall_height":
        if not (math.isfinite(number) and 0.1 <= number <= 5.0):
            raise MapError(line, column, f"wall_height: {value} is out of range; allowed [0.1, 5]")
        return number
    ratio = number / cell_size if math.isfinite(number) else math.nan
    if not (0.0 < number <= 5.0) or abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
        raise MapError(
            line,
            column,
            f"cell: {value} is not allowed; allowed a whole multiple of the simulation cell "
            f"size {cell_size:g} m in (0, 5] (e.g. {cell_size:g}, {5 * cell_size:g})",
        )
    return number


def parse_map(
    text: str,
    cell_size: float = 0.05,
    robot_radius: float = 0.18,
    check_reachable: bool = True,
) -> World:
    """Build a world from map text (see the module docstring for the format).

    Args:
        text: the map file's contents.
        cell_size: simulation cell size, m; the map ``cell`` must be a whole multiple of it.
        robot_radius: m, for the reachability check and the free space.
        check_reachable: check that the robot can reach every target and the goal from ``S``.

    Returns:
        A World (kind "map", seed -1) with (H, W) = (rows * k, width * k) cells,
        ``k = cell / cell_size``; ``meta``: ``name``, ``map_cell`` (m), ``goal`` ([x, y] m, when
        the map has ``+``), ``reachable`` (True when checked), ``robot_radius``.

    Raises:
        MapError: with "line L, column C: ..." for any problem in the text.
    """
    if not (math.isfinite(cell_size) and 0.005 <= cell_size <= 1.0):
        raise ValueError(f"cell_size: {cell_size!r} is out of range; allowed [0.005, 1]")
    lines = text.splitlines()
    header: dict[str, float | str] = {}
    map_line = -1
    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped or stripped.startswith(";"):
            continue
        indent = len(raw) - len(raw.lstrip()) + 1
        key, sep, value = stripped.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            raise MapError(
                i + 1,
                indent,
                "expected a header line 'key: value' or the line 'map:' before the map rows, "
                f"got {stripped!r}",
            )
        if key == "map":
            if value:
                raise MapError(
                    i + 1, indent, "'map:' must stand alone; rows start on the next line"
                )
            map_line = i
            break
        if key not in HEADER_KEYS:
            raise MapError(
                i + 1,
                indent,
                f"unknown header key {key!r}; allowed: {', '.join(sorted(HEADER_KEYS))}, map",
            )
        if key in header:
            raise MapError(i + 1, indent, f"header key {key!r} given twice")
        after = raw[raw.index(":") + 1 :]
        column = raw.index(":") + 2 + len(after) - len(after.lstrip())  # where the value starts
        header[key] = _header_value(key, value, i + 1, column, cell_size)
    if map_line < 0:
        raise MapError(len(lines) + 1, 1, "no 'map:' line; the map rows follow a line 'map:'")
    cell = float(header.get("cell", HEADER_KEYS["cell"]))
    wall_height = float(header.get("wall_height", HEADER_KEYS["wall_height"]))
    name = str(header.get("name", HEADER_KEYS["name"]))

    rows = lines[map_line + 1 :]
    while rows and not rows[-1].strip():
        rows.pop()
    first = map_line + 2  # line number of the first map row
    if len(rows) < 3:
        raise MapError(first + len(rows), 1, f"the map needs at least 3 rows, got {len(rows)}")
    width = len(rows[0])
    if width < 3:
        raise MapError(first, width + 1, f"the map needs at least 3 columns, got {width}")
    starts: list[tuple[int, int]] = []
    goals: list[tuple[int, int]] = []
    for i, row in enumerate(rows):
        if len(row) != width:
            raise MapError(
                first + i,
                min(len(row), width) + 1,
                f"row has {len(row)} characters, expected {width} like the first map row",
            )
        for j, ch in enumerate(row):
            if ch not in MAP_CHARS:
                raise MapError(
                    first + i,
                    j + 1,
                    f"unknown map character {ch!r}; allowed: {' '.join(MAP_CHARS)}",
                )
        edge = range(width) if i in (0, len(rows) - 1) else (0, width - 1)
        for j in edge:
            if row[j] != "#":
                raise MapError(
                    first + i,
                    j + 1,
                    f"missing border wall: got {row[j]!r}, the map must be enclosed by '#'",
                )
        starts += [(i, j) for j, ch in enumerate(row) if ch == "S"]
        goals += [(i, j) for j, ch in enumerate(row) if ch == "+"]
    if not starts:
        raise MapError(first, 1, "the map has no start 'S'; put exactly one 'S' on the floor")
    for marks, what in ((starts, "start 'S'"), (goals, "goal '+'")):
        if len(marks) > 1:
            (i0, j0), (i1, j1) = marks[0], marks[1]
            raise MapError(
                first + i1,
                j1 + 1,
                f"a second {what} (the first is at line {first + i0}, column {j0 + 1}); "
                "at most one is allowed",
            )

    k = int(round(cell / cell_size))
    n_rows = len(rows)
    chars = np.array([list(r) for r in reversed(rows)])  # (n_rows, width), row 0 = bottom
    block_occ = np.where(chars == "#", WALL, np.where(chars == "b", BOX, FREE)).astype(np.uint8)
    block_ter = np.zeros(chars.shape, dtype=np.uint8)
    for ch, cls in _TERRAIN_CHARS.items():
        block_ter[chars == ch] = cls
    occ = np.ascontiguousarray(np.repeat(np.repeat(block_occ, k, axis=0), k, axis=1))
    terrain = np.ascontiguousarray(np.repeat(np.repeat(block_ter, k, axis=0), k, axis=1))

    def centre(i: int, j: int) -> tuple[float, float]:
        """Centre (x, y) m of the block of map row i (from the top), column j."""
        return ((j + 0.5) * cell, (n_rows - i - 0.5) * cell)

    objects: list[WorldObject] = []
    where: list[tuple[int, int, str]] = []
    for i, row in enumerate(rows):
        for j, ch in enumerate(row):
            if ch in "bo" + _TARGET_CHARS:
                x, y = centre(i, j)
                if ch == "b":
                    obj = WorldObject("box", x, y, cell / 2, BOX)
                elif ch == "o":
                    obj = WorldObject("pillar", x, y, 0.4 * cell, PILLAR)
                else:
                    colour = _TARGET_CHARS.index(ch)
                    obj = WorldObject("target", x, y, 0.4 * cell, TARGET_BASE + colour, colour)
                if ch != "b":
                    stamp(occ, obj, cell_size)
                objects.append(obj)
                where.append((i, j, ch))
    sx, sy = _fit_start(occ, *centre(*starts[0]), cell, cell_size, robot_radius)
    world = World(
        occupancy=occ,
        terrain=terrain,
        cell_size=cell_size,
        wall_height=wall_height,
        objects=objects,
        start=(sx, sy, 0.0),
        seed=-1,
        kind="map",
    )
    world.meta = {"name": name, "map_cell": cell, "robot_radius": float(robot_radius)}
    if goals:
        world.meta["goal"] = list(centre(*goals[0]))
    if check_reachable:
        _check_reachable(world, robot_radius, starts[0], goals, where, first)
        world.meta["reachable"] = True
    return world


def _fit_start(
    occ: NDArray[np.uint8],
    x: float,
    y: float,
    cell: float,
    cell_size: float,
    robot_radius: float,
) -> tuple[float, float]:
    """The free-space cell centre nearest to (x, y) m within one map cell, else (x, y)."""
    free = free_space(occ, robot_radius, cell_size)
    r, c = int(y / cell_size), int(x / cell_size)
    if free[r, c]:
        return x, y
    k = int(math.ceil(cell / cell_size))
    r0, c0 = max(0, r - k), max(0, c - k)
    rows, cols = np.nonzero(free[r0 : r + k + 1, c0 : c + k + 1])
    if rows.size == 0:
        return x, y
    px, py = (cols + c0 + 0.5) * cell_size, (rows + r0 + 0.5) * cell_size
    d2 = (px - x) ** 2 + (py - y) ** 2
    best = int(np.argmin(d2))
    if d2[best] > cell * cell:
        return x, y
    return float(px[best]), float(py[best])


def _check_reachable(
    world: World,
    robot_radius: float,
    start: tuple[int, int],
    goals: list[tuple[int, int]],
    where: list[tuple[int, int, str]],
    first: int,
) -> None:
    """Raise MapError at the first target or goal the robot cannot reach from the start."""
    cs = world.cell_size
    free = free_space(world.occupancy, robot_radius, cs)
    start_cell = world.cell_of(world.start[0], world.start[1])
    if not free[start_cell]:
        raise MapError(
            first + start[0],
            start[1] + 1,
            f"no room at the start 'S' for a robot of radius {robot_radius:g} m; "
            "give it more floor around it",
        )
    reach = main_component(free, start_cell)
    for (i, j, ch), obj in zip(where, world.objects, strict=True):
        if obj.kind == "target" and not approach_ok(
            reach, world.occupancy, obj.x, obj.y, obj.size, cs
        ):
            raise MapError(
                first + i,
                j + 1,
                f"target {ch!r} cannot be reached from the start 'S' "
                f"(robot radius {robot_radius:g} m)",
            )
    if goals:
        gx, gy = world.meta["goal"]
        cell = float(world.meta["map_cell"])
        if not approach_ok(reach, world.occupancy, gx, gy, 0.0, cs, distance=cell / 2 + cs):
            raise MapError(
                first + goals[0][0],
                goals[0][1] + 1,
                f"the goal '+' cannot be reached from the start 'S' "
                f"(robot radius {robot_radius:g} m)",
            )


def load_map(
    path_or_text: str | os.PathLike[str],
    cell_size: float = 0.05,
    robot_radius: float = 0.18,
    check_reachable: bool = True,
) -> World:
    """Load a map from a file path, a bundled map name or map text.

    Args:
        path_or_text: a path (``str`` or ``PathLike``); the name of a bundled map in
            :data:`MAP_DIR` without ".txt" (e.g. "example"); or the map text itself (any
            string containing a newline).
        cell_size, robot_radius, check_reachable: as in :func:`parse_map`.

    Raises:
        FileNotFoundError: neither a file nor a bundled map of that name exists.
        MapError: the map is malformed ("line L, column C: ...").
    """
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return parse_map(path_or_text, cell_size, robot_radius, check_reachable)
    path = Path(path_or_text)
    if not path.is_file():
        bundled = MAP_DIR / f"{path_or_text}.txt"
        if isinstance(path_or_text, str) and bundled.is_file():
            path = bundled
        else:
            names = sorted(p.stem for p in MAP_DIR.glob("*.txt"))
            raise FileNotFoundError(
                f"map {str(path_or_text)!r}: no such file; bundled maps: {', '.join(names)}"
            )
    world = parse_map(path.read_text(encoding="utf-8"), cell_size, robot_radius, check_reachable)
    world.meta["source"] = str(path)
    return world
