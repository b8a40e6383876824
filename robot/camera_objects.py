"""What each camera column sees first: material id and range (numba).

The camera (:mod:`robot.camera`) draws, in every image column, the nearest object hit by
that column's ray in front of the wall behind it. :func:`camera_objects_batch` casts the
same rays and reports the first non-free cell of each column, so a frame can be labelled
with what it shows (which target colours are in view, where and how far) by the
simulator itself, without looking at pixels.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from robot.raycast import cast_ray

__all__ = ["camera_objects_batch"]


@njit(cache=True)
def camera_objects_batch(
    idx: NDArray[np.int64],
    occ: NDArray[np.uint8],
    clear: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    col_dir: NDArray[np.float64],
    max_range: float,
    material: NDArray[np.int16],
    distance: NDArray[np.float32],
) -> None:
    """Fill ``material`` (B, W) int16 and ``distance`` (B, W) float32 for the rows ``idx``.

    Args:
        occ, clear: (B, H, W) material and clearance grids; dims: (B, 2) rows and columns in
            use; cell: cell size, m; pose: (B, 3) x m, y m, yaw rad.
        col_dir: (W, 2) unit ray direction of each image column in the body frame.
        max_range: m. A column that hits nothing within it gets material 0 and
            ``distance`` = ``max_range``.
        material: out, the material id of the first non-free cell along each column's ray
            (1 = wall, see :data:`robot.world.MATERIAL_RGB`). distance: out, its range along
            the ray, m.
    """
    width = col_dir.shape[0]
    for j in range(idx.shape[0]):
        b = idx[j]
        x = pose[b, 0]
        y = pose[b, 1]
        cy = np.cos(pose[b, 2])
        sy = np.sin(pose[b, 2])
        for c in range(width):
            dx = cy * col_dir[c, 0] - sy * col_dir[c, 1]
            dy = sy * col_dir[c, 0] + cy * col_dir[c, 1]
            t1, m1, _s1, _t2, _m2, _s2 = cast_ray(
                occ[b], clear[b], dims[b, 0], dims[b, 1], cell, x, y, dx, dy, max_range, False
            )
            if m1 == 0:
                material[b, c] = 0
                distance[b, c] = max_range
            else:
                material[b, c] = m1
                distance[b, c] = min(t1, max_range)
