"""``smartbot/CueMaze-v0``: remember a cue, then choose the matching arm of a T-maze.

At the start the robot faces a coloured cue (red or green) in an alcove. A corridor
bends out of sight of the cue and leads to a junction with two identical arms; the
goal is at the end of the left arm for red and of the right arm for green. The cue
is observable only near the start, so a policy without memory cannot beat 50%.

* **Observation** (Dict; default keys ``lidar``, ``cue``, ``velocity``):
  ``cue`` (6,) float32: the one-hot cue colour while the robot is within
  ``cue_radius`` (1.0 m) of its start, zeros afterwards. With ``sensors`` including
  ``camera`` the cue is also seen as a coloured pillar near the start.
* **Action**: Box(-1, 1, (2,)) float32, normalised linear and angular velocity.
* **Reward** (terms in ``info``): geodesic progress toward the correct arm's end,
  ``reward_success`` on success, ``reward_contact``, ``reward_time``, ``reward_path``
  (-path_penalty per metre driven), ``reward_arc`` (-arc_penalty x metres x |yaw
  rate|), ``reward_reverse`` (-reverse_penalty per metre driven backwards) and
  ``reward_explore`` (explore_bonus per step into a visit-grid cell new this episode,
  :mod:`envs.visits`), the last four 0 by default.
* **Success**: within ``success_radius`` (0.5 m) of the correct arm's end.
  **Failure**: within ``success_radius`` of the wrong arm's end: terminated with
  ``is_success = False``.
* **Truncation**: after ``max_steps`` (150 steps, 37.5 s).
* **Control rate**: 4 Hz (``sim.robot.control_dt`` = 0.25 s; the other tasks run at 10 Hz).
  The cue is seen for the first ~8 decisions and the junction comes ~35 decisions later
  (the scripted expert takes ~55 steps in all). At 10 Hz the same drive is ~85 blind
  decisions, and a randomly initialised LSTM forgets the cue long before the junction.
* **Difficulty**: ``corridor_length`` (stem length, m).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from envs.maps import MapEntry
from envs.task import BatchedTask, TaskConfig, within_radius
from robot.specs import RobotSpec, SimSpec, check_range
from robot.world import TARGET_NAMES
from robot.worldgen import generate_cuemaze

__all__ = ["CueMazeConfig", "CueMazeTask", "CUE_COLOURS"]

#: The two cue colours: red (left arm) and green (right arm).
CUE_COLOURS = (0, 1)


def _cuemaze_sim() -> SimSpec:
    return SimSpec(robot=RobotSpec(control_dt=0.25))


@dataclasses.dataclass(frozen=True)
class CueMazeConfig(TaskConfig):
    """CueMaze settings (see :class:`envs.task.TaskConfig` for the common ones).

    Attributes:
        corridor_length: stem length, m. cue_radius: m from the start where the cue is observed.
    """

    _section = "CueMaze"
    sensors: tuple[str, ...] = ("lidar", "cue", "velocity")
    max_steps: int = 150
    success_radius: float = 0.5
    corridor_length: float = 2.0
    cue_radius: float = 1.0
    sim: SimSpec = dataclasses.field(default_factory=_cuemaze_sim)
    task_sensors: ClassVar[tuple[str, ...]] = ("cue",)

    def validate(self, path: str) -> None:
        super().validate(path)
        check_range(f"{path}.corridor_length", self.corridor_length, 2.0, 30.0)
        check_range(f"{path}.cue_radius", self.cue_radius, 0.0, 10.0)


class CueMazeTask(BatchedTask):
    """Batched CueMaze episodes."""

    config_cls = CueMazeConfig
    task_id = "smartbot/CueMaze-v0"
    config: CueMazeConfig

    def __init__(self, num_envs: int, config: TaskConfig | None = None) -> None:
        super().__init__(num_envs, config)
        self.cue = np.zeros(num_envs, dtype=np.int64)
        self.start_xy = np.zeros((num_envs, 2))
        self.wrong_goal = np.zeros((num_envs, 2))

    def build_map(self, seed: int, variant: int) -> MapEntry:
        cfg = self.config
        world = generate_cuemaze(
            seed,
            cue_colour=variant,
            cell_size=cfg.sim.world.cell_size,
            corridor_length=cfg.corridor_length,
            robot_radius=cfg.sim.robot.radius,
            wall_height=cfg.sim.world.wall_height,
        )
        goals = np.array(world.meta["arms"], dtype=np.float64)
        return MapEntry(
            world=world,
            grid=self.make_grid(world),
            goals=goals,
            extras={"correct_arm": int(world.meta["correct_arm"])},
        )

    def sample_variant(self, rng: np.random.Generator) -> int:
        return int(CUE_COLOURS[int(rng.integers(len(CUE_COLOURS)))])

    def sample_goal(self, rng: np.random.Generator, entry: MapEntry, i: int) -> int:
        return int(entry.extras["correct_arm"])  # type: ignore[call-overload]

    def sample_start(
        self, rng: np.random.Generator, entry: MapEntry, field: NDArray[np.float32], i: int
    ) -> tuple[float, float, float]:
        x, y, yaw = entry.world.start
        return (float(x), float(y), float(yaw + rng.uniform(-0.2, 0.2)))

    def on_reset(self, i: int, rng: np.random.Generator, entry: MapEntry) -> None:
        self.cue[i] = int(entry.world.meta["cue_colour"])
        self.start_xy[i] = entry.world.start[:2]
        self.wrong_goal[i] = entry.goals[1 - int(self.goal_index[i])]

    def failed(self) -> NDArray[np.bool_]:
        return within_radius(self.sim.pose, self.wrong_goal, self.config.success_radius)

    def task_spaces(self) -> dict[str, spaces.Space[Any]]:
        return {"cue": spaces.Box(0.0, 1.0, (len(TARGET_NAMES),), np.float32)}

    def task_observation(self, idx: NDArray[np.int64]) -> None:
        if "cue" in self.obs:
            c = self.obs["cue"]
            p = self.sim.pose[idx]
            near = np.hypot(p[:, 0] - self.start_xy[idx, 0], p[:, 1] - self.start_xy[idx, 1])
            near = near <= self.config.cue_radius
            c[idx] = 0.0
            c[idx[near], self.cue[idx[near]]] = 1.0
