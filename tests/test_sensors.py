"""Tests for the lidar and the camera against analytic answers in hand-built worlds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from robot import camera as camera_module
from robot.fan import cast_fan, quadrant_clearance
from robot.raycast import cast_ray, chebyshev_clearance
from robot.sim import Simulator
from robot.specs import CameraSpec, LidarSpec, RobotSpec, SimSpec, WorldSpec
from robot.world import (
    MATERIAL_RGB,
    TARGET_COLOURS,
    TARGET_NAMES,
    TERRAIN_RGB,
    WALL,
    World,
    target_material,
)

CELL = 0.05
FAST = settings(max_examples=40, deadline=None)
STILL = np.zeros((1, 2))


def room(rows: int, cols: int, terrain: int = 0, cell: float = CELL) -> World:
    """Free cells [1, rows-1) x [1, cols-1) inside one ring of wall cells."""
    occ = np.zeros((rows, cols), dtype=np.uint8)
    occ[0, :] = occ[-1, :] = occ[:, 0] = occ[:, -1] = WALL
    ter = np.full((rows, cols), terrain, dtype=np.uint8)
    return World(occ, ter, cell)


def box_exit_distance(
    x: float,
    y: float,
    angles: NDArray[np.floating[Any]],
    x0: float,
    x1: float,
    y0: float,
    y1: float,
) -> NDArray[np.float64]:
    """Distance from (x, y) inside [x0, x1] x [y0, y1] to its boundary along each angle."""
    dx, dy = np.cos(angles), np.sin(angles)
    with np.errstate(divide="ignore", over="ignore"):  # tiny |dy|: an inf, as meant
        tx = np.where(dx > 0, (x1 - x) / dx, np.where(dx < 0, (x0 - x) / dx, np.inf))
        ty = np.where(dy > 0, (y1 - y) / dy, np.where(dy < 0, (y0 - y) / dy, np.inf))
    return np.minimum(tx, ty)


def single(spec: SimSpec, world: World, pose: tuple[float, float, float], seed: int = 0):
    sim = Simulator(spec, batch_size=1)
    sim.reset([0], seeds=[seed], worlds=[world], poses=[pose])
    return sim


# ------------------------------------------------------------------------------ lidar
@FAST
@given(
    rows=st.integers(12, 120),
    cols=st.integers(12, 120),
    fx=st.floats(0.0, 1.0),
    fy=st.floats(0.0, 1.0),
    yaw=st.floats(-math.pi, math.pi),
    beams=st.integers(1, 200),
    full=st.booleans(),
    fov=st.floats(0.1, 2 * math.pi - 0.01),
)
def test_lidar_matches_analytic_room(
    rows: int, cols: int, fx: float, fy: float, yaw: float, beams: int, full: bool, fov: float
) -> None:
    """Noise-free ranges in a rectangular room equal the ray/rectangle distance to 1e-4 m."""
    x0, x1, y0, y1 = CELL, (cols - 1) * CELL, CELL, (rows - 1) * CELL
    x = x0 + 1e-3 + fx * (x1 - x0 - 2e-3)
    y = y0 + 1e-3 + fy * (y1 - y0 - 2e-3)
    fov = 2 * math.pi if full else fov
    spec = SimSpec(lidar=LidarSpec(beams=beams, fov=fov, max_range=20.0, noise_std=0.0))
    sim = single(spec, room(rows, cols), (x, y, yaw))
    ranges = sim.lidar()
    assert ranges.shape == (1, beams) and ranges.dtype == np.float32
    # Documented beam layout: evenly from -fov/2; a full circle does not repeat +pi.
    if full:
        rel = -math.pi + np.arange(beams) * (2 * math.pi / beams)
    else:
        rel = np.linspace(-fov / 2, fov / 2, beams) if beams > 1 else np.zeros(1)
    want = box_exit_distance(x, y, yaw + rel, x0, x1, y0, y1)
    np.testing.assert_allclose(ranges[0], want, atol=1e-4, rtol=0)


def slab_distances(
    occ: NDArray[np.uint8], cell: float, x: float, y: float, angles: NDArray[np.floating[Any]]
) -> NDArray[np.float64]:
    """Exact distance along each angle to the first non-free cell box (slab method)."""
    r, c = np.nonzero(occ)
    bx0, by0 = c * cell, r * cell
    bx1, by1 = bx0 + cell, by0 + cell
    dx, dy = np.cos(angles)[:, None], np.sin(angles)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        tx0, tx1 = (bx0 - x) / dx, (bx1 - x) / dx
        ty0, ty1 = (by0 - y) / dy, (by1 - y) / dy
    # A ray parallel to an axis: inside the slab -> (-inf, inf), outside -> never.
    inx = (bx0 <= x) & (x <= bx1)
    iny = (by0 <= y) & (y <= by1)
    tx_lo = np.where(dx == 0, np.where(inx, -np.inf, np.inf), np.minimum(tx0, tx1))
    tx_hi = np.where(dx == 0, np.where(inx, np.inf, -np.inf), np.maximum(tx0, tx1))
    ty_lo = np.where(dy == 0, np.where(iny, -np.inf, np.inf), np.minimum(ty0, ty1))
    ty_hi = np.where(dy == 0, np.where(iny, np.inf, -np.inf), np.maximum(ty0, ty1))
    t_in = np.maximum(tx_lo, ty_lo)
    t_out = np.minimum(tx_hi, ty_hi)
    hit = (t_in <= t_out) & (t_out > 0)
    out: NDArray[np.float64] = np.where(hit, np.maximum(t_in, 0.0), np.inf).min(axis=1)
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), density=st.sampled_from([0.002, 0.01, 0.05]))
def test_lidar_matches_exact_ray_box_distances_in_clutter(seed: int, density: float) -> None:
    """Random clutter (single cells and blocks): the DDA with clearance jumps finds the same
    first hit as an exact ray/box test against every occupied cell."""
    rng = np.random.default_rng(seed)
    w = room(90, 130)
    w.occupancy[rng.random(w.shape) < density] = target_material(1)
    for _ in range(4):
        r, c = rng.integers(2, 80), rng.integers(2, 120)
        w.occupancy[r : r + rng.integers(1, 8), c : c + rng.integers(1, 8)] = WALL
    while True:
        x, y = rng.uniform(0.1, 6.4), rng.uniform(0.1, 4.4)
        if w.occupancy[int(y / CELL), int(x / CELL)] == 0:
            break
    yaw = rng.uniform(-math.pi, math.pi)
    spec = SimSpec(lidar=LidarSpec(beams=180, max_range=8.0, noise_std=0.0))
    sim = single(spec, w, (x, y, yaw))
    rel = -math.pi + np.arange(180) * (2 * math.pi / 180)
    want = np.minimum(slab_distances(w.occupancy, CELL, x, y, yaw + rel), 8.0)
    np.testing.assert_allclose(sim.lidar()[0], want, atol=1e-4, rtol=0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    density=st.sampled_from([0.0, 0.01, 0.05, 0.3]),
    n=st.integers(1, 100),
    max_t=st.floats(0.05, 10.0),
    axis_aligned=st.booleans(),
    exact_zeros=st.booleans(),
    on_grid_line=st.booleans(),
)
def test_cast_fan_equals_cast_ray(
    seed: int,
    density: float,
    n: int,
    max_t: float,
    axis_aligned: bool,
    exact_zeros: bool,
    on_grid_line: bool,
) -> None:
    """The lockstep fan (the lidar's caster, with quadrant jumps) returns cast_ray's distance
    (Chebyshev jumps) for every ray, up to float64 rounding: random clutter, origins
    anywhere (inside obstacles and off the grid too), directions including the axes
    (exactly, or within rounding, as cos(pi) and sin(pi) give them), origins on grid lines
    (rays grazing a line, where rounding decides the cell), ranges that stop rays in
    mid-air. Rounding only: the two count a different number of boundary steps since their
    last jump, so a distance may differ in its last bits (1e-12 m is ~1,000 ulp at 10 m)."""
    rng = np.random.default_rng(seed)
    w = room(int(rng.integers(3, 60)), int(rng.integers(3, 60)))
    w.occupancy[rng.random(w.shape) < density] = target_material(1)
    clear = chebyshev_clearance(w.occupancy)
    rows, cols = w.shape
    x, y = rng.uniform(-0.2, cols * CELL + 0.2), rng.uniform(-0.2, rows * CELL + 0.2)
    if on_grid_line:
        x, y = int(rng.integers(0, cols)) * CELL, int(rng.integers(0, rows)) * CELL
    angles = rng.uniform(-math.pi, math.pi, n)
    if axis_aligned:
        angles[: n // 2] = rng.choice([0.0, math.pi / 2, math.pi, -math.pi / 2], n // 2)
    dxs, dys = np.cos(angles), np.sin(angles)
    if axis_aligned and exact_zeros:  # as a heading of 0 gives for the side beams
        dxs[np.abs(dxs) < 1e-12] = 0.0
        dys[np.abs(dys) < 1e-12] = 0.0
    out = np.full(n, np.nan)
    quad = quadrant_clearance(w.occupancy)
    cast_fan(quad, rows, cols, CELL, x, y, dxs, dys, max_t, out, *fan_scratch(n))
    want = np.array(
        [
            cast_ray(w.occupancy, clear, rows, cols, CELL, x, y, dx, dy, max_t, False)[0]
            for dx, dy in zip(dxs, dys, strict=True)
        ]
    )
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-12)
    # No hit and inside an obstacle are the same constants, exactly.
    assert ((out == max_t) == (want == max_t)).all()
    assert ((out == 0.0) == (want == 0.0)).all()


def fan_scratch(n: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The work space :func:`robot.fan.cast_fan` takes for ``n`` rays."""
    return np.empty((7, n)), np.empty((5, n), dtype=np.int64)


def quadrant_reference(occ: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Brute force: for each free cell and quadrant, grow the corner square while it stays
    on the grid and free."""
    h, w = occ.shape
    out = np.zeros((4, h, w), dtype=np.uint8)
    for q in range(4):
        sx, sy = (-1 if q & 1 else 1), (-1 if q & 2 else 1)
        for r in range(h):
            for c in range(w):
                k = 0
                while k < 255:
                    r_end, c_end = r + sy * k, c + sx * k  # the square's far row and column
                    if not (0 <= r_end < h and 0 <= c_end < w):
                        break
                    rs = slice(min(r, r_end), max(r, r_end) + 1)
                    cs = slice(min(c, c_end), max(c, c_end) + 1)
                    if occ[rs, cs].any():
                        break
                    k += 1
                out[q, r, c] = k
    return out


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    rows=st.integers(1, 24),
    cols=st.integers(1, 24),
    density=st.sampled_from([0.0, 0.05, 0.2, 0.6]),
)
def test_quadrant_clearance_matches_brute_force(
    seed: int, rows: int, cols: int, density: float
) -> None:
    """Each quadrant's corner square is as large as the free, on-grid cells allow, and at
    least the Chebyshev clearance (the centred square it generalises)."""
    rng = np.random.default_rng(seed)
    occ = (rng.random((rows, cols)) < density).astype(np.uint8)
    quad = quadrant_clearance(occ)
    assert quad.shape == (4, rows, cols) and quad.dtype == np.uint8
    np.testing.assert_array_equal(quad, quadrant_reference(occ))
    assert (quad >= chebyshev_clearance(occ)[None]).all()


def test_quadrant_clearance_caps_at_255() -> None:
    """An empty 300 x 300 grid: the corner square of (0, 0) towards +x+y is 300 cells wide,
    stored as 255; towards -x-y it is the cell itself."""
    quad = quadrant_clearance(np.zeros((300, 300), dtype=np.uint8))
    assert quad[0, 0, 0] == 255 and quad[3, 0, 0] == 1 and quad[3, 299, 299] == 255


@pytest.mark.timeout(120)  # the bug this guards against never returned
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_ray_along_a_grid_line_ends(sign: float) -> None:
    """A ray from a point on a grid line that runs along it within rounding (the rear beam,
    at -pi, of a robot heading 0: dy = -1.2e-16) can land a clearance jump on the wrong side of
    the line. It must still walk forwards and stop at the wall (it once jumped back and
    forth for ever)."""
    w = room(40, 100)
    clear = chebyshev_clearance(w.occupancy)
    x, y = 1.3, 0.9  # y on the line between rows 17 and 18
    dx, dy = -1.0, sign * math.sin(math.pi)
    t = cast_ray(w.occupancy, clear, 40, 100, CELL, x, y, dx, dy, 10.0, False)[0]
    assert t == pytest.approx(x - CELL, abs=1e-9)  # the wall cells of column 0 end at x = 0.05
    out = np.full(1, np.nan)
    dxs, dys = np.array([dx]), np.array([dy])
    quad = quadrant_clearance(w.occupancy)
    cast_fan(quad, 40, 100, CELL, x, y, dxs, dys, 10.0, out, *fan_scratch(1))
    assert out[0] == pytest.approx(t, abs=1e-12)


def test_lidar_beam_order_and_heading() -> None:
    """Full circle, 4 beams, facing +x in an off-centre room: back, right, ahead, left."""
    rows, cols = 40, 100  # free x in [0.05, 4.95], y in [0.05, 1.95]
    spec = SimSpec(lidar=LidarSpec(beams=4, max_range=20.0, noise_std=0.0))
    sim = single(spec, room(rows, cols), (1.05, 0.55, 0.0))
    np.testing.assert_allclose(sim.lidar()[0], [1.0, 0.5, 3.9, 1.4], atol=1e-5)


def test_lidar_max_range_clipping() -> None:
    spec = SimSpec(lidar=LidarSpec(beams=90, max_range=1.0, noise_std=0.0))
    x, y, yaw = 1.3, 0.9, 0.4
    sim = single(spec, room(40, 100), (x, y, yaw))
    ranges = sim.lidar()[0]
    rel = -math.pi + np.arange(90) * (2 * math.pi / 90)
    want = box_exit_distance(x, y, yaw + rel, CELL, 99 * CELL, CELL, 39 * CELL)
    np.testing.assert_allclose(ranges, np.minimum(want, 1.0), atol=1e-5)
    assert (ranges == np.float32(1.0)).sum() == (want >= 1.0).sum() > 0
    # Noise never pushes a reading past max_range or below 0.
    noisy = single(spec.replace(lidar=spec.lidar.replace(noise_std=0.5)), room(40, 100), (x, y, 0))
    for _ in range(20):
        noisy.step(STILL)
        r = noisy.lidar()
        assert r.min() >= 0.0 and r.max() <= 1.0


def test_lidar_full_dropout_reads_max_range() -> None:
    spec = SimSpec(lidar=LidarSpec(beams=64, max_range=3.5, dropout=1.0))
    sim = single(spec, room(30, 30), (0.7, 0.7, 0.0))
    for _ in range(3):
        assert (sim.lidar() == np.float32(3.5)).all()
        sim.step(STILL)


def test_lidar_noise_and_dropout_statistics() -> None:
    """Residuals against the noise-free ranges: mean ~0, std ~noise_std; dropout rate ~p."""
    rows, cols, pose = 80, 80, (2.0, 2.0, 0.3)
    clean = single(SimSpec(lidar=LidarSpec(noise_std=0.0)), room(rows, cols), pose).lidar()[0]
    assert clean.min() > 0.5  # so the noise is never clipped at 0
    sim = single(SimSpec(lidar=LidarSpec(noise_std=0.05)), room(rows, cols), pose, seed=5)
    drop = single(SimSpec(lidar=LidarSpec(noise_std=0.0, dropout=0.3)), room(rows, cols), pose)
    res, dropped = [], []
    for _ in range(150):  # robot stands still; every step draws fresh noise
        sim.step(STILL)
        drop.step(STILL)
        res.append(sim.lidar()[0] - clean)
        dropped.append(drop.lidar()[0] == np.float32(6.0))
    r = np.array(res, dtype=np.float64)
    assert abs(r.mean()) < 4 * 0.05 / math.sqrt(r.size)
    assert r.std() == pytest.approx(0.05, rel=0.05)
    # Noise is independent across beams and steps.
    assert abs(np.corrcoef(r[:, 0], r[:, 1])[0, 1]) < 0.25
    assert abs(np.corrcoef(r[:-1, 0], r[1:, 0])[0, 1]) < 0.25
    assert np.mean(dropped) == pytest.approx(0.3, abs=0.03)


# ----------------------------------------------------------------------------- camera
def wall_scene(d: float, rows: int = 360, cell: float = 0.1, terrain: int = 0) -> World:
    """Free floor with a wall (the last grid column) spanning the whole height; the robot
    will stand ``d`` m in front of it, mid-height, facing +x."""
    cols = int(round((d + 1.0) / cell)) + 1
    occ = np.zeros((rows, cols), dtype=np.uint8)
    occ[:, -1] = WALL
    return World(occ, np.full((rows, cols), terrain, dtype=np.uint8), cell)


def wall_rows(height: int, focal: float, wall_h: float, mount: float, d: float) -> set[int]:
    top = height / 2 - focal * (wall_h - mount) / d
    bot = height / 2 + focal * mount / d
    return {r for r in range(height) if top <= r + 0.5 < bot}


def facing_wall(d: float, camera: CameraSpec, wall_h: float) -> Simulator:
    """A robot d m in front of a wall spanning the whole view of ``camera`` (fov <= 2 rad;
    10 cm cells)."""
    cell = 0.1
    rows = 2 * int(math.ceil(d * math.tan(camera.fov / 2) / cell)) + 40
    spec = SimSpec(camera=camera, world=WorldSpec(cell_size=cell, wall_height=wall_h))
    world = wall_scene(d, rows=rows, cell=cell)
    wall_x = (world.shape[1] - 1) * cell
    return single(spec, world, (wall_x - d, rows * cell / 2 + 0.37, 0.0))


@settings(max_examples=40, deadline=None)
@given(
    d=st.floats(0.4, 5.0),
    width=st.integers(8, 96),
    height=st.integers(8, 96),
    fov=st.floats(0.3, 2.0),
    mount=st.floats(0.05, 0.6),
    wall_h=st.floats(0.7, 2.5),
)
def test_camera_wall_rows_and_depth(
    d: float, width: int, height: int, fov: float, mount: float, wall_h: float
) -> None:
    """A perpendicular wall d m ahead fills exactly the predicted rows of every column."""
    focal = (width / 2) / math.tan(fov / 2)
    top = height / 2 - focal * (wall_h - mount) / d
    bot = height / 2 + focal * mount / d
    # Skip near-ties between a pixel centre and a band edge: there rounding decides, and the
    # floor pixel just below the band sits at a floor distance within 1e-4 m of d.
    assume(abs(top - 0.5 - round(top - 0.5)) > 1e-3 and abs(bot - 0.5 - round(bot - 0.5)) > 1e-3)
    camera = CameraSpec(width=width, height=height, fov=fov, mount_height=mount, max_range=50)
    sim = facing_wall(d, camera, wall_h)
    rgb, depth = sim.camera_depth()
    assert rgb.shape == (1, 3, height, width) and depth.shape == (1, 1, height, width)
    assert np.array_equal(sim.camera(), rgb)  # the RGB does not depend on asking for depth
    want = wall_rows(height, focal, wall_h, mount, d)
    centre = width // 2
    got = {r for r in range(height) if abs(depth[0, 0, r, centre] - d) < 1e-4}
    assert got == want
    # Spans the full view: every column shows the same band at the same depth.
    band = np.abs(depth[0, 0] - d) < 1e-4
    assert (band == band[:, centre : centre + 1]).all()
    # Wall pixels are the wall's grey (possibly darker at a seam), above is the ceiling.
    rows_sorted = sorted(want)
    if rows_sorted:
        px = rgb[0, :, rows_sorted[len(rows_sorted) // 2], centre].astype(float)
        base = MATERIAL_RGB[WALL].astype(float)
        ratio = px / base
        assert np.ptp(ratio) < 0.03 and 0.0 < ratio.mean() <= 1.0
        ceiling = [r for r in range(height) if r + 0.5 < top]
        for r in ceiling:
            assert rgb[0, :, r, centre].tolist() == [int(v) for v in camera_module._CEILING]
            assert depth[0, 0, r, centre] == pytest.approx(50.0)


@settings(max_examples=40, deadline=None)
@given(
    d=st.floats(0.4, 5.0),
    width=st.integers(8, 96),
    height=st.integers(8, 96),
    fov=st.floats(0.3, 2.0),
    mount=st.floats(0.05, 0.6),
)
def test_cylindrical_camera_wall_rows_and_depth(
    d: float, width: int, height: int, fov: float, mount: float
) -> None:
    """Cylindrical projection: columns evenly spaced in bearing, each a pinhole of focal
    W / fov px seeing a perpendicular wall d m ahead at range d / cos(bearing)."""
    cam = camera_module.CameraModel(CameraSpec(width=width, fov=fov, projection="cylindrical"))
    assert np.allclose(np.diff(cam.angle), -fov / width)  # left (+) to right, evenly
    assert cam.angle[0] == pytest.approx(fov / 2 - fov / width / 2)
    assert cam.angle[0] == pytest.approx(-cam.angle[-1])
    focal, wall_h = width / fov, 1.0
    camera = CameraSpec(
        width=width,
        height=height,
        fov=fov,
        mount_height=mount,
        max_range=50,
        projection="cylindrical",
    )
    _, depth = facing_wall(d, camera, wall_h).camera_depth()
    checked = 0
    for c in (0, width // 2, width - 1):
        rng = d / math.cos(cam.angle[c])
        top = height / 2 - focal * (wall_h - mount) / rng
        bot = height / 2 + focal * mount / rng
        if min(abs(e - 0.5 - round(e - 0.5)) for e in (top, bot)) < 1e-3:
            continue  # a pixel centre on a band edge: rounding decides
        got = {r for r in range(height) if abs(depth[0, 0, r, c] - rng) < 1e-4}
        assert got == wall_rows(height, focal, wall_h, mount, rng), c
        checked += 1
    assume(checked > 0)


@pytest.mark.parametrize("bearing", [math.pi * 0.9, -math.pi * 0.9, math.pi / 2, 0.0])
def test_all_round_cylindrical_camera_sees_behind(bearing: float) -> None:
    """A 2 pi cylindrical camera sees a target block at any bearing, in the column whose
    bearing is nearest the block's; a pi/2 pinhole sees it only ahead."""
    w = room(160, 160)
    rx, ry, d = 4.0, 4.0, 2.0
    bx, by = rx + d * math.cos(bearing), ry + d * math.sin(bearing)
    r0, c0 = int(by / CELL) - 3, int(bx / CELL) - 3
    w.occupancy[r0 : r0 + 6, c0 : c0 + 6] = target_material(0)
    for projection, fov in (("cylindrical", 2 * math.pi), ("pinhole", math.pi / 2)):
        spec = SimSpec(camera=CameraSpec(width=64, height=32, fov=fov, projection=projection))
        material, _ = single(spec, w, (rx, ry, 0.0)).camera_objects()
        cols = np.flatnonzero(material[0] == target_material(0))
        if projection == "pinhole" and abs(bearing) > fov / 2:
            assert cols.size == 0
            continue
        angle = camera_module.CameraModel(spec.camera).angle
        nearest = int(np.argmin(np.abs(np.angle(np.exp(1j * (angle - bearing))))))
        assert nearest in cols.tolist()


@pytest.mark.parametrize("colour", range(len(TARGET_NAMES)))
def test_camera_sees_target_colour(colour: int) -> None:
    """A target block 2 m ahead, left of centre: its colour fills the left-centre columns."""
    cell, d = 0.05, 2.0
    w = room(120, 120)
    rx, ry = 1.0, 3.0
    tx = rx + d  # front face of the target block
    r0, c0 = int(round(ry / cell)) + 2, int(round(tx / cell))  # block spans y in [3.1, 3.4]
    w.occupancy[r0 : r0 + 6, c0 : c0 + 6] = target_material(colour)
    spec = SimSpec(camera=CameraSpec(width=64, height=64))
    sim = single(spec, w, (rx, ry, 0.0))
    rgb, depth = sim.camera_depth()
    img = rgb[0].astype(float)
    hit = np.abs(depth[0, 0] - d) < 1e-3
    assert hit.any()
    cols = np.flatnonzero(hit.any(axis=0))
    assert cols.max() < 32  # objects to the left appear in the left half
    # Columns whose ray crosses y in (3.1, 3.4) at x = 3.0: bearing atan((y - 3)/2).
    focal = 32 / math.tan(math.pi / 4)
    lo, hi = 32 - focal * 0.4 / 2, 32 - focal * 0.1 / 2
    assert set(cols.tolist()) == {c for c in range(64) if lo < c + 0.5 < hi}
    # Rows: target height 0.6 m of a 1 m wall, camera at 0.3 m.
    c = int(cols.mean())
    want = wall_rows(64, focal, 0.6, 0.3, d)
    assert set(np.flatnonzero(hit[:, c]).tolist()) == want
    # Colour: nearest (by chromaticity) of every material and terrain colour is the target's.
    palette = np.concatenate([MATERIAL_RGB[1:], TERRAIN_RGB]).astype(float)
    px = img[:, sorted(want)[len(want) // 2], c]
    cos = palette @ px / (np.linalg.norm(palette, axis=1) * np.linalg.norm(px))
    assert int(np.argmax(cos)) == target_material(colour) - 1
    assert cos.max() > 0.995
    ref = np.array(TARGET_COLOURS[colour], dtype=float)
    assert int(np.argmax(px)) == int(np.argmax(ref))  # the dominant channel survives shading


@pytest.mark.parametrize("terrain", range(4))
def test_camera_floor_shows_terrain_colour(terrain: int) -> None:
    """The floor in front of a distant wall has the terrain's colour family."""
    world = wall_scene(8.0, rows=200, cell=0.05, terrain=terrain)
    wall_x = (world.shape[1] - 1) * 0.05
    spec = SimSpec(camera=CameraSpec(width=64, height=64))
    sim = single(spec, world, (wall_x - 8.0, 5.0, 0.0))
    rgb, depth = sim.camera_depth()
    floor = rgb[0, :, 48:, :].reshape(3, -1).astype(float)  # bottom quarter: near floor
    mean = floor.mean(axis=1)
    palette = TERRAIN_RGB.astype(float)
    cos = palette @ mean / (np.linalg.norm(palette, axis=1) * np.linalg.norm(mean))
    assert int(np.argmax(cos)) == terrain, (mean, cos)
    if terrain == 3:  # grass is green-dominant
        assert mean[1] > mean[0] and mean[1] > mean[2]
    # Floor depth grows towards the horizon and stays in front of the wall.
    col = depth[0, 0, 33:, 32]
    assert (np.diff(col) <= 0).all() and col.max() <= 8.0


def test_camera_terrains_have_distinct_textures() -> None:
    """Gravel is the most speckled floor; carpet is nearly uniform."""
    spread = []
    for terrain in range(4):
        world = wall_scene(8.0, rows=200, cell=0.05, terrain=terrain)
        sim = single(SimSpec(), world, ((world.shape[1] - 1) * 0.05 - 8.0, 5.0, 0.0))
        floor = sim.camera()[0, :, 48:, :].astype(float).sum(axis=0)
        spread.append(floor.std() / floor.mean())
    assert int(np.argmax(spread)) == 2
    assert spread[1] < spread[2] and spread[1] < spread[3]


def test_camera_noise_statistics() -> None:
    world = wall_scene(3.0, rows=120, cell=0.1)
    spec = SimSpec(camera=CameraSpec(noise_std=5.0), world=WorldSpec(cell_size=0.1))
    pose = ((world.shape[1] - 1) * 0.1 - 3.0, 6.0, 0.0)
    clean = single(spec.replace(camera=CameraSpec()), world, pose).camera()[0].astype(float)
    sim = single(spec, world, pose)
    res = []
    for _ in range(5):
        sim.step(STILL)
        res.append(sim.camera()[0].astype(float) - clean)
    r = np.array(res)
    inside = (clean > 20) & (clean < 235)  # away from the uint8 clip
    vals = r[:, inside]
    assert abs(vals.mean()) < 0.75  # uint8 truncation biases by up to half a level
    assert vals.std() == pytest.approx(5.0, rel=0.1)
    assert not np.array_equal(res[0], res[1])  # fresh noise each step


def test_camera_turning_moves_the_scene() -> None:
    """Rotating the robot left shifts a target to the right in the image."""
    w = room(120, 120)
    w.occupancy[58:62, 80:84] = target_material(0)  # x in [4.0, 4.2], y in [2.9, 3.1]
    spec = SimSpec(robot=RobotSpec(radius=0.18))
    cols = []
    for yaw in (0.0, 0.2):
        img = single(spec, w, (1.0, 3.0, yaw)).camera()[0].astype(int)
        red = (img[0] > 2 * img[1]) & (img[0] > 2 * img[2])
        cols.append(np.flatnonzero(red.any(axis=0)).mean())
    assert abs(cols[0] - 31.5) < 1.5
    assert cols[1] > cols[0] + 5
