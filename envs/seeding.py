"""Seeds, splits and episode streams.

* A map of split ``s`` with index ``i`` has world seed ``3 * i + SPLIT_ID[s]``: the
  ``train``, ``val`` and ``test`` streams are disjoint by construction.
* An environment slot seeded with ``base`` plays episodes ``k = 0, 1, 2, ...`` whose
  episode seeds are ``episode_seed(base, k)``; everything random about episode ``k`` (map,
  goal, start, sensor noise) follows from that one number. So the same seed gives the same
  episodes in the single env, in any slot of the vector env and in the SB3 adapter.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SPLITS", "SPLIT_ID", "episode_seed", "map_seed", "check_split", "fresh_seed"]

SPLITS: tuple[str, ...] = ("train", "val", "test")
SPLIT_ID = {name: i for i, name in enumerate(SPLITS)}
_MASK63 = (1 << 63) - 1


def _mix64(z: int) -> int:
    z &= 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def episode_seed(base_seed: int, episode: int) -> int:
    """The seed of episode ``episode`` (0, 1, ...) of a slot seeded with ``base_seed``."""
    return (
        _mix64(_mix64(int(base_seed) + 0x9E3779B97F4A7C15) ^ (int(episode) * 0xD1B54A32D192ED03))
        & _MASK63
    )


def map_seed(split: str, index: int) -> int:
    """World seed of map ``index`` of ``split``; the three splits never share a seed."""
    check_split(split)
    return 3 * int(index) + SPLIT_ID[split]


def check_split(split: str) -> str:
    """Return ``split`` or raise ValueError naming the allowed values."""
    if split not in SPLIT_ID:
        raise ValueError(f"split: {split!r} is not allowed; allowed: {', '.join(SPLITS)}")
    return split


def fresh_seed() -> int:
    """A random 63-bit seed from the OS, for resets without a seed."""
    return (
        int(np.random.SeedSequence().generate_state(2, dtype=np.uint32).view(np.uint64)[0])
        & _MASK63
    )
