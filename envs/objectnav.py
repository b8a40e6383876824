"""``smartbot/ObjectNav-v0``: find and reach the object of the target colour.

The world holds ``n_targets`` coloured pillars (one per colour, at most six): the
target and its distractors. The robot is told only the target's colour and must
find it with its camera.

* **Observation** (Dict; default keys ``camera``, ``target``):
  ``camera`` (3, 64, 64) uint8 RGB, channel-first; ``target`` (6,) float32 one-hot of
  the target colour (red, green, blue, yellow, magenta, cyan). Add ``lidar`` (and any
  of :data:`envs.task.COMMON_SENSORS`) with ``sensors=[...]``.
* **Action**: Box(-1, 1, (2,)) float32, normalised linear and angular velocity.
* **Reward** (terms in ``info``): geodesic progress toward the target
  (``reward_progress``), ``reward_success``, ``reward_contact``, ``reward_time``,
  ``reward_path`` (-path_penalty per metre driven), ``reward_arc`` (-arc_penalty x
  metres x |yaw rate|), ``reward_reverse`` (-reverse_penalty per metre driven
  backwards) and ``reward_explore`` (explore_bonus per step into a 0.5 m cell of the
  odometry visit grid new this episode, :mod:`envs.visits`), the last four 0 by
  default. Add ``visits`` to ``sensors`` for the matching memory reading.
* **Success**: the gap between the robot's edge and the target's edge is at most
  ``success_radius`` (0.3 m): terminated with ``info["is_success"] = True``.
  Touching a distractor is only a contact.
* **Termination / truncation**: success (or contact with ``contact="terminate"``);
  truncated after ``max_steps`` (300).
* **Difficulty**: world size and clutter via ``sim={"world": {...}}``; distractors
  via ``sim={"world": {"n_targets": k}}`` (k - 1 distractors).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from envs.maps import MapEntry
from envs.task import BatchedTask, TaskConfig
from robot.specs import SimSpec, SpecError, WorldSpec
from robot.world import TARGET_NAMES
from robot.worldgen import generate_world

__all__ = ["ObjectNavConfig", "ObjectNavTask"]


def _objectnav_sim() -> SimSpec:
    return SimSpec(
        world=WorldSpec(kind="rooms", min_size=6.0, max_size=8.0, n_targets=3, clutter=0.2)
    )


@dataclasses.dataclass(frozen=True)
class ObjectNavConfig(TaskConfig):
    """ObjectNav settings (see :class:`envs.task.TaskConfig` for the common ones)."""

    _section = "ObjectNav"
    sensors: tuple[str, ...] = ("camera", "target")
    min_start_distance: float = 1.0
    max_start_distance: float = 8.0
    sim: SimSpec = dataclasses.field(default_factory=_objectnav_sim)
    task_sensors: ClassVar[tuple[str, ...]] = ("target",)

    def validate(self, path: str) -> None:
        super().validate(path)
        if self.sim.world.n_targets < 1:
            raise SpecError(
                f"{path}.sim.world.n_targets: ObjectNav needs at least 1; allowed [1, 6]"
            )


class ObjectNavTask(BatchedTask):
    """Batched ObjectNav episodes."""

    config_cls = ObjectNavConfig
    task_id = "smartbot/ObjectNav-v0"

    def __init__(self, num_envs: int, config: TaskConfig | None = None) -> None:
        super().__init__(num_envs, config)
        self.target_colour = np.zeros(num_envs, dtype=np.int64)
        self.target_size = np.zeros(num_envs)

    def build_map(self, seed: int, variant: int) -> MapEntry:
        radius = self.config.sim.robot.radius
        world = generate_world(self.config.sim.world, seed, robot_radius=radius)
        targets = world.targets()
        if not targets:
            raise RuntimeError(f"map {seed}: no target objects")
        goals = np.array([(t.x, t.y) for t in targets], dtype=np.float64)
        extras: dict[str, object] = {
            "colours": [t.colour for t in targets],
            "sizes": [t.size for t in targets],
        }
        return MapEntry(world=world, grid=self.make_grid(world), goals=goals, extras=extras)

    def on_reset(self, i: int, rng: np.random.Generator, entry: MapEntry) -> None:
        g = int(self.goal_index[i])
        self.target_colour[i] = entry.extras["colours"][g]  # type: ignore[index]
        self.target_size[i] = entry.extras["sizes"][g]  # type: ignore[index]

    def goal_reached(self) -> NDArray[np.bool_]:
        p = self.sim.pose
        d = np.hypot(p[:, 0] - self.goal[:, 0], p[:, 1] - self.goal[:, 1])
        gap = d - self.config.sim.robot.radius - self.target_size
        return np.asarray(gap <= self.config.success_radius)

    def success_reach(self) -> NDArray[np.float64]:
        return self.config.sim.robot.radius + self.target_size + self.config.success_radius

    def task_spaces(self) -> dict[str, spaces.Space[Any]]:
        return {"target": spaces.Box(0.0, 1.0, (len(TARGET_NAMES),), np.float32)}

    def task_observation(self, idx: NDArray[np.int64]) -> None:
        if "target" in self.obs:
            t = self.obs["target"]
            t[idx] = 0.0
            t[idx, self.target_colour[idx]] = 1.0
