"""A fast headless top-down renderer of a world and its robot (numpy + small numba kernels).

:class:`TopDownRenderer` pre-renders the static map once (terrain with textures like the
camera's, soft shadows at the foot of walls, dark walls, objects in their material colours,
a faint 1 m grid), then :meth:`TopDownRenderer.render` copies it and draws the dynamic layer
with anti-aliased primitives: the planned path, the trail, lidar rays and hits, the goal ring
and the robot. :func:`compose_panel` puts the top-down view, the enlarged camera frame and a
block of text (the built-in 5x7 font of :mod:`robot.font5x7`) side by side in one frame, so
videos can be annotated without pygame or a display.

Image coordinates: pixel ``(row, col)`` covers ``px in [col, col+1)``, ``py in [row, row+1)``
with ``px = x * ppm`` and ``py = H - y * ppm`` (north up: the image y axis is flipped).

Example::

    r = TopDownRenderer(world)                # longest side 480 px
    img = r.render(sim.pose[0], trail=trail, lidar_ranges=ranges, lidar_angles=angles,
                   goal=(4.0, 2.5), goal_radius=0.3, path=path.points)
    frame = compose_panel(img, sim.camera()[0], ["step 12", "v 0.41 m/s"])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from robot.font5x7 import CELL_H, CELL_W, draw_text
from robot.world import FREE, MATERIAL_RGB, TERRAIN_RGB, WALL, World

__all__ = ["TopDownRenderer", "compose_panel", "COLOURS"]

#: Colours of the overlays (RGB), by role.
COLOURS: dict[str, tuple[int, int, int]] = {
    "wall": (52, 54, 64),
    "outside": (28, 29, 34),
    "path": (255, 140, 0),
    "trail": (35, 85, 215),
    "ray": (255, 60, 60),
    "hit": (215, 20, 20),
    "robot": (245, 245, 240),
    "robot_edge": (20, 22, 28),
    "bumper": (255, 40, 40),
    "goal": (0, 170, 70),
    "highlight": (255, 255, 255),
    "panel": (22, 24, 30),
    "text": (225, 228, 235),
}

_SPECKLE = (0.0, 0.08, 0.30, 0.25)  # texture strength per terrain (tile, carpet, gravel, grass)


# --------------------------------------------------------------------------- drawing kernels


@njit(cache=True)
def _blend_cov(
    img: NDArray[np.uint8],
    cov: NDArray[np.float32],
    r0: int,
    r1: int,
    c0: int,
    c1: int,
    colour: NDArray[np.float64],
    alpha: float,
) -> None:
    """Blend ``colour`` into ``img`` with weight ``alpha * cov`` over rows r0:r1, cols c0:c1,
    and clear ``cov`` there."""
    for r in range(r0, r1):
        for c in range(c0, c1):
            a = cov[r, c]
            if a > 0.0:
                a *= alpha
                for k in range(3):
                    v = img[r, c, k]
                    img[r, c, k] = np.uint8(v + (colour[k] - v) * a + 0.5)
                cov[r, c] = 0.0


@njit(cache=True)
def _segments(
    img: NDArray[np.uint8],
    cov: NDArray[np.float32],
    seg: NDArray[np.float64],
    colour: NDArray[np.float64],
    width: float,
    alpha: float,
) -> None:
    """Anti-aliased line segments ``seg`` (S, 4) = (x0, y0, x1, y1) in px, drawn as one layer
    (overlaps take the maximum coverage, so joints and crossings are not darkened twice)."""
    h, w = cov.shape
    hw = 0.5 * width
    br0, br1, bc0, bc1 = h, 0, w, 0
    for s in range(seg.shape[0]):
        x0, y0, x1, y1 = seg[s, 0], seg[s, 1], seg[s, 2], seg[s, 3]
        if not (np.isfinite(x0) and np.isfinite(y0) and np.isfinite(x1) and np.isfinite(y1)):
            continue
        dx = x1 - x0
        dy = y1 - y0
        l2 = dx * dx + dy * dy
        xmajor = abs(dx) >= abs(dy)
        if xmajor:
            a0 = int(np.floor(min(x0, x1) - hw - 1.0))
            a1 = int(np.ceil(max(x0, x1) + hw + 1.0))
            a0 = max(a0, 0)
            a1 = min(a1, w)
        else:
            a0 = int(np.floor(min(y0, y1) - hw - 1.0))
            a1 = int(np.ceil(max(y0, y1) + hw + 1.0))
            a0 = max(a0, 0)
            a1 = min(a1, h)
        ext = hw * 1.5 + 1.5
        for a in range(a0, a1):
            pa = a + 0.5
            # the line's minor coordinate at this major coordinate (clamped to the segment)
            if xmajor:
                t = (pa - x0) / dx if dx != 0.0 else 0.0
            else:
                t = (pa - y0) / dy if dy != 0.0 else 0.0
            t = min(max(t, 0.0), 1.0)
            m = (y0 + t * dy) if xmajor else (x0 + t * dx)
            b0 = max(int(np.floor(m - ext)), 0)
            b1 = min(int(np.ceil(m + ext)) + 1, h if xmajor else w)
            for b in range(b0, b1):
                if xmajor:
                    r = b
                    c = a
                else:
                    r = a
                    c = b
                px = c + 0.5
                py = r + 0.5
                u = ((px - x0) * dx + (py - y0) * dy) / l2 if l2 > 0.0 else 0.0
                u = min(max(u, 0.0), 1.0)
                ex = x0 + u * dx - px
                ey = y0 + u * dy - py
                d = np.sqrt(ex * ex + ey * ey)
                k = min(max(hw + 0.5 - d, 0.0), 1.0)
                if k > cov[r, c]:
                    cov[r, c] = k
                    br0 = min(br0, r)
                    br1 = max(br1, r + 1)
                    bc0 = min(bc0, c)
                    bc1 = max(bc1, c + 1)
    if br1 > br0:
        _blend_cov(img, cov, br0, br1, bc0, bc1, colour, alpha)


@njit(cache=True)
def _discs(
    img: NDArray[np.uint8],
    centres: NDArray[np.float64],
    radius: float,
    ring: float,
    colour: NDArray[np.float64],
    alpha: float,
) -> None:
    """Anti-aliased discs (``ring <= 0``) or rings of line width ``ring`` at ``centres``
    (N, 2) px, radius in px."""
    h, w = img.shape[0], img.shape[1]
    outer = radius + (0.5 * ring if ring > 0.0 else 0.0)
    for i in range(centres.shape[0]):
        cx, cy = centres[i, 0], centres[i, 1]
        if not (np.isfinite(cx) and np.isfinite(cy)):
            continue
        r0 = max(int(np.floor(cy - outer - 1.0)), 0)
        r1 = min(int(np.ceil(cy + outer + 1.0)), h)
        c0 = max(int(np.floor(cx - outer - 1.0)), 0)
        c1 = min(int(np.ceil(cx + outer + 1.0)), w)
        for r in range(r0, r1):
            for c in range(c0, c1):
                d = np.sqrt((c + 0.5 - cx) ** 2 + (r + 0.5 - cy) ** 2)
                if ring > 0.0:
                    k = min(max(0.5 * ring + 0.5 - abs(d - radius), 0.0), 1.0)
                else:
                    k = min(max(radius + 0.5 - d, 0.0), 1.0)
                if k > 0.0:
                    a = k * alpha
                    for j in range(3):
                        v = img[r, c, j]
                        img[r, c, j] = np.uint8(v + (colour[j] - v) * a + 0.5)


# --------------------------------------------------------------------------- static map


def _speckle(i: NDArray[np.int64], j: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per-cell hash noise in [-0.5, 0.5) (the camera's floor speckle)."""
    with np.errstate(over="ignore"):
        h = (i * 73856093) ^ (j * 19349663) ^ 0x5BD1E995
        h = (h ^ (h >> 13)) * 0x2C1B3C6D
    out: NDArray[np.float64] = ((h >> 8) & 255) / 255.0 - 0.5
    return out


