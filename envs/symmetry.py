"""The fore/aft symmetry of a task's observation: what the robot would sense turned round.

Our robot is a disc with a differential drive and its lidar at the centre, so turning it
round by pi (in place) changes nothing about what it can do: driving forwards becomes
driving backwards, yaw rates stay. A policy can use that (see
:mod:`policies.symmetric`): it needs, for each observation key, the map from what the
robot senses to what it would sense turned round. :func:`fore_aft_mirror` gives it, or
refuses a task whose observation has no such map (a forward camera cannot see behind).

A key's map is ``y = sign * x[index]``, then ``y = wrap(y + shift)`` on the dimensions
where ``shift`` is not 0 (angles, wrapped into [-pi, pi)):

==========  ==============================================================
key         turned round by pi
==========  ==============================================================
lidar       beam k reads what beam (k + beams/2) mod beams read (full circle only)
goal        range unchanged, bearing + pi
velocity    (-linear, angular)
odometry    (-dx, -dy, dyaw)
imu         (-ax, -ay, az, yaw rate)
bumper      unchanged (the bumper is all round)
target      unchanged (ObjectNav's colour one-hot; its camera refuses anyway)
==========  ==============================================================
"""

from __future__ import annotations

import math
from typing import TypedDict

from gymnasium import spaces

from envs.task import TaskConfig

__all__ = ["KeyMirror", "fore_aft_mirror", "MIRRORABLE"]


class KeyMirror(TypedDict):
    """One observation key's map (plain lists, so that it goes into JSON and SB3 zips).

    ``index`` (n,) ints, ``sign`` (n,) +-1.0, ``shift`` (n,) rad (0 where not an angle).
    """

    index: list[int]
    sign: list[float]
    shift: list[float]


#: observation keys with a fore/aft map (the lidar only when it covers the full circle)
MIRRORABLE: tuple[str, ...] = ("lidar", "goal", "velocity", "odometry", "imu", "bumper", "target")

_SIGNS: dict[str, list[float]] = {
    "velocity": [-1.0, 1.0],
    "odometry": [-1.0, -1.0, 1.0],
    "imu": [-1.0, -1.0, 1.0, 1.0],
}


def _identity(n: int) -> KeyMirror:
    return {"index": list(range(n)), "sign": [1.0] * n, "shift": [0.0] * n}


def fore_aft_mirror(config: TaskConfig, observation_space: spaces.Dict) -> dict[str, KeyMirror]:
    """Per observation key, the map from an observation to the robot's turned-round one.

    Args:
        config: the task's config (the lidar's field of view comes from ``config.sim``).
        observation_space: the task's Dict observation space (gives the sizes).

    Raises:
        ValueError: naming ``policy.symmetry`` and the key that has no fore/aft map.
    """
    out: dict[str, KeyMirror] = {}
    for key, space in observation_space.spaces.items():
        if key not in MIRRORABLE:
            raise ValueError(
                f"policy.symmetry: fore_aft cannot mirror the observation key {key!r} "
                f"(a forward-looking sensor does not see behind); keys it can: "
                f"{', '.join(MIRRORABLE)}"
            )
        shape: tuple[int, ...] = getattr(space, "shape", None) or ()
        if len(shape) != 1:
            raise ValueError(f"policy.symmetry: key {key!r} is not a vector (shape {shape})")
        n = shape[0]
        m = _identity(n)
        if key == "lidar":
            lidar = config.sim.lidar
            if lidar.fov < 2 * math.pi - 1e-9 or n % 2:
                raise ValueError(
                    "policy.symmetry: fore_aft needs a full-circle lidar with an even number "
                    f"of beams; sim.lidar has fov {lidar.fov!r} rad and {n} beams"
                )
            m["index"] = [(k + n // 2) % n for k in range(n)]
        elif key == "goal":
            m["shift"] = [0.0, math.pi]
        elif key in _SIGNS:
            if n != len(_SIGNS[key]):
                raise ValueError(
                    f"policy.symmetry: key {key!r} has {n} values, expected {len(_SIGNS[key])}"
                )
            m["sign"] = list(_SIGNS[key])
        out[key] = m
    return out
