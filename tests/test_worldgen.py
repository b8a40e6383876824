"""Procedural worlds: determinism, sizes, reachability, targets, terrain, doors, CueMaze."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robot.grid import clearance_ok, inflate, largest_component
from robot.specs import WorldSpec
from robot.world import FREE, TARGET_BASE, WALL, World
from robot.worldgen import (
    approach_ok,
    generate_cuemaze,
    generate_world,
    reachable_mask,
    sample_free_point,
    sample_free_pose,
)

KINDS = ["rooms", "corridors", "maze", "clutter", "mixed"]
RADIUS = 0.18


def _check_reachable(world: World, radius: float = RADIUS) -> None:
    mask = reachable_mask(world, radius)
    cs = world.cell_size
    assert world.meta["reachable"] is True
    # the mask is the largest component of the inflated free space
    free = ~inflate(world.occupancy != FREE, radius / cs)
    assert np.array_equal(mask, largest_component(free))
    x, y, yaw = world.start
    assert mask[world.cell_of(x, y)]
    assert clearance_ok(world.occupancy, x, y, radius, cs)
    assert -math.pi <= yaw < math.pi
    for t in world.targets():
        assert approach_ok(mask, world.occupancy, t.x, t.y, t.size, cs, distance=0.5)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_world(kind: str) -> None:
    spec = WorldSpec(kind=kind)
    a, b = generate_world(spec, 11), generate_world(spec, 11)
    assert np.array_equal(a.occupancy, b.occupancy)
    assert np.array_equal(a.terrain, b.terrain)
    assert a.objects == b.objects and a.start == b.start and a.meta == b.meta
    c = generate_world(spec, 12)
    assert c.occupancy.shape != a.occupancy.shape or not np.array_equal(c.occupancy, a.occupancy)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_world_reachable(kind: str, seed: int) -> None:
    spec = WorldSpec(kind=kind, min_size=6.0, max_size=12.0, clutter=0.6, n_targets=4)
    world = generate_world(spec, seed)
    _check_reachable(world)
    h, w = world.shape
    for n in (h, w):
        assert 6.0 - 1e-9 <= n * spec.cell_size <= 12.0 + 1e-9
    assert world.occupancy.dtype == np.uint8 and world.terrain.dtype == np.uint8
    # outer walls at least 0.1 m thick
    t = round(0.1 / spec.cell_size)
    for border in (
        world.occupancy[:t],
        world.occupancy[-t:],
        world.occupancy[:, :t],
        world.occupancy[:, -t:],
    ):
        assert (border == WALL).all()
    assert world.kind in ("rooms", "corridors", "maze", "clutter")
    if kind != "mixed":
        assert world.kind == kind


@pytest.mark.parametrize("kind", KINDS)
def test_targets_distinct_and_rasterised(kind: str) -> None:
    for seed in range(4):
        world = generate_world(WorldSpec(kind=kind, n_targets=6), seed)
        targets = world.targets()
        assert len(targets) == 6
        assert sorted(t.colour for t in targets) == list(range(6))
        for t in targets:
            assert 0.12 <= t.size <= 0.18
            assert t.material == TARGET_BASE + t.colour
            assert world.occupancy[world.cell_of(t.x, t.y)] == t.material
            # away from walls: the robot fits between the target and the nearest wall
            assert clearance_ok(
                np.where(world.occupancy == t.material, 0, world.occupancy).astype(np.uint8),
                t.x,
                t.y,
                t.size + 0.1,
                world.cell_size,
            )


def test_sizes_within_range_and_rectangular() -> None:
    spec = WorldSpec(kind="mixed", min_size=7.0, max_size=19.0)
    sides = []
    for seed in range(12):
        world = generate_world(spec, seed)
        w, h = world.size_m
        assert 7.0 <= w <= 19.0 and 7.0 <= h <= 19.0
        sides.append((w, h))
    assert len(set(sides)) > 6 and any(abs(w - h) > 0.5 for w, h in sides)


def test_terrain_classes_appear() -> None:
    seen: set[int] = set()
    for seed in range(10):
        world = generate_world(WorldSpec(kind="rooms", terrain_patches=4.0), seed)
        seen |= set(np.unique(world.terrain[world.occupancy == FREE]).tolist())
    assert seen == {0, 1, 2, 3}
    flat = generate_world(WorldSpec(terrain_patches=0.0), 0)
    assert not flat.terrain.any()


def test_rooms_have_doorways_and_are_connected() -> None:
    for seed in range(6):
        spec = WorldSpec(kind="rooms", clutter=0.0, min_size=10.0, max_size=14.0)
        world = generate_world(spec, seed)
        doors = world.meta["doors"]
        assert len(doors) >= 2
        for x, y, width in doors:
            assert world.occupancy[world.cell_of(x, y)] == FREE
            assert width == pytest.approx(spec.door_width, abs=world.cell_size)
        # without clutter the free space forms one component (a few slivers at most)
        free = ~inflate(world.occupancy != FREE, RADIUS / world.cell_size)
        assert reachable_mask(world).sum() >= 0.98 * free.sum()


def test_clutter_scales_with_spec() -> None:
    few = [
        generate_world(WorldSpec(kind="clutter", clutter=0.1), s).meta["n_clutter"]
        for s in range(3)
    ]
    many = [
        generate_world(WorldSpec(kind="clutter", clutter=1.0), s).meta["n_clutter"]
        for s in range(3)
    ]
    assert sum(many) > 3 * sum(few)
    none = generate_world(WorldSpec(kind="rooms", clutter=0.0), 0)
    assert all(o.kind == "target" for o in none.objects)


def test_objects_rasterised() -> None:
    world = generate_world(WorldSpec(kind="clutter", clutter=0.8), 3)
    assert world.meta["n_clutter"] > 10
    for o in world.objects:
        assert world.occupancy[world.cell_of(o.x, o.y)] == o.material


def test_sampling_uniform_in_reachable() -> None:
    world = generate_world(WorldSpec(kind="maze"), 5)
    mask = reachable_mask(world)
    assert not mask.flags.writeable
    rng = np.random.default_rng(0)
    for _ in range(50):
        x, y, yaw = sample_free_pose(world, rng)
        assert mask[world.cell_of(x, y)]
        assert clearance_ok(world.occupancy, x, y, RADIUS, world.cell_size)
        px, py = sample_free_point(world, rng)
        assert mask[world.cell_of(px, py)]
    a = sample_free_pose(world, np.random.default_rng(3))
    assert a == sample_free_pose(world, np.random.default_rng(3))


def test_bad_radius_and_impossible_world() -> None:
    with pytest.raises(ValueError, match="robot_radius"):
        generate_world(WorldSpec(), 0, robot_radius=0.0)
    with pytest.raises(RuntimeError, match="no reachable"):
        generate_world(WorldSpec(kind="maze", min_size=6, max_size=6, n_targets=6), 7, 0.45)


def test_generation_speed() -> None:
    spec10 = WorldSpec(kind="rooms", min_size=10.0, max_size=10.0)
    spec20 = WorldSpec(kind="clutter", min_size=20.0, max_size=20.0)
    generate_world(spec10, 0)
    generate_world(spec20, 0)
    t10 = min(_timed(spec10, s) for s in range(5))
    t20 = min(_timed(spec20, s) for s in range(3))
    # targets are 30 ms and 100 ms; allow slack for a loaded test machine
    assert t10 < 0.06 and t20 < 0.2, (t10, t20)


def _timed(spec: WorldSpec, seed: int) -> float:
    t = time.perf_counter()
    generate_world(spec, seed)
    return time.perf_counter() - t


@pytest.mark.parametrize("colour", [0, 1])
def test_cuemaze(colour: int) -> None:
    for seed in range(5):
        world = generate_cuemaze(seed, cue_colour=colour)
        assert world.kind == "cuemaze"
        meta = world.meta
        assert meta["cue_colour"] == colour and meta["correct_arm"] == colour
        mask = reachable_mask(world)
        (lx, ly), (rx, ry) = meta["arms"]
        assert lx < rx and ly == pytest.approx(ry)
        jx, _ = meta["junction"]
        assert jx - lx == pytest.approx(rx - jx)  # equal arms
        for x, y in meta["arms"]:
            assert mask[world.cell_of(x, y)]
        # the robot starts at the stem's start facing north, the cue straight ahead, close by
        sx, sy, yaw = world.start
        assert [sx, sy] == meta["stem_start"] and yaw == pytest.approx(math.pi / 2)
        cx, cy = meta["cue"]
        assert cx == pytest.approx(sx) and 1.0 < cy - sy < 3.0
        cue_cells = world.occupancy == TARGET_BASE + colour
        rows, cols = np.nonzero(cue_cells)
        assert rows.size > 20
        assert (
            np.hypot((cols + 0.5) * world.cell_size - sx, (rows + 0.5) * world.cell_size - sy).max()
            < 3.0
        )
        # the cue is out of sight of the junction: a straight segment from the junction to
        # the cue crosses walls
        n = 400
        xs, ys = np.linspace(jx, cx, n), np.linspace(meta["junction"][1], cy, n)
        cells = world.occupancy[
            (ys / world.cell_size).astype(int), (xs / world.cell_size).astype(int)
        ]
        assert (cells == WALL).any()
        # the two arms look the same: mirrored occupancy and terrain around the junction
        r0, _ = world.cell_of(jx, ly)
        band = slice(r0 - 10, r0 + 10)
        lc, rc = world.cell_of(lx, ly)[1], world.cell_of(rx, ry)[1]
        assert np.array_equal(
            world.terrain[band, lc - 5 : lc + 5], world.terrain[band, rc - 5 : rc + 5][:, ::-1]
        )
        assert (world.occupancy[band, lc] == world.occupancy[band, rc]).all()
    a, b = generate_cuemaze(4, cue_colour=1), generate_cuemaze(4, cue_colour=1)
    assert np.array_equal(a.occupancy, b.occupancy) and a.meta == b.meta


def test_cuemaze_bad_arguments() -> None:
    with pytest.raises(ValueError, match="cue_colour"):
        generate_cuemaze(0, cue_colour=7)
    with pytest.raises(ValueError, match="corridor_width"):
        generate_cuemaze(0, cue_colour=0, corridor_width=0.4)


def test_cuemaze_colour_changes_only_the_cue() -> None:
    a, b = generate_cuemaze(9, cue_colour=0), generate_cuemaze(9, cue_colour=1)
    assert np.array_equal(a.terrain, b.terrain) and a.start == b.start
    differ = a.occupancy != b.occupancy
    assert differ.any()
    assert set(np.unique(a.occupancy[differ]).tolist()) == {TARGET_BASE}
    assert set(np.unique(b.occupancy[differ]).tolist()) == {TARGET_BASE + 1}
    assert a.meta["arms"] == b.meta["arms"] and a.meta["correct_arm"] != b.meta["correct_arm"]


def test_reachable_mask_cache() -> None:
    world = generate_world(WorldSpec(kind="rooms", clutter=0.0), 2)
    mask = reachable_mask(world)
    assert reachable_mask(world) is mask
    assert reachable_mask(world, 0.25) is not mask
    # a new occupancy array is noticed: wall off the left half
    occ = world.occupancy.copy()
    mid = occ.shape[1] // 2
    occ[:, mid : mid + 2] = WALL
    world.occupancy = occ
    x, y, _ = world.start
    on_left = world.cell_of(x, y)[1] < mid
    fresh = reachable_mask(world)
    assert fresh is not mask and fresh[world.cell_of(x, y)]
    assert not (fresh[:, mid:] if on_left else fresh[:, :mid]).any()
    # moving the start to the other side switches to that side's component
    rng = np.random.default_rng(0)
    side = slice(mid + 2, None) if on_left else slice(None, mid)
    cand = np.zeros_like(fresh)
    cand[:, side] = True
    rows, cols = np.nonzero(cand & ~inflate(occ != FREE, RADIUS / world.cell_size))
    k = int(rng.integers(rows.size))
    world.start = (*world.cell_centre(int(rows[k]), int(cols[k])), 0.0)
    other = reachable_mask(world)
    assert other[world.cell_of(*world.start[:2])] and not (other & fresh).any()
