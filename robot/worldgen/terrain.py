"""Floor terrain: tile everywhere, plus rectangular and blob patches of carpet, gravel, grass."""

from __future__ import annotations

import math

import numpy as np

from robot.worldgen._raster import Grid, Mask

__all__ = ["paint_terrain", "TILE", "CARPET", "GRAVEL", "GRASS"]

TILE, CARPET, GRAVEL, GRASS = 0, 1, 2, 3


def paint_terrain(
    rng: np.random.Generator,
    shape: tuple[int, int],
    cell_size: float,
    mean_patches: float,
    region: Mask | None = None,
    size_range: tuple[float, float] = (1.0, 4.0),
) -> Grid:
    """A terrain grid: tile, with ``Poisson(mean_patches)`` patches of classes 1..3.

    Each patch is a rectangle or a blob (a union of three ellipses) whose sides are drawn
    from ``size_range`` m, centred uniformly over the world.

    Args:
        rng: the world's generator. shape: (H, W) cells. cell_size: m per cell.
        mean_patches: mean number of patches.
        region: optional (H, W) bool; patches are only painted where it is True.
        size_range: (min, max) patch side, m.

    Returns:
        (H, W) uint8 terrain classes (0 tile, 1 carpet, 2 gravel, 3 grass).
    """
    h, w = shape
    terrain = np.zeros(shape, dtype=np.uint8)
    for _ in range(int(rng.poisson(mean_patches))):
        cls = int(rng.integers(1, 4))
        sx, sy = rng.uniform(size_range[0], size_range[1], size=2)
        cx, cy = rng.uniform(0.0, w * cell_size), rng.uniform(0.0, h * cell_size)
        blob = bool(rng.random() < 0.5)
        sub = rng.uniform(-0.25, 0.25, size=(3, 2)), rng.uniform(0.3, 0.5, size=(3, 2))
        r0 = max(0, int(math.floor((cy - sy / 2) / cell_size)))
        r1 = min(h, int(math.ceil((cy + sy / 2) / cell_size)))
        c0 = max(0, int(math.floor((cx - sx / 2) / cell_size)))
        c1 = min(w, int(math.ceil((cx + sx / 2) / cell_size)))
        if r1 <= r0 or c1 <= c0:
            continue
        if blob:
            yy = ((np.arange(r0, r1) + 0.5) * cell_size - cy)[:, None] / sy
            xx = ((np.arange(c0, c1) + 0.5) * cell_size - cx)[None, :] / sx
            mask = np.zeros((r1 - r0, c1 - c0), dtype=np.bool_)
            for (ox, oy), (ax, ay) in zip(sub[0], sub[1], strict=True):
                mask |= ((xx - ox) / ax) ** 2 + ((yy - oy) / ay) ** 2 <= 1.0
        else:
            mask = np.ones((r1 - r0, c1 - c0), dtype=np.bool_)
        if region is not None:
            mask &= region[r0:r1, c0:c1]
        terrain[r0:r1, c0:c1][mask] = cls
    return terrain
