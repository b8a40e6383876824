"""``smartbot/PointNav-v0``: drive to a goal point.

The robot starts at a random pose in a procedurally generated indoor world and must
reach a goal point whose range and bearing it is told at every step. By default the
worlds are cluttered halls (boxes and pillars, terrain patches), which a memoryless
lidar policy can solve; rooms joined by doorways (``sim={"world": {"kind": "rooms"}}``)
or mazes need a policy with memory, since a reactive one gets caught behind walls.

* **Observation** (Dict; default keys ``lidar``, ``goal``, ``velocity``; any of
  :data:`envs.task.COMMON_SENSORS` may be added with ``sensors=[...]``):
  ``goal`` (2,) float32: range to the goal, m, in [0, ceil(sqrt(2) * max_size)] (15 m
  by default), and bearing, rad, in [-pi, pi] (counter-clockwise from the heading).
* **Action**: Box(-1, 1, (2,)) float32: normalised linear and angular velocity
  (times 0.5 m/s and 2.0 rad/s by default).
* **Reward** (terms in ``info``): ``reward_progress`` = progress_weight x decrease of
  the geodesic (A*) distance to the goal, m; ``reward_success`` = success_bonus (plus
  spl_bonus x the episode's SPL, 0 by default) on success; ``reward_contact`` =
  -contact_penalty per step in contact;
  ``reward_time`` = -time_penalty per step; ``reward_path`` = -path_penalty x metres
  driven this step; ``reward_arc`` = -arc_penalty x metres driven x |yaw rate, rad/s|;
  ``reward_reverse`` = -reverse_penalty x metres driven backwards (all three 0 by
  default; set the first two so that detours and arcs, which cost SPL, cost reward too,
  the third so that a policy does not settle on reversing everywhere and arcing round
  whenever the goal lies ahead); ``reward_explore`` = explore_bonus for each step
  into a cell of the odometry visit grid new this episode (0 by default; see
  :mod:`envs.visits`).
* **Success**: the robot centre within ``success_radius`` (0.3 m) of the goal:
  terminated with ``info["is_success"] = True``.
* **Termination / truncation**: terminated on success (or on contact with
  ``contact="terminate"``); truncated after ``max_steps`` (300 steps, 30 s).
* **Starts**: geodesic start distance in [min_start_distance, max_start_distance]
  (1 to 8 m). Goals: ``goals_per_map`` reachable points per map.
* **Difficulty**: ``sim={"world": {"kind": "clutter", "min_size": 6, "max_size": 10,
  "clutter": 0.5}}`` (the defaults); kinds rooms, corridors, maze, clutter, mixed.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from envs.maps import MapEntry
from envs.task import BatchedTask, TaskConfig
from robot.specs import SimSpec, WorldSpec
from robot.worldgen import generate_world, sample_free_point

__all__ = ["PointNavConfig", "PointNavTask"]


def _pointnav_sim() -> SimSpec:
    return SimSpec(
        world=WorldSpec(kind="clutter", min_size=6.0, max_size=10.0, n_targets=0, clutter=0.5)
    )


@dataclasses.dataclass(frozen=True)
class PointNavConfig(TaskConfig):
    """PointNav settings (see :class:`envs.task.TaskConfig` for the common ones)."""

    _section = "PointNav"
    sensors: tuple[str, ...] = ("lidar", "goal", "velocity")
    sim: SimSpec = dataclasses.field(default_factory=_pointnav_sim)
    task_sensors: ClassVar[tuple[str, ...]] = ("goal",)


class PointNavTask(BatchedTask):
    """Batched PointNav episodes."""

    config_cls = PointNavConfig
    task_id = "smartbot/PointNav-v0"

    def build_map(self, seed: int, variant: int) -> MapEntry:
        radius = self.config.sim.robot.radius
        world = generate_world(self.config.sim.world, seed, robot_radius=radius)
        rng = np.random.default_rng([seed, 7])
        grid = self.make_grid(world)
        goals = []
        for _ in range(self.config.goals_per_map * 4):
            x, y = sample_free_point(world, rng, radius)
            if grid.is_free(x, y):
                goals.append((x, y))
            if len(goals) == self.config.goals_per_map:
                break
        if not goals:
            raise RuntimeError(f"map {seed}: no free goal point")
        return MapEntry(world=world, grid=grid, goals=np.array(goals, dtype=np.float64))

    @functools.cached_property
    def max_goal_range(self) -> float:
        """Upper bound of the goal range, m: the diagonal of the largest world."""
        w = self.config.sim.world
        return float(np.ceil(np.sqrt(2.0) * w.max_size))

    def task_spaces(self) -> dict[str, spaces.Space[Any]]:
        return {
            "goal": spaces.Box(
                np.array([0.0, -np.pi], np.float32),
                np.array([self.max_goal_range, np.pi], np.float32),
                dtype=np.float32,
            )
        }

    def task_observation(self, idx: NDArray[np.int64]) -> None:
        if "goal" in self.obs:
            goal, top = self.obs["goal"], self.max_goal_range
            if len(idx) == self.num_envs:
                # Every row (a step): in place. Range and bearing depend only on the pose and
                # the goal, so rows outside ``idx`` would come out unchanged anyway.
                self.goal_vector(out=goal, max_range=top)
            else:
                goal[idx] = self.goal_vector(idx, max_range=top)
