"""Counter-based random numbers for the batched simulator.

Each world has a 64-bit key (from its seed) and a step counter. A random number
is a pure hash of (key, counter, stream, index), so a world draws the same noise
whatever batch it sits in, whichever thread runs it and whatever other worlds do.
That is what makes the simulator deterministic per world and seed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "seed_to_key",
    "hash_uniform",
    "hash_normal",
    "step_base",
    "uniform_at",
    "normal_at",
    "normal_pair_at",
    "STREAM",
]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53

#: Stream ids keep the noise of different sensors independent.
STREAM = {"actuator": 1, "slip": 2, "imu": 3, "odometry": 4, "lidar": 5, "dropout": 6, "camera": 7}


@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:  # splitmix64 finaliser
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def step_base(key: np.uint64, counter: np.uint64) -> np.uint64:
    """The hash state of one world at one step: the part of :func:`hash_uniform` shared by
    all its draws. Kernels that draw many numbers per world compute it once."""
    return _mix(key + _GOLDEN * (counter + np.uint64(1)))


@njit(cache=True, inline="always")
def uniform_at(base: np.uint64, stream: int, index: int) -> float:
    """``hash_uniform(key, counter, stream, index)`` from ``base = step_base(key, counter)``."""
    z = _mix(base ^ (np.uint64(stream) * _M2 + np.uint64(index) * _GOLDEN))
    return float(z >> _S11) * _INV53


@njit(cache=True, inline="always")
def normal_at(base: np.uint64, stream: int, index: int) -> float:
    """``hash_normal(key, counter, stream, index)`` from ``base = step_base(key, counter)``."""
    u1 = uniform_at(base, stream, 2 * index)
    u2 = uniform_at(base, stream, 2 * index + 1)
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True, inline="always")
def normal_pair_at(base: np.uint64, stream: int, index: int) -> tuple[float, float]:
    """Two independent standard normals from one Box-Muller draw: the first is
    ``normal_at(base, stream, index)``, the second its sine partner (half the cost of two
    ``normal_at`` calls)."""
    u1 = uniform_at(base, stream, 2 * index)
    u2 = uniform_at(base, stream, 2 * index + 1)
    r = np.sqrt(-2.0 * np.log(1.0 - u1))
    return r * np.cos(2.0 * np.pi * u2), r * np.sin(2.0 * np.pi * u2)


@njit(cache=True, inline="always")
def hash_uniform(key: np.uint64, counter: np.uint64, stream: int, index: int) -> float:
    """Uniform float in [0, 1) determined by (key, counter, stream, index)."""
    return uniform_at(step_base(key, counter), stream, index)


@njit(cache=True, inline="always")
def hash_normal(key: np.uint64, counter: np.uint64, stream: int, index: int) -> float:
    """Standard normal float (Box-Muller) determined by (key, counter, stream, index)."""
    return normal_at(step_base(key, counter), stream, index)


def seed_to_key(seed: int) -> np.uint64:
    """A well-mixed 64-bit key for an integer seed (any size, negative allowed)."""
    z = np.uint64((int(seed) + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
    return np.uint64(_mix(z))
