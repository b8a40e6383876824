"""Text map files: the bundled example, the format, and precise errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from robot.mapfile import MAP_DIR, MapError, load_map, parse_map
from robot.world import BOX, FREE, PILLAR, TARGET_BASE, WALL
from robot.worldgen import reachable_mask

GOOD = """\
name: tiny
cell: 0.25
wall_height: 1.5
map:
##########
#S..c..R.#
#...cc...#
#.b.gw.+o#
##########
"""


def _error(text: str, **kwargs: float) -> MapError:
    with pytest.raises(MapError) as info:
        parse_map(text, **kwargs)  # type: ignore[arg-type]
    return info.value


def _where(err: MapError) -> tuple[int, int]:
    m = re.match(r"line (\d+), column (\d+): ", str(err))
    assert m, str(err)
    assert (err.line, err.column) == (int(m.group(1)), int(m.group(2)))
    return err.line, err.column


def test_example_loads() -> None:
    world = load_map("example")
    assert world.shape == (20 * 5, 40 * 5)
    assert world.size_m == pytest.approx((10.0, 5.0))
    assert world.kind == "map" and world.seed == -1
    assert world.meta["name"] == "example" and world.meta["reachable"] is True
    assert len(world.targets()) == 4
    assert set(np.unique(world.terrain).tolist()) == {0, 1, 2, 3}
    assert reachable_mask(world)[world.cell_of(*world.start[:2])]
    same = load_map(MAP_DIR / "example.txt")
    assert np.array_equal(same.occupancy, world.occupancy)
    assert load_map(str(MAP_DIR / "example.txt")).meta["source"].endswith("example.txt")


def test_tiny_map_contents() -> None:
    world = parse_map(GOOD)
    k = 5  # 0.25 / 0.05
    assert world.shape == (5 * k, 10 * k) and world.wall_height == 1.5
    occ = world.occupancy
    # the first map row is the top of the world
    assert (occ[-k:, :] == WALL).all() and (occ[:k, :] == WALL).all()

    def block(i: int, j: int) -> np.ndarray:
        r = 5 - 1 - i
        return occ[r * k : (r + 1) * k, j * k : (j + 1) * k]

    assert (block(3, 2) == BOX).all()
    assert (block(3, 8) == PILLAR).any() and (block(3, 8) == FREE).any()
    assert (block(1, 7) == TARGET_BASE + 0).any()
    # S sits in a corner: the robot is moved to where it fits, within one map cell
    sx, sy, yaw = world.start
    assert abs(sx - 1.5 * 0.25) < 0.25 and abs(sy - 3.5 * 0.25) < 0.25 and yaw == 0.0
    assert reachable_mask(world)[world.cell_of(sx, sy)]
    assert world.meta["goal"] == pytest.approx([7.5 * 0.25, 1.5 * 0.25])
    ter = world.terrain
    assert ter[world.cell_of(4.5 * 0.25, 3.5 * 0.25)] == 1  # c carpet
    assert ter[world.cell_of(4.5 * 0.25, 1.5 * 0.25)] == 2  # g gravel
    assert ter[world.cell_of(5.5 * 0.25, 1.5 * 0.25)] == 3  # w grass
    fine = parse_map(GOOD, cell_size=0.025)
    assert fine.shape == (50, 100)


def test_unknown_character() -> None:
    text = GOOD.replace("#...cc...#", "#...cx...#")
    err = _error(text)
    assert _where(err) == (7, 6) and "'x'" in str(err)


def test_ragged_lines() -> None:
    short = GOOD.replace("#...cc...#", "#...cc..#")
    assert _where(_error(short)) == (7, 10)
    long = GOOD.replace("#...cc...#", "#...cc....#")
    assert _where(_error(long)) == (7, 11)
    blank = GOOD.replace("#...cc...#\n", "\n")
    assert _where(_error(blank)) == (7, 1)


def test_missing_border() -> None:
    top = GOOD.replace("map:\n##########", "map:\n####.#####")
    assert _where(_error(top)) == (5, 5)
    side = GOOD.replace("#S..c..R.#", "#S..c..R..")
    err = _error(side)
    assert _where(err) == (6, 10) and "enclosed" in str(err)
    bottom = GOOD[: GOOD.rindex("##########")] + "#########.\n"
    assert _where(_error(bottom)) == (9, 10)


def test_start_count() -> None:
    none = GOOD.replace("#S..c", "#...c")
    err = _error(none)
    assert _where(err) == (5, 1) and "no start" in str(err)
    two = GOOD.replace("#...cc...#", "#...ccS..#")
    err = _error(two)
    assert _where(err) == (7, 7) and "line 6, column 2" in str(err)
    goals = GOOD.replace("#...cc...#", "#...cc.+.#")
    err = _error(goals)
    assert _where(err) == (8, 8) and "line 7, column 8" in str(err)


def test_bad_header() -> None:
    err = _error(GOOD.replace("wall_height: 1.5", "height: 1.5"))
    assert _where(err) == (3, 1)
    assert "'height'" in str(err) and "wall_height" in str(err) and "cell" in str(err)
    err = _error(GOOD.replace("cell: 0.25", "cell:  0.33"))
    assert _where(err) == (2, 8) and "cell" in str(err) and "multiple" in str(err)
    err = _error(GOOD.replace("cell: 0.25", "cell: abc"))
    assert _where(err) == (2, 7) and "number" in str(err)
    err = _error(GOOD.replace("wall_height: 1.5", "wall_height: 9"))
    assert _where(err) == (3, 14) and "[0.1, 5]" in str(err)
    err = _error(GOOD.replace("name: tiny", "just words"))
    assert _where(err) == (1, 1)
    err = _error(GOOD.replace("map:\n", ""))
    assert _where(err) == (4, 1) and "'map:'" in str(err)
    err = _error(GOOD[: GOOD.index("map:")])
    assert _where(err) == (4, 1) and "no 'map:'" in str(err)
    err = _error(GOOD.replace("cell: 0.25", "cell: 0.25\ncell: 0.5"))
    assert _where(err) == (3, 1) and "twice" in str(err)


def test_unreachable_targets_and_goal() -> None:
    walled = GOOD.replace("#S..c..R.#", "#S..c.#R##").replace("#...cc...#", "#...cc.###")
    err = _error(walled)
    assert _where(err) == (6, 8) and "'R'" in str(err)
    assert parse_map(walled, check_reachable=False).targets()
    goal = GOOD.replace("#...cc...#", "#...cc####").replace("#.b.gw.+o#", "#.b.gw#+.#")
    err = _error(goal)
    assert _where(err) == (8, 8) and "goal" in str(err)
    cramped = GOOD.replace("#S..c", "#S#.c").replace("#...cc...#", "###.cc...#")
    err = _error(cramped)
    assert _where(err) == (6, 2) and "no room" in str(err)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="example"):
        load_map("no-such-map")
    path = tmp_path / "m.txt"
    path.write_text(GOOD.replace("#...cc...#", "#...c?...#"))
    with pytest.raises(MapError, match=r"^line 7, column 6: "):
        load_map(path)
