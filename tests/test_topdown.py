"""Tests for robot.topdown (top-down renderer, panel) and robot.font5x7."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from robot.font5x7 import CELL_H, CELL_W, draw_text, text_mask
from robot.topdown import COLOURS, TopDownRenderer, compose_panel
from robot.world import MATERIAL_RGB, TARGET_BASE, World, WorldObject

CS = 0.05


def small_world() -> World:
    """An 8 x 6 m room: border walls, a wall stub, a red target pillar, carpet on the right."""
    occ = np.zeros((120, 160), dtype=np.uint8)
    occ[:2], occ[-2:], occ[:, :2], occ[:, -2:] = 1, 1, 1, 1
    occ[40:80, 60:64] = 1  # a wall stub at x 3.0-3.2 m, y 2.0-4.0 m
    ter = np.zeros_like(occ)
    ter[:, 100:] = 1
    target = WorldObject("target", x=6.0, y=1.5, size=0.15, material=TARGET_BASE, colour=0)
    yy, xx = np.mgrid[0:120, 0:160]
    occ[np.hypot((xx + 0.5) * CS - 6.0, (yy + 0.5) * CS - 1.5) <= 0.15] = TARGET_BASE
    return World(occ, ter, CS, objects=[target], start=(1.0, 1.0, 0.0), kind="test")


def pix(r: TopDownRenderer, x: float, y: float) -> tuple[int, int]:
    """(row, col) of the pixel holding world point (x, y)."""
    col, row = r.world_to_px([[x, y]])[0]
    return int(row), int(col)


@pytest.fixture(scope="module")
def renderer() -> TopDownRenderer:
    return TopDownRenderer(small_world())


def test_shape_dtype_and_scale(renderer: TopDownRenderer) -> None:
    img = renderer.render(np.array([2.0, 3.0, 0.5]))
    assert img.dtype == np.uint8 and img.shape == (360, 480, 3)
    assert renderer.ppm == pytest.approx(60.0)
    assert not np.shares_memory(img, renderer.base)
    r2 = TopDownRenderer(small_world(), pixels_per_metre=20)
    assert r2.base.shape == (120, 160, 3)


def test_bad_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="pixels_per_metre"):
        TopDownRenderer(small_world(), pixels_per_metre=0.0)


def test_world_to_px_round_trip_and_north_up(renderer: TopDownRenderer) -> None:
    pts = np.array([[0.0, 0.0], [8.0, 6.0], [2.5, 1.25]])
    px = renderer.world_to_px(pts)
    np.testing.assert_allclose(px[0], [0.0, 360.0])  # origin: bottom left
    np.testing.assert_allclose(px[1], [480.0, 0.0])  # far corner: top right
    np.testing.assert_allclose(renderer.px_to_world(px), pts)


def test_robot_drawn_at_its_pixel(renderer: TopDownRenderer) -> None:
    pose = np.array([2.0, 4.5, math.pi / 2])
    img = renderer.render(pose, robot_radius=0.18)
    col, row = renderer.world_to_px(pose[None, :2])[0].astype(int)
    # just beside the centre (off the heading line): the robot's body colour
    np.testing.assert_array_equal(img[row + 4, col + 4], COLOURS["robot"])
    # heading north: the heading line runs up from the centre, not down
    assert img[row - 6, col].max() < 60
    assert img[row + 6, col].min() > 200
    # outside the robot disc the map is untouched
    np.testing.assert_array_equal(img[row, col + 20], renderer.base[row, col + 20])


def test_walls_dark_where_occupied(renderer: TopDownRenderer) -> None:
    w = renderer.world
    rows, cols = np.nonzero(w.occupancy == 1)
    # pixel centres of some wall cells, away from the cell edges
    pick = np.arange(0, rows.size, 97)
    xy = np.stack([(cols[pick] + 0.5) * CS, (rows[pick] + 0.5) * CS], axis=1)
    px = renderer.world_to_px(xy).astype(int)
    px[:, 1] = np.clip(px[:, 1], 0, renderer.height - 1)
    px[:, 0] = np.clip(px[:, 0], 0, renderer.width - 1)
    wall_px = renderer.base[px[:, 1], px[:, 0]].astype(int)
    assert wall_px.max() < 90
    assert renderer.base[pix(renderer, 1.1, 1.1)].min() > 120  # tile floor is light
    # the wall stub at x 3.0-3.2, y 2-4 m is dark, the floor just beside it is not
    assert renderer.base[pix(renderer, 3.1, 3.0)].max() < 90
    assert renderer.base[pix(renderer, 3.6, 3.0)].min() > 120


def test_target_in_material_colour(renderer: TopDownRenderer) -> None:
    r, c = pix(renderer, 6.0, 1.5)
    got = renderer.base[r + 2, c + 3].astype(int)
    assert np.abs(got - MATERIAL_RGB[TARGET_BASE].astype(int)).max() < 40


def test_overlays_draw_something(renderer: TopDownRenderer) -> None:
    pose = np.array([1.5, 1.5, 0.0])
    angles = np.linspace(-math.pi, math.pi, 32, endpoint=False)
    ranges = np.full(32, 1.0)
    img = renderer.render(
        pose,
        trail=np.array([[1.0, 1.0], [1.2, 1.2], [1.5, 1.5]]),
        lidar_ranges=ranges,
        lidar_angles=angles,
        lidar_max_range=6.0,
        goal=np.array([6.5, 4.5]),
        goal_radius=0.3,
        path=np.array([[1.5, 1.5], [4.0, 5.0], [6.5, 4.5]]),
        target_colour=0,
        bumper=True,
    )
    changed = np.any(img != renderer.base, axis=2)
    # a lidar hit 1 m east of the robot
    assert changed[pix(renderer, 2.5, 1.5)]
    # the path's middle waypoint and the goal ring
    assert changed[pix(renderer, 4.0, 5.0)]
    assert changed[pix(renderer, 6.8, 4.5)]
    # nothing drawn far from every overlay
    assert not changed[pix(renderer, 7.5, 0.5)]
    with pytest.raises(ValueError, match="lidar_angles"):
        renderer.render(pose, lidar_ranges=ranges, lidar_angles=angles[:5])


def test_render_is_fast(renderer: TopDownRenderer) -> None:
    angles = np.linspace(-math.pi, math.pi, 64, endpoint=False)
    kw = dict(
        trail=np.cumsum(np.full((300, 2), 0.01), axis=0) + 1.0,
        lidar_ranges=np.full(64, 4.0),
        lidar_angles=angles,
        goal=np.array([6.5, 4.5]),
        path=np.array([[1.5, 1.5], [4.0, 5.0], [6.5, 4.5]]),
        target_colour=0,
    )
    pose = np.array([2.0, 2.0, 0.3])
    renderer.render(pose, **kw)  # type: ignore[arg-type]
    best = math.inf
    for _ in range(20):
        t = time.perf_counter()
        renderer.render(pose, **kw)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - t)
    assert best < 0.01  # ~1 ms on one core; generous for loaded CI machines


def test_compose_panel_layout(renderer: TopDownRenderer) -> None:
    td = renderer.render(np.array([2.0, 3.0, 0.0]))
    cam = np.zeros((3, 64, 64), dtype=np.uint8)
    cam[0] = 255  # red frame, channels first
    panel = compose_panel(td, cam, ["step 1", "v 0.5 m/s"], camera_scale=3)
    assert panel.dtype == np.uint8 and panel.ndim == 3
    assert panel.shape[0] >= td.shape[0] and panel.shape[1] > td.shape[1] + 192
    np.testing.assert_array_equal(panel[8 : 8 + td.shape[0], 8 : 8 + td.shape[1]], td)
    red = np.all(panel == (255, 0, 0), axis=2)
    assert red.sum() == 192 * 192  # the camera, 3x nearest-neighbour
    # the same camera channels-last gives the same panel; fixed lines give a fixed size
    panel2 = compose_panel(td, cam.transpose(1, 2, 0), ["step 2", "v 0.4 m/s"], camera_scale=3)
    assert panel2.shape == panel.shape
    assert compose_panel(td, None, [], height=1000).shape[0] == 1000
    with pytest.raises(ValueError, match="camera"):
        compose_panel(td, np.zeros((64, 64), np.uint8), [])


def test_font_masks_and_clipping() -> None:
    m = text_mask("Hi!", scale=2)
    assert m.shape == (CELL_H * 2, 3 * CELL_W * 2) and m.any()
    assert not text_mask(" ").any()
    assert text_mask("\u00e9").sum() == text_mask("?").sum()  # unknown -> ?
    # every printable glyph except space has ink, and the glyphs differ
    masks = [text_mask(chr(c)).tobytes() for c in range(33, 127)]
    assert len(set(masks)) == len(masks)
    img = np.zeros((10, 20, 3), np.uint8)
    y = draw_text(img, 15, 2, "long text", (255, 255, 255))  # clipped, no error
    assert y == 2 + CELL_H and img.any()