def _box_blur(a: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Mean over a (2k+1)^2 window (edges padded with 1 = 'outside is wall')."""
    p = np.pad(a, k, constant_values=1.0)
    c = np.cumsum(np.cumsum(p, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    n = 2 * k + 1
    s = c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]
    out: NDArray[np.float64] = s / (n * n)
    return out


def _overlap_matrix(
    n_px: int, n_cells: int, ppm: float, cell: float, flip: bool
) -> NDArray[np.float32]:
    """(n_px, n_cells + 2) share of each pixel covered by each cell along one axis.

    Column 0 and column ``n_cells + 1`` stand for everything outside the grid. Pixel ``p``
    covers metres ``[p, p+1) / ppm`` (or, with ``flip``, ``(n_px - p - 1, n_px - p] / ppm``).
    """
    p = np.arange(n_px, dtype=np.float64)
    lo = ((n_px - p - 1) if flip else p) / ppm
    hi = lo + 1.0 / ppm
    edges = np.concatenate([[-np.inf], np.arange(n_cells + 1) * cell, [np.inf]])
    a = np.maximum(lo[:, None], edges[None, :-1])
    b = np.minimum(hi[:, None], edges[None, 1:])
    out: NDArray[np.float32] = (np.clip(b - a, 0.0, None) * ppm).astype(np.float32)
    return out


def _line_share(edges: NDArray[np.float64], period: float, width: float) -> NDArray[np.float64]:
    """Share of each interval between consecutive ``edges`` (m, monotonic) covered by lines of
    ``width`` m centred on the multiples of ``period`` m."""

    def cum(t: NDArray[np.float64]) -> NDArray[np.float64]:
        u = t + 0.5 * width
        n = np.floor(u / period)
        out: NDArray[np.float64] = n * width + np.minimum(u - n * period, width)
        return out

    c = cum(edges)
    share: NDArray[np.float64] = np.abs(np.diff(c)) / np.abs(np.diff(edges))
    return share


def _as_colour(c: Sequence[int] | NDArray[np.integer]) -> NDArray[np.float64]:
    return np.asarray(c, dtype=np.float64).reshape(3)


class TopDownRenderer:
    """Renders one world seen from above, north up.

    Args:
        world: the world to draw.
        pixels_per_metre: scale; default: the longest side of the world spans ``max_pixels``.
        max_pixels: the longest image side when ``pixels_per_metre`` is not given.

    Attributes:
        ppm: pixels per metre. width, height: image size, px.
        base: (height, width, 3) uint8, the pre-rendered static map (do not modify).
    """

    def __init__(
        self, world: World, pixels_per_metre: float | None = None, max_pixels: int = 480
    ) -> None:
        w_m, h_m = world.size_m
        if pixels_per_metre is None:
            if max_pixels < 8:
                raise ValueError(f"max_pixels: expected >= 8, got {max_pixels}")
            pixels_per_metre = max_pixels / max(w_m, h_m)
        if not (math.isfinite(pixels_per_metre) and 1.0 <= pixels_per_metre <= 1000.0):
            raise ValueError(
                f"pixels_per_metre: {pixels_per_metre!r} is out of range; allowed [1, 1000]"
            )
        self.world = world
        self.ppm = float(pixels_per_metre)
        self.width = max(1, int(round(w_m * self.ppm)))
        self.height = max(1, int(round(h_m * self.ppm)))
        self._cov = np.zeros((self.height, self.width), dtype=np.float32)
        self.base = self._render_static()
        self.base.setflags(write=False)

    # ------------------------------------------------------------------ geometry
    def world_to_px(self, xy: ArrayLike) -> NDArray[np.float64]:
        """(N, 2) world points (x, y) m -> (N, 2) continuous pixel coordinates (col, row).

        Pixel ``(row, col)`` holds the points whose coordinates floor to ``(row, col)``.
        """
        p = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        out = np.empty_like(p)
        out[:, 0] = p[:, 0] * self.ppm
        out[:, 1] = self.height - p[:, 1] * self.ppm
        return out

    def px_to_world(self, px: ArrayLike) -> NDArray[np.float64]:
        """(N, 2) pixel coordinates (col, row) -> (N, 2) world points (x, y) m."""
        p = np.asarray(px, dtype=np.float64).reshape(-1, 2)
        out = np.empty_like(p)
        out[:, 0] = p[:, 0] / self.ppm
        out[:, 1] = (self.height - p[:, 1]) / self.ppm
        return out

    # ------------------------------------------------------------------ static layer
    def _render_static(self) -> NDArray[np.uint8]:
        world = self.world
        cell = world.cell_size
        rows, cols = world.shape
        # per-cell colour (one ring of 'outside' cells around the grid): terrain x speckle x
        # a soft shadow at the foot of walls; solid cells in their material colour
        ii, jj = np.mgrid[0:rows, 0:cols]
        ter = world.terrain.astype(np.int64)
        tex = 1.0 + np.asarray(_SPECKLE)[ter] * _speckle(ii, jj)
        blocked = (world.occupancy != FREE).astype(np.float64)
        shadow = _box_blur(blocked, max(1, int(round(0.1 / cell))))
        floor = TERRAIN_RGB.astype(np.float64)[ter] * (tex * (1.0 - 0.35 * shadow))[..., None]
        mat_rgb = MATERIAL_RGB.astype(np.float64)
        mat_rgb[WALL] = COLOURS["wall"]
        occ = world.occupancy
        cell_rgb = np.empty((rows + 2, cols + 2, 3), dtype=np.float32)
        cell_rgb[:] = np.asarray(COLOURS["outside"], dtype=np.float32)
        cell_rgb[1:-1, 1:-1] = np.where((occ == FREE)[..., None], floor, mat_rgb[occ])
        kind = np.zeros((rows + 2, cols + 2), dtype=np.uint8)  # 0 solid, 1 floor, 2 tile
        kind[1:-1, 1:-1] = np.where(occ == FREE, np.where(world.terrain == 0, 2, 1), 0)

        # area-weighted resampling of the cell image to pixels (exact box filter, so edges
        # are anti-aliased at any scale): img = Ry @ cells @ Rx^T
        ry = _overlap_matrix(self.height, rows, self.ppm, cell, flip=True)
        rx = _overlap_matrix(self.width, cols, self.ppm, cell, flip=False)
        tile = (kind == 2).astype(np.float32)
        flr = (kind != 0).astype(np.float32)
        stack = np.concatenate([cell_rgb.transpose(2, 0, 1), tile[None], flr[None]])  # (5, R, C)
        tmp = np.matmul(ry[None], stack)  # (5, H, C)
        h, w = self.height, self.width
        img = (tmp.reshape(5 * h, cols + 2) @ rx.T).reshape(5, h, w).transpose(1, 2, 0)
        # tile grout every 0.5 m and a faint 1 m grid, by the share of each pixel they cover
        x_edges = np.arange(w + 1) / self.ppm
        y_edges = (h - np.arange(h + 1)) / self.ppm
        gw, mw = max(0.02, 0.8 / self.ppm), max(0.015, 1.0 / self.ppm)
        grout = 1.0 - np.outer(
            1.0 - _line_share(y_edges, 0.5, gw), 1.0 - _line_share(x_edges, 0.5, gw)
        )
        grid = 1.0 - np.outer(
            1.0 - _line_share(y_edges, 1.0, mw), 1.0 - _line_share(x_edges, 1.0, mw)
        )
        fac = (1.0 - 0.16 * grout * img[..., 3]) * (1.0 - 0.12 * grid * img[..., 4])
        out = np.ascontiguousarray(np.clip(img[..., :3] * fac[..., None] + 0.5, 0, 255), np.uint8)

        # objects on top, anti-aliased, with a darker outline
        edge_w = max(1.0, 0.025 * self.ppm)
        for o in world.objects:
            col = MATERIAL_RGB[o.material].astype(np.float64)
            c = self.world_to_px([(o.x, o.y)])
            rad = o.size * self.ppm
            if o.kind == "box":
                x0, y0 = c[0, 0] - rad, c[0, 1] - rad
                x1, y1 = c[0, 0] + rad, c[0, 1] + rad
                sq = np.array(
                    [[x0, y0, x1, y0], [x1, y0, x1, y1], [x1, y1, x0, y1], [x0, y1, x0, y0]]
                )
                _segments(out, self._cov, sq, col * 0.6, edge_w, 1.0)
            else:
                _discs(out, c, rad, 0.0, col, 1.0)
                _discs(out, c, rad - 0.5 * edge_w, edge_w, col * 0.6, 1.0)
                # a small highlight makes round objects read as 3-D
                hl = c + np.array([[-0.3 * rad, -0.3 * rad]])
                _discs(out, hl, 0.25 * rad, 0.0, np.array([255.0, 255.0, 255.0]), 0.35)
        return out

    # ------------------------------------------------------------------ dynamic layer
    def _polyline(
        self,
        img: NDArray[np.uint8],
        pts_m: ArrayLike,
        colour: Sequence[int],
        width: float,
        alpha: float,
    ) -> None:
        p = self.world_to_px(pts_m)
        if p.shape[0] < 2:
            return
        seg = np.concatenate([p[:-1], p[1:]], axis=1)
        _segments(img, self._cov, np.ascontiguousarray(seg), _as_colour(colour), width, alpha)

    def render(
        self,
        pose: ArrayLike,
        *,
        trail: ArrayLike | None = None,
        lidar_ranges: ArrayLike | None = None,
        lidar_angles: ArrayLike | None = None,
        lidar_max_range: float | None = None,
        goal: ArrayLike | None = None,
        goal_radius: float = 0.3,
        path: ArrayLike | None = None,
        target_colour: int | None = None,
        robot_radius: float = 0.18,
        bumper: bool = False,
    ) -> NDArray[np.uint8]:
        """One frame: the static map plus the robot and its overlays.

        Args:
            pose: (3,) x m, y m, yaw rad.
            trail: (N, 2) past positions, m (a polyline).
            lidar_ranges: (K,) ranges, m; lidar_angles: (K,) bearings relative to the
                heading, rad (both needed for rays). Beams reading ``lidar_max_range`` or more
                (no return) are drawn without a hit dot.
            goal: (2,) goal point, m; drawn as a ring of radius ``goal_radius`` m.
            path: (N, 2) planned waypoints, m (a polyline).
            target_colour: target colour index (0..5): those target objects get a ring.
            robot_radius: m. bumper: draw the robot's outline in red (contact).

        Returns:
            (height, width, 3) uint8, a new array.
        """
        ppm = self.ppm
        img = self.base.copy()
        pz = np.asarray(pose, dtype=np.float64).reshape(3)
        if target_colour is not None:
            for o in self.world.targets():
                if o.colour == target_colour:
                    c = self.world_to_px([(o.x, o.y)])
                    ring_r = o.size * ppm + max(3.0, 0.08 * ppm)
                    _discs(img, c, ring_r, 3.0, _as_colour((0, 0, 0)), 0.6)
                    _discs(img, c, ring_r, 1.6, _as_colour(COLOURS["highlight"]), 1.0)
        if goal is not None:
            g = self.world_to_px(np.asarray(goal, dtype=np.float64).reshape(1, 2))
            gc = (
                MATERIAL_RGB[4 + target_colour]
                if target_colour is not None and 0 <= target_colour < 6
                else COLOURS["goal"]
            )
            gr = max(goal_radius * ppm, 3.0)
            _discs(img, g, gr, 0.0, _as_colour(gc), 0.22)
            _discs(img, g, gr, 2.0, _as_colour(gc), 0.95)
            arm = min(gr * 0.5, 6.0)
            cross = np.array(
                [
                    [g[0, 0] - arm, g[0, 1], g[0, 0] + arm, g[0, 1]],
                    [g[0, 0], g[0, 1] - arm, g[0, 0], g[0, 1] + arm],
                ]
            )
            _segments(img, self._cov, cross, _as_colour(gc), 1.5, 0.95)
        if path is not None:
            self._polyline(img, path, COLOURS["path"], max(2.0, 0.035 * ppm), 0.85)
        if trail is not None:
            self._polyline(img, trail, COLOURS["trail"], max(2.0, 0.035 * ppm), 0.9)
        if lidar_ranges is not None and lidar_angles is not None:
            rng = np.asarray(lidar_ranges, dtype=np.float64).reshape(-1)
            ang = np.asarray(lidar_angles, dtype=np.float64).reshape(-1) + pz[2]
            if rng.shape != ang.shape:
                raise ValueError(
                    f"lidar_angles: expected shape {rng.shape} like lidar_ranges, got {ang.shape}"
                )
            ends = np.stack([pz[0] + rng * np.cos(ang), pz[1] + rng * np.sin(ang)], axis=1)
            e = self.world_to_px(ends)
            origin = self.world_to_px(pz[None, :2])
            seg = np.concatenate([np.broadcast_to(origin, e.shape), e], axis=1)
            _segments(img, self._cov, seg, _as_colour(COLOURS["ray"]), 1.0, 0.45)
            hit = e if lidar_max_range is None else e[rng < lidar_max_range * 0.999]
            _discs(
                img,
                np.ascontiguousarray(hit),
                max(1.3, 0.025 * ppm),
                0.0,
                _as_colour(COLOURS["hit"]),
                1.0,
            )
        # the robot: a disc with an outline and a heading line
        c = self.world_to_px(pz[None, :2])
        rr = max(robot_radius * ppm, 3.0)
        edge = COLOURS["bumper"] if bumper else COLOURS["robot_edge"]
        _discs(img, c, rr, 0.0, _as_colour(COLOURS["robot"]), 1.0)
        _discs(img, c, rr - 0.75, 1.5 if not bumper else 3.0, _as_colour(edge), 1.0)
        tip = c + rr * np.array([[math.cos(pz[2]), -math.sin(pz[2])]])
        _segments(
            img,
            self._cov,
            np.concatenate([c, tip], axis=1),
            _as_colour(COLOURS["robot_edge"]),
            max(2.0, 0.3 * rr),
            1.0,
        )
        return img


# --------------------------------------------------------------------------- panel


def _fill(region: NDArray[np.uint8], colour: Sequence[int]) -> None:
    """``region[:] = colour`` for an (h, w, 3) view (broadcasting a whole row is ~50x faster
    than broadcasting a 3-vector)."""
    if region.size:
        region[:] = np.tile(np.asarray(colour, dtype=np.uint8), (region.shape[1], 1))


def _hwc(camera: NDArray[np.uint8]) -> NDArray[np.uint8]:
    cam = np.asarray(camera)
    if cam.ndim != 3:
        raise ValueError(f"camera: expected (3, h, w) or (h, w, 3), got shape {cam.shape}")
    if cam.shape[0] in (1, 3) and cam.shape[2] not in (1, 3):
        cam = cam.transpose(1, 2, 0)
    elif cam.shape[0] == 3 and cam.shape[2] == 3:
        pass  # ambiguous 3x3: take it as (h, w, 3)
    if cam.shape[2] == 1:
        cam = np.repeat(cam, 3, axis=2)
    if cam.shape[2] != 3:
        raise ValueError(f"camera: expected (3, h, w) or (h, w, 3), got shape {camera.shape}")
    return np.ascontiguousarray(cam, dtype=np.uint8)


def compose_panel(
    topdown: NDArray[np.uint8],
    camera: NDArray[np.uint8] | None = None,
    text_lines: Sequence[str] = (),
    height: int | None = None,
    *,
    camera_scale: int | None = None,
    text_scale: int = 2,
    column_chars: int = 24,
    camera_title: str | None = "camera",
    pad: int = 8,
) -> NDArray[np.uint8]:
    """One video frame: the top-down view, and beside it the camera frame and a text block.

    Args:
        topdown: (H, W, 3) uint8.
        camera: (3, h, w) or (h, w, 3) uint8, enlarged by an integer factor (nearest
            neighbour): ``camera_scale``, default the largest that keeps it within about
            55% of ``H``.
        text_lines: lines of text (printable ASCII) drawn under the camera frame; lines
            longer than the column are clipped. Keep the number of lines fixed over a video
            so the frame size does not change.
        height: at least this many pixels tall (the content is top-aligned).
        text_scale: font scale (a character is 6x9 px times the scale).
        column_chars: the right column is at least this many characters wide.
        camera_title: a caption above the camera frame (None for none).
        pad: margin, px.

    Returns:
        (H', W', 3) uint8 on a dark background.
    """
    td = np.asarray(topdown)
    if td.ndim != 3 or td.shape[2] != 3:
        raise ValueError(f"topdown: expected (H, W, 3), got shape {td.shape}")
    th, tw = td.shape[:2]
    cam = None if camera is None else _hwc(camera)
    line_h = CELL_H * text_scale
    small_h = CELL_H
    cam_h = cam_w = 0
    k = 0
    if cam is not None:
        ch, cw = cam.shape[:2]
        k = camera_scale if camera_scale is not None else max(1, int(round(0.55 * th / ch)))
        if k < 1:
            raise ValueError(f"camera_scale: expected an integer >= 1, got {camera_scale}")
        cam_h, cam_w = ch * k, cw * k
    col_w = max(cam_w, column_chars * CELL_W * text_scale)
    title_h = small_h * 2 + 2 if (cam is not None and camera_title) else 0
    right_h = title_h + cam_h + (pad if cam is not None else 0) + len(text_lines) * line_h
    out_h = max(th, right_h) + 2 * pad
    if height is not None:
        out_h = max(out_h, int(height))
    out_w = tw + col_w + 3 * pad
    out = np.empty((out_h, out_w, 3), dtype=np.uint8)
    _fill(out, COLOURS["panel"])
    out[pad : pad + th, pad : pad + tw] = td
    x0 = tw + 2 * pad
    y = pad
    if cam is not None:
        if camera_title:
            draw_text(out, x0, y, camera_title, (150, 155, 170), scale=2)
            y += title_h
        big = cam.repeat(k, axis=0).repeat(k, axis=1)
        cx = x0 + (col_w - cam_w) // 2
        _fill(out[y - 1 : y + cam_h + 1, cx - 1 : cx + cam_w + 1], (90, 95, 110))  # border
        out[y : y + cam_h, cx : cx + cam_w] = big
        y += cam_h + pad
    max_chars = col_w // (CELL_W * text_scale)
    for line in text_lines:
        draw_text(out, x0, y, line[:max_chars], COLOURS["text"], scale=text_scale)
        y += line_h
    return out
