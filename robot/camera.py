"""Batched egocentric RGB(-D) camera: pseudo-3D column ray casting (numba).

Each image column casts one ray through the occupancy grid. Walls span the full
wall height; objects (boxes, pillars, coloured targets) are shorter and drawn in
front of the wall behind them. Rows below the walls show the floor, textured by
terrain (tile grout, carpet, gravel speckle, grass); rows above show the ceiling.
Colours fade with distance and x-faces are lit differently from y-faces, so a
person (and a CNN) can tell targets, walls and terrain apart.

Projection (square pixels), by ``CameraSpec.projection``:

* ``pinhole``: focal ``f = (W/2) / tan(fov/2)`` px, columns evenly spaced in the tangent
  of their bearing; a point at height z m and forward distance d m lands on row
  ``H/2 - f (z - h_cam) / d``; depth is the forward distance.
* ``cylindrical``: ``f = W / fov`` px per rad, columns evenly spaced in bearing (any fov
  up to all round); a point at height z m and range d m along its column's ray lands on
  row ``H/2 - f (z - h_cam) / d``; depth is that range.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from robot.raycast import cast_ray
from robot.rng import STREAM, normal_at, step_base
from robot.specs import CameraSpec

__all__ = ["CameraModel", "camera_batch"]

_NOISE = STREAM["camera"]
_CEILING = (70.0, 75.0, 95.0)
_FOG = (40.0, 40.0, 48.0)


class CameraModel:
    """Precomputed per-column geometry of a :class:`CameraSpec`.

    Attributes:
        focal: focal length, px (rows per unit of height over distance).
        angle: (W,) bearing of each column's centre, rad (left is +).
        cos: (W,) the factor from a range along a column's ray to the distance the rows
            are projected by: the cosine of its bearing for ``pinhole`` (forward
            distance), 1 for ``cylindrical`` (the range itself).
    """

    def __init__(self, spec: CameraSpec) -> None:
        self.spec = spec
        centres = np.arange(spec.width) + 0.5 - spec.width / 2
        # Column 0 is the left of the image, i.e. the most counter-clockwise bearing.
        if spec.projection == "cylindrical":
            self.focal = spec.width / spec.fov
            self.angle = -centres * (spec.fov / spec.width)
            self.cos = np.ones(spec.width)
        else:
            self.focal = (spec.width / 2) / np.tan(spec.fov / 2)
            tan = -centres / self.focal
            self.cos = 1.0 / np.sqrt(1.0 + tan**2)
            self.angle = np.arctan(tan)
        #: (W, 2) unit ray direction of each column in the body frame (x ahead, y left).
        self.dirs = np.stack([np.cos(self.angle), np.sin(self.angle)], axis=1)


@njit(cache=True, inline="always")
def _speckle(i: int, j: int) -> float:
    h = (i * 73856093) ^ (j * 19349663) ^ 0x5BD1E995
    h = (h ^ (h >> 13)) * 0x2C1B3C6D
    return ((h >> 8) & 255) / 255.0 - 0.5


@njit(cache=True)
def _camera_batch_one(
    b: int,
    occ: NDArray[np.uint8],
    clear: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    col_dir: NDArray[np.float64],
    col_cos: NDArray[np.float64],
    focal: float,
    mount: float,
    wall_h: float,
    max_range: float,
    noise_std: float,
    mat_rgb: NDArray[np.float64],
    mat_h: NDArray[np.float64],
    ter_rgb: NDArray[np.float64],
    out: NDArray[np.uint8],
    depth: NDArray[np.float32],
    want_depth: bool,
) -> None:
    """One world (index ``b``) of :func:`camera_batch`."""
    height = out.shape[2]
    width = out.shape[3]
    horizon = height / 2.0
    x = pose[b, 0]
    y = pose[b, 1]
    yaw = pose[b, 2]
    rows = dims[b, 0]
    cols = dims[b, 1]
    grid = occ[b]
    clr = clear[b]
    hbase = step_base(keys[b], counters[b])
    # Column pass: the nearest object and the wall behind it.
    w_top = np.empty(width)
    w_bot = np.empty(width)
    w_rgb = np.empty((width, 3))
    w_d = np.empty(width)
    o_top = np.empty(width)
    o_bot = np.empty(width)
    o_rgb = np.empty((width, 3))
    o_d = np.empty(width)
    dir_x = np.empty(width)
    dir_y = np.empty(width)
    cy = np.cos(yaw)
    sy = np.sin(yaw)
    for c in range(width):
        dx = cy * col_dir[c, 0] - sy * col_dir[c, 1]
        dy = sy * col_dir[c, 0] + cy * col_dir[c, 1]
        dir_x[c] = dx
        dir_y[c] = dy
        t1, m1, s1, t2, m2, s2 = cast_ray(
            grid, clr, rows, cols, cell, x, y, dx, dy, max_range, True
        )
        if m2 != 0:
            d = max(t2 * col_cos[c], 1e-3)
            w_top[c] = horizon - focal * (wall_h - mount) / d
            w_bot[c] = horizon + focal * mount / d
            # Vertical seams every metre along the wall give motion parallax.
            u = (y + t2 * dy) if s2 == 0 else (x + t2 * dx)
            seam = 0.8 if (u - np.floor(u)) < 0.04 else 1.0
            shade = seam * (0.78 if s2 == 1 else 1.0) / (1.0 + 0.12 * d)
            for k in range(3):
                w_rgb[c, k] = mat_rgb[m2, k] * shade
            w_d[c] = d
        else:
            w_top[c] = horizon
            w_bot[c] = horizon
            w_d[c] = max_range
        if m1 != 0 and m1 != 1:
            d = max(t1 * col_cos[c], 1e-3)
            h_obj = mat_h[m1] * wall_h
            o_top[c] = horizon - focal * (h_obj - mount) / d
            o_bot[c] = horizon + focal * mount / d
            shade = (0.8 if s1 == 1 else 1.0) / (1.0 + 0.08 * d)
            for k in range(3):
                o_rgb[c, k] = mat_rgb[m1, k] * shade
            o_d[c] = d
        else:
            o_top[c] = 0.0
            o_bot[c] = 0.0
            o_d[c] = max_range
    # Row pass: fill pixels in memory order.
    for r in range(height):
        rc = r + 0.5
        below = rc > horizon
        fd = focal * mount / (rc - horizon) if below else max_range
        for c in range(width):
            if o_top[c] <= rc < o_bot[c]:
                cr = o_rgb[c, 0]
                cg = o_rgb[c, 1]
                cb = o_rgb[c, 2]
                dd = o_d[c]
            elif w_top[c] <= rc < w_bot[c]:
                cr = w_rgb[c, 0]
                cg = w_rgb[c, 1]
                cb = w_rgb[c, 2]
                dd = w_d[c]
            elif below and fd < max_range:
                dist = fd / col_cos[c]
                px = x + dist * dir_x[c]
                py = y + dist * dir_y[c]
                i = int(np.floor(py / cell))
                j = int(np.floor(px / cell))
                if 0 <= i < rows and 0 <= j < cols:
                    tt = terrain[b, i, j]
                    if tt == 0:  # tile: 0.5 m tiles with dark grout
                        gx = px * 2.0 - np.floor(px * 2.0)
                        gy = py * 2.0 - np.floor(py * 2.0)
                        tex = 0.75 if (gx < 0.06 or gy < 0.06) else 1.0
                    elif tt == 1:  # carpet: faint fibre noise
                        tex = 1.0 + 0.08 * _speckle(i, j)
                    elif tt == 2:  # gravel: strong per-stone speckle
                        tex = 1.0 + 0.55 * _speckle(i, j)
                    else:  # grass: blades
                        tex = 1.0 + 0.35 * _speckle(i, j)
                    shade = tex / (1.0 + 0.10 * fd)
                    cr = ter_rgb[tt, 0] * shade
                    cg = ter_rgb[tt, 1] * shade
                    cb = ter_rgb[tt, 2] * shade
                else:
                    cr = _FOG[0]
                    cg = _FOG[1]
                    cb = _FOG[2]
                dd = fd
            elif below:
                cr = _FOG[0]
                cg = _FOG[1]
                cb = _FOG[2]
                dd = max_range
            else:
                cr = _CEILING[0]
                cg = _CEILING[1]
                cb = _CEILING[2]
                dd = max_range
            if noise_std > 0.0:
                base = (r * width + c) * 3
                cr += noise_std * normal_at(hbase, _NOISE, base)
                cg += noise_std * normal_at(hbase, _NOISE, base + 1)
                cb += noise_std * normal_at(hbase, _NOISE, base + 2)
            out[b, 0, r, c] = np.uint8(min(max(cr, 0.0), 255.0))
            out[b, 1, r, c] = np.uint8(min(max(cg, 0.0), 255.0))
            out[b, 2, r, c] = np.uint8(min(max(cb, 0.0), 255.0))
            if want_depth:
                depth[b, 0, r, c] = dd


@njit(cache=True)
def _camera_batch_serial(
    idx: NDArray[np.int64],
    occ: NDArray[np.uint8],
    clear: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    col_dir: NDArray[np.float64],
    col_cos: NDArray[np.float64],
    focal: float,
    mount: float,
    wall_h: float,
    max_range: float,
    noise_std: float,
    mat_rgb: NDArray[np.float64],
    mat_h: NDArray[np.float64],
    ter_rgb: NDArray[np.float64],
    out: NDArray[np.uint8],
    depth: NDArray[np.float32],
    want_depth: bool,
) -> None:
    for j in range(idx.shape[0]):
        _camera_batch_one(
            idx[j],
            occ,
            clear,
            terrain,
            dims,
            cell,
            pose,
            keys,
            counters,
            col_dir,
            col_cos,
            focal,
            mount,
            wall_h,
            max_range,
            noise_std,
            mat_rgb,
            mat_h,
            ter_rgb,
            out,
            depth,
            want_depth,
        )


@njit(cache=True, parallel=True)
def _camera_batch_parallel(
    idx: NDArray[np.int64],
    occ: NDArray[np.uint8],
    clear: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    col_dir: NDArray[np.float64],
    col_cos: NDArray[np.float64],
    focal: float,
    mount: float,
    wall_h: float,
    max_range: float,
    noise_std: float,
    mat_rgb: NDArray[np.float64],
    mat_h: NDArray[np.float64],
    ter_rgb: NDArray[np.float64],
    out: NDArray[np.uint8],
    depth: NDArray[np.float32],
    want_depth: bool,
) -> None:
    for j in prange(idx.shape[0]):
        _camera_batch_one(
            idx[j],
            occ,
            clear,
            terrain,
            dims,
            cell,
            pose,
            keys,
            counters,
            col_dir,
            col_cos,
            focal,
            mount,
            wall_h,
            max_range,
            noise_std,
            mat_rgb,
            mat_h,
            ter_rgb,
            out,
            depth,
            want_depth,
        )


def camera_batch(
    idx: NDArray[np.int64],
    occ: NDArray[np.uint8],
    clear: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    col_dir: NDArray[np.float64],
    col_cos: NDArray[np.float64],
    focal: float,
    mount: float,
    wall_h: float,
    max_range: float,
    noise_std: float,
    mat_rgb: NDArray[np.float64],
    mat_h: NDArray[np.float64],
    ter_rgb: NDArray[np.float64],
    out: NDArray[np.uint8],
    depth: NDArray[np.float32],
    want_depth: bool,
    parallel: bool,
) -> None:
    """Render (B, 3, H, W) uint8 frames into ``out`` (and (B, 1, H, W) metres into ``depth``)."""
    kernel = _camera_batch_parallel if parallel else _camera_batch_serial
    kernel(
        idx,
        occ,
        clear,
        terrain,
        dims,
        cell,
        pose,
        keys,
        counters,
        col_dir,
        col_cos,
        focal,
        mount,
        wall_h,
        max_range,
        noise_std,
        mat_rgb,
        mat_h,
        ter_rgb,
        out,
        depth,
        want_depth,
    )
