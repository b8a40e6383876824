"""Clutter (boxes, pillars) and coloured targets, placed so that the world stays connected."""

from __future__ import annotations

import math

import numpy as np

from robot.grid import label_components
from robot.world import BOX, FREE, PILLAR, TARGET_NAMES, WorldObject, target_material
from robot.worldgen._raster import Grid, Layout, Mask, bbox, fits, footprint, rasterise, stamp
from robot.worldgen.reach import approach_ok, free_space, main_component

__all__ = [
    "place_clutter",
    "prune_clutter",
    "place_targets",
    "BOX_HALF_RANGE",
    "PILLAR_RADIUS_RANGE",
    "TARGET_RADIUS_RANGE",
]

BOX_HALF_RANGE = (0.15, 0.35)
PILLAR_RADIUS_RANGE = (0.08, 0.2)
TARGET_RADIUS_RANGE = (0.12, 0.18)
#: A component cut off by clutter counts when it is at least this large, m^2.
MIN_POCKET = 0.1


def place_clutter(
    layout: Layout,
    rng: np.random.Generator,
    cell_size: float,
    density: float,
    box_share: float,
) -> list[WorldObject]:
    """Boxes and pillars on free floor outside ``layout.keepout``.

    Args:
        layout: the walls. rng: the world's generator. cell_size: m.
        density: objects per m^2 of free floor (the count is Poisson distributed).
        box_share: probability that an object is a box (else a pillar).

    Returns:
        The objects, not overlapping walls, the keepout or each other (0.05 m gap).
    """
    occ = layout.occupancy.copy()
    h, w = occ.shape
    area = float((occ == FREE).sum()) * cell_size**2
    n = int(rng.poisson(max(0.0, density) * area))
    objects: list[WorldObject] = []
    for _ in range(4 * n):
        if len(objects) >= n:
            break
        is_box = bool(rng.random() < box_share)
        size = float(rng.uniform(*(BOX_HALF_RANGE if is_box else PILLAR_RADIUS_RANGE)))
        x, y = float(rng.uniform(0.0, w * cell_size)), float(rng.uniform(0.0, h * cell_size))
        kind = "box" if is_box else "pillar"
        if not fits(occ, layout.keepout, kind, x, y, size, 0.05, cell_size):
            continue
        obj = WorldObject(kind, x, y, size, BOX if is_box else PILLAR)
        stamp(occ, obj, cell_size)
        objects.append(obj)
    return objects


def prune_clutter(
    layout: Grid,
    objects: list[WorldObject],
    robot_radius: float,
    cell_size: float,
) -> tuple[Grid, list[WorldObject], Mask]:
    """Remove objects until they cut no part of the walls-only free space off the rest.

    A *pocket* is a component of the free space (robot radius inflated) that was part of the
    walls-only main component but is now separate from the largest component, and at least
    :data:`MIN_POCKET` m^2 large. Every object near a pocket is removed; repeat until none
    is left. Walls alone are connected by construction, so this ends.

    Returns:
        ``(occupancy, objects, free)``: the (H, W) uint8 grid with the kept objects, those
        objects, and its (H, W) bool free space (:func:`free_space` of the grid).
    """
    free = free_space(layout, robot_radius, cell_size)
    if not objects:
        return layout.copy(), objects, free
    base = main_component(free)
    min_cells = max(4, int(MIN_POCKET / cell_size**2))
    reach = robot_radius * 2 + 2 * cell_size
    shape = (int(layout.shape[0]), int(layout.shape[1]))
    while True:
        occ = rasterise(layout, objects, cell_size)
        free = free_space(occ, robot_radius, cell_size)
        if not objects:
            return occ, objects, free
        labels, n = label_components(free)
        counts = np.bincount(labels.ravel(), minlength=n + 1)
        counts[0] = 0
        main = int(np.argmax(counts))
        lost = base & free & (labels != main)
        lost_counts = np.bincount(labels[lost], minlength=n + 1)
        bad_labels = np.flatnonzero(lost_counts >= min_cells)
        if bad_labels.size == 0:
            return occ, objects, free
        bad = np.isin(labels, bad_labels)
        keep = []
        for obj in objects:
            rows, cols = bbox(shape, obj.x, obj.y, obj.size + reach, cell_size)
            if not bool(bad[rows, cols].any()):
                keep.append(obj)
        if len(keep) == len(objects):  # pocket not next to any object: leave it be
            return occ, objects, free
        objects = keep


