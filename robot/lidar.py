"""Batched planar lidar: ray-cast ranges with Gaussian noise and dropouts (numba)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from robot.fan import cast_fan
from robot.rng import STREAM, normal_pair_at, step_base, uniform_at
from robot.specs import LidarSpec

__all__ = ["beam_angles", "lidar_batch"]

_NOISE = STREAM["lidar"]
_DROP = STREAM["dropout"]


def beam_angles(spec: LidarSpec) -> NDArray[np.float64]:
    """Beam bearings relative to the heading, rad, shape (beams,).

    Beams are evenly spaced over ``spec.fov`` from ``-fov/2``; for a full circle the
    last beam stops one spacing short of ``+pi`` so no direction is counted twice.
    """
    full = spec.fov >= 2 * np.pi - 1e-9
    if full:
        return np.asarray(-np.pi + np.arange(spec.beams) * (2 * np.pi / spec.beams), np.float64)
    if spec.beams == 1:
        return np.zeros(1)
    return np.linspace(-spec.fov / 2, spec.fov / 2, spec.beams)


@njit(cache=True)
def _lidar_batch_one(
    b: int,
    quad: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    beam_cos: NDArray[np.float64],
    beam_sin: NDArray[np.float64],
    max_range: float,
    noise_std: float,
    dropout: float,
    out: NDArray[np.float32],
    work: NDArray[np.float64],
    iwork: NDArray[np.int64],
) -> None:
    """One world (index ``b``) of :func:`lidar_batch`; ``work`` (10, beams) float64 and
    ``iwork`` (5, beams) int64 are scratch space."""
    nb = beam_cos.shape[0]
    cy = np.cos(pose[b, 2])
    sy = np.sin(pose[b, 2])
    dxs = work[8]
    dys = work[9]
    for k in range(nb):
        dxs[k] = cy * beam_cos[k] - sy * beam_sin[k]
        dys[k] = sy * beam_cos[k] + cy * beam_sin[k]
    ranges = work[0]
    cast_fan(
        quad[b],
        dims[b, 0],
        dims[b, 1],
        cell,
        pose[b, 0],
        pose[b, 1],
        dxs,
        dys,
        max_range,
        ranges,
        work[1:8],
        iwork,
    )
    base = step_base(keys[b], counters[b])
    z = 0.0
    for k in range(nb):
        t = ranges[k]
        if noise_std > 0.0:
            if k % 2 == 0:  # beams 2j and 2j + 1 share one Box-Muller draw
                g, z = normal_pair_at(base, _NOISE, k)
            else:
                g = z
            t += noise_std * g
            t = min(max(t, 0.0), max_range)
        if dropout > 0.0 and uniform_at(base, _DROP, k) < dropout:
            t = max_range
        out[b, k] = t


@njit(cache=True)
def _lidar_batch_serial(
    idx: NDArray[np.int64],
    quad: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    beam_cos: NDArray[np.float64],
    beam_sin: NDArray[np.float64],
    max_range: float,
    noise_std: float,
    dropout: float,
    out: NDArray[np.float32],
) -> None:
    nb = beam_cos.shape[0]
    work = np.empty((10, nb))
    iwork = np.empty((5, nb), dtype=np.int64)
    for j in range(idx.shape[0]):
        _lidar_batch_one(
            idx[j],
            quad,
            dims,
            cell,
            pose,
            keys,
            counters,
            beam_cos,
            beam_sin,
            max_range,
            noise_std,
            dropout,
            out,
            work,
            iwork,
        )


@njit(cache=True, parallel=True)
def _lidar_batch_parallel(
    idx: NDArray[np.int64],
    quad: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    beam_cos: NDArray[np.float64],
    beam_sin: NDArray[np.float64],
    max_range: float,
    noise_std: float,
    dropout: float,
    out: NDArray[np.float32],
) -> None:
    nb = beam_cos.shape[0]
    work = np.empty((idx.shape[0], 10, nb))  # one scratch block per robot, allocated once
    iwork = np.empty((idx.shape[0], 5, nb), dtype=np.int64)
    for j in prange(idx.shape[0]):
        _lidar_batch_one(
            idx[j],
            quad,
            dims,
            cell,
            pose,
            keys,
            counters,
            beam_cos,
            beam_sin,
            max_range,
            noise_std,
            dropout,
            out,
            work[j],
            iwork[j],
        )


def lidar_batch(
    idx: NDArray[np.int64],
    quad: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    pose: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    beam_cos: NDArray[np.float64],
    beam_sin: NDArray[np.float64],
    max_range: float,
    noise_std: float,
    dropout: float,
    out: NDArray[np.float32],
    parallel: bool,
) -> None:
    """Fill rows ``idx`` of ``out`` (B, beams) with ranges in metres, clipped to [0, max_range].

    ``quad``: (B, 4, H, W) :func:`robot.fan.quadrant_clearance` grids of the worlds (the
    first ``dims[b]`` rows and columns of world b). ``beam_cos``/``beam_sin``: (beams,)
    unit vectors of the beams in the body frame.
    """
    kernel = _lidar_batch_parallel if parallel else _lidar_batch_serial
    kernel(
        idx,
        quad,
        dims,
        cell,
        pose,
        keys,
        counters,
        beam_cos,
        beam_sin,
        max_range,
        noise_std,
        dropout,
        out,
    )
