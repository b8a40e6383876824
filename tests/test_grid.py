"""Tests for robot.grid: inflation, downsampling, flood fill, components, clearance."""

from __future__ import annotations

from collections import deque

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from robot.grid import (
    clearance_ok,
    downsample_blocked,
    flood_fill,
    inflate,
    label_components,
    largest_component,
)

FAST = settings(max_examples=60, deadline=None)


@st.composite
def masks(draw: st.DrawFn, max_side: int = 24) -> NDArray[np.bool_]:
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    density = draw(st.sampled_from([0.0, 0.02, 0.1, 0.3, 0.6]))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).random((h, w)) < density


def inflate_reference(blocked: NDArray[np.bool_], radius: float) -> NDArray[np.bool_]:
    """Brute force: pad with blocked cells, OR every disc offset."""
    h, w = blocked.shape
    pad = int(np.ceil(radius)) + 1
    padded = np.ones((h + 2 * pad, w + 2 * pad), dtype=bool)
    padded[pad : pad + h, pad : pad + w] = blocked
    out = blocked.copy()
    if radius < 1.0:
        return out
    for dy in range(-pad, pad + 1):
        for dx in range(-pad, pad + 1):
            if dx * dx + dy * dy <= radius * radius:
                out |= padded[pad + dy : pad + dy + h, pad + dx : pad + dx + w]
    return out


def bfs_reference(free: NDArray[np.bool_], start: tuple[int, int]) -> NDArray[np.bool_]:
    h, w = free.shape
    seen = np.zeros_like(free)
    r0, c0 = start
    if not (0 <= r0 < h and 0 <= c0 < w) or not free[r0, c0]:
        return seen
    seen[r0, c0] = True
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nr < h and 0 <= nc < w and free[nr, nc] and not seen[nr, nc]:
                seen[nr, nc] = True
                queue.append((nr, nc))
    return seen


@FAST
@given(masks(), st.floats(0.0, 6.0))
def test_inflate_matches_brute_force(blocked: NDArray[np.bool_], radius: float) -> None:
    np.testing.assert_array_equal(inflate(blocked, radius), inflate_reference(blocked, radius))


@FAST
@given(masks(), st.sampled_from([1.0, 2.0, 3.0, 5.0, np.sqrt(2.0), np.sqrt(5.0), np.sqrt(8.0)]))
def test_inflate_exact_radii_are_inclusive(blocked: NDArray[np.bool_], radius: float) -> None:
    np.testing.assert_array_equal(inflate(blocked, radius), inflate_reference(blocked, radius))


def test_inflate_border_and_single_cell() -> None:
    b = np.zeros((20, 20), dtype=bool)
    out = inflate(b, 2.0)
    # cells within 2 of the outside are blocked, the interior is not
    assert out[:2].all() and out[-2:].all() and out[:, :2].all() and out[:, -2:].all()
    assert not out[2:-2, 2:-2].any()
    b[10, 10] = True
    out = inflate(b, 2.0)
    assert out[10, 8] and out[12, 10] and out[11, 11] and not out[12, 12]
    assert np.array_equal(inflate(b, 0.5), b)


@FAST
@given(masks(), st.integers(1, 5))
def test_downsample_matches_reference(blocked: NDArray[np.bool_], factor: int) -> None:
    h, w = blocked.shape
    out = downsample_blocked(blocked, factor)
    assert out.shape == (-(-h // factor), -(-w // factor))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            block = blocked[r * factor : (r + 1) * factor, c * factor : (c + 1) * factor]
            partial = block.shape != (factor, factor)
            assert out[r, c] == (bool(block.any()) or partial)


@FAST
@given(masks(), st.integers(-1, 25), st.integers(-1, 25))
def test_flood_fill_matches_bfs(blocked: NDArray[np.bool_], r: int, c: int) -> None:
    free = ~blocked
    np.testing.assert_array_equal(flood_fill(free, (r, c)), bfs_reference(free, (r, c)))


@FAST
@given(masks())
def test_components(blocked: NDArray[np.bool_]) -> None:
    free = ~blocked
    labels, n = label_components(free)
    assert labels.shape == free.shape and (labels[~free] == 0).all()
    assert set(np.unique(labels[free]).tolist()) == set(range(1, n + 1))
    largest = largest_component(free)
    if n == 0:
        assert not largest.any()
        return
    sizes = [int((labels == k).sum()) for k in range(1, n + 1)]
    assert int(largest.sum()) == max(sizes)
    r, c = np.argwhere(largest)[0]
    np.testing.assert_array_equal(largest, bfs_reference(free, (int(r), int(c))))


def clearance_reference(
    occ: NDArray[np.uint8], x: float, y: float, radius: float, cs: float
) -> bool:
    h, w = occ.shape
    if x - radius < 0 or y - radius < 0 or x + radius > w * cs or y + radius > h * cs:
        return False
    rows, cols = np.nonzero(occ)
    dx = np.maximum(np.maximum(cols * cs - x, 0.0), x - (cols + 1) * cs)
    dy = np.maximum(np.maximum(rows * cs - y, 0.0), y - (rows + 1) * cs)
    return bool(np.all(dx * dx + dy * dy >= radius * radius))


@settings(max_examples=150, deadline=None)
@given(
    masks(max_side=12),
    st.floats(-0.1, 1.3),
    st.floats(-0.1, 1.3),
    st.floats(0.0, 0.5),
)
def test_clearance_matches_reference(
    blocked: NDArray[np.bool_], x: float, y: float, radius: float
) -> None:
    occ = blocked.astype(np.uint8) * 2
    cs = 0.1
    assert clearance_ok(occ, x, y, radius, cs) == clearance_reference(occ, x, y, radius, cs)


def test_clearance_simple_cases() -> None:
    occ = np.zeros((10, 10), dtype=np.uint8)
    occ[5, 5] = 1  # box x in [0.5, 0.6), y in [0.5, 0.6)
    assert clearance_ok(occ, 0.25, 0.25, 0.2, 0.1)
    assert not clearance_ok(occ, 0.25, 0.25, 0.26, 0.1)  # leaves the grid
    assert clearance_ok(occ, 0.35, 0.55, 0.149, 0.1)
    assert not clearance_ok(occ, 0.35, 0.55, 0.151, 0.1)
    assert not clearance_ok(occ, 0.55, 0.55, 0.01, 0.1)
    assert not clearance_ok(occ, float("nan"), 0.5, 0.1, 0.1)