def _connected_after(
    occ: Grid,
    obj: WorldObject,
    before: int,
    robot_radius: float,
    cell_size: float,
) -> bool:
    """Whether stamping ``obj`` shrinks the main free component by no more than its own
    inflated footprint (plus :data:`MIN_POCKET`) and leaves it approachable."""
    trial = occ.copy()
    stamp(trial, obj, cell_size)
    reach = main_component(free_space(trial, robot_radius, cell_size))
    allowed = math.pi * (obj.size + robot_radius + cell_size) ** 2 + MIN_POCKET
    if int(reach.sum()) < before - allowed / cell_size**2:
        return False
    return approach_ok(reach, trial, obj.x, obj.y, obj.size, cell_size)


def place_targets(
    occ: Grid,
    spots: list[tuple[float, float]],
    rng: np.random.Generator,
    n_targets: int,
    robot_radius: float,
    cell_size: float,
    free: Mask | None = None,
) -> tuple[Grid, list[WorldObject]] | None:
    """Place ``n_targets`` targets of distinct colours in reachable space away from walls.

    Preferred: a uniform reachable cell with room for the robot to pass all around the
    target (clearance ``2 * robot_radius + 0.1`` m from its edge to anything). Otherwise a
    free ``spot`` from the layout (maze dead ends), otherwise any reachable cell 0.1 m from
    obstacles whose use keeps the world connected.

    Args:
        occ: (H, W) uint8 occupancy with walls and clutter. spots: (x, y) m.
        rng: the world's generator. n_targets: 0..6. robot_radius: m. cell_size: m.
        free: :func:`free_space` of ``occ`` for ``robot_radius`` if already known.

    Returns:
        ``(occupancy with targets, targets)`` or None when some target finds no place.
    """
    occ = occ.copy()
    colours = rng.permutation(len(TARGET_NAMES))[:n_targets]
    if free is None:
        free = free_space(occ, robot_radius, cell_size)
    reach = main_component(free)
    gap = 2.0 * robot_radius + 0.1
    r_max = TARGET_RADIUS_RANGE[1]
    roomy = reach & free_space(occ, r_max + gap, cell_size)
    order = [spots[int(i)] for i in rng.permutation(len(spots))]
    targets: list[WorldObject] = []
    for colour in colours:
        radius = float(rng.uniform(*TARGET_RADIUS_RANGE))
        material = target_material(int(colour))
        chosen: WorldObject | None = None
        idx = np.flatnonzero(roomy)
        if idx.size:
            row, col = divmod(int(idx[int(rng.integers(idx.size))]), occ.shape[1])
            x, y = (col + 0.5) * cell_size, (row + 0.5) * cell_size
            chosen = WorldObject("target", x, y, radius, material, int(colour))
        else:
            before = int(main_component(free_space(occ, robot_radius, cell_size)).sum())
            tries: list[tuple[float, float]] = list(order)
            loose = np.flatnonzero(reach & free_space(occ, radius + 0.1, cell_size))
            if loose.size:
                for k in rng.choice(loose.size, size=min(12, loose.size), replace=False):
                    row, col = divmod(int(loose[int(k)]), occ.shape[1])
                    tries.append(((col + 0.5) * cell_size, (row + 0.5) * cell_size))
            for x, y in tries:
                if not fits(occ, None, "target", x, y, radius, 0.1, cell_size):
                    continue
                obj = WorldObject("target", x, y, radius, material, int(colour))
                if _connected_after(occ, obj, before, robot_radius, cell_size):
                    chosen = obj
                    break
        if chosen is None:
            return None
        order = [s for s in order if math.hypot(s[0] - chosen.x, s[1] - chosen.y) > 0.5]
        stamp(occ, chosen, cell_size)
        rows, cols, mask = footprint(
            occ.shape, "target", chosen.x, chosen.y, max(radius + gap + r_max, 1.5), cell_size
        )
        roomy[rows, cols][mask] = False
        targets.append(chosen)
    return occ, targets


def clear_of(mask: Mask, objects: list[WorldObject], distance: float, cell_size: float) -> Mask:
    """A copy of ``mask`` without the cells within ``distance`` m of each object's edge."""
    out = mask.copy()
    for obj in objects:
        rows, cols, disc = footprint(
            out.shape, "disc", obj.x, obj.y, obj.size + distance, cell_size
        )
        out[rows, cols][disc] = False
    return out
