"""Task logic written once, batched, and shared by the single, vector and SB3 doors.

A :class:`BatchedTask` owns a :class:`robot.sim.Simulator` of ``num_envs`` worlds and
everything episodic about them: which map and goal each slot plays, the geodesic
distance fields for reward shaping and SPL, the named reward terms, success,
termination and truncation, and the Dict observation. Concrete tasks
(:mod:`envs.pointnav`, :mod:`envs.objectnav`, :mod:`envs.cuemaze`) fill in the hooks.

Observation keys shared by all tasks (which appear is set by ``sensors``):

==========  ==================  =======  ==============================================
key         shape               dtype    meaning, units
==========  ==================  =======  ==============================================
lidar       (beams,)            float32  ranges, m, in [0, lidar.max_range]
camera      (3, H, W)           uint8    egocentric RGB, channel-first
depth       (1, H, W)           float32  camera depth, m, in [0, camera.max_range]
imu         (4,)                float32  ax, ay, az m/s^2 (body frame), yaw rate rad/s
odometry    (3,)                float32  wheel odometry dx, dy m, dyaw rad, last step
velocity    (2,)                float32  wheel linear m/s and angular rad/s velocity
bumper      (1,)                float32  1.0 when the last step made contact
visits      (25,)               float32  time spent this episode in the cells around the
                                         robot, in [0, 1], from dead-reckoned odometry
                                         (:mod:`envs.visits`)
seen        (33,)               float32  1 where the cells around the robot have been in
                                         the camera's view this episode, from odometry and
                                         the lidar (:mod:`envs.seen`)
==========  ==================  =======  ==============================================
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from numba import njit
from numpy.typing import NDArray

from envs.maps import MAP_CACHE, MapEntry
from envs.seeding import check_split, episode_seed, fresh_seed, map_seed
from envs.seen import SeenMemory, beams_in_view
from envs.visits import VisitMemory
from robot.geodesic_batch import BatchedFields
from robot.grid import clearance_ok
from robot.lidar import beam_angles
from robot.planning import PlanningGrid
from robot.sim import Simulator
from robot.specs import SimSpec, Spec, SpecError, check_int, check_range

__all__ = ["TaskConfig", "BatchedTask", "COMMON_SENSORS", "PLANNING_RESOLUTION", "within_radius"]

COMMON_SENSORS: tuple[str, ...] = (
    "lidar",
    "camera",
    "depth",
    "imu",
    "odometry",
    "velocity",
    "bumper",
    "visits",
    "seen",
)
#: Planning grid cell size, m (geodesic distances, SPL, the expert's paths).
PLANNING_RESOLUTION = 0.1
_CONTACT_MODES = ("penalize", "terminate")
_EXPLORE_BY = ("visits", "seen")


@njit(cache=True)
def within_radius(
    pose: NDArray[np.float64], points: NDArray[np.float64], radius: float
) -> NDArray[np.bool_]:
    """(n,) bool: robot i (``pose`` (n, >=2), m) is at most ``radius`` m from ``points[i]``."""
    out = np.empty(pose.shape[0], dtype=np.bool_)
    for i in range(pose.shape[0]):
        out[i] = math.hypot(pose[i, 0] - points[i, 0], pose[i, 1] - points[i, 1]) <= radius
    return out


@njit(cache=True)
def _score_step(
    disp: NDArray[np.float64],
    geo_now: NDArray[np.float64],
    success: NDArray[np.bool_],
    failed: NDArray[np.bool_],
    bumper: NDArray[np.bool_],
    bad: NDArray[np.int64],
    new_cell: NDArray[Any],
    weights: NDArray[np.float64],
    dt: float,
    max_steps: int,
    contact_terminates: bool,
    geo: NDArray[np.float64],
    shortest_path: NDArray[np.float64],
    path_length: NDArray[np.float64],
    ep_return: NDArray[np.float64],
    ep_steps: NDArray[np.int64],
    bad_total: NDArray[np.int64],
    terms: NDArray[np.float64],
    terminated: NDArray[np.bool_],
    truncated: NDArray[np.bool_],
) -> None:
    """The bookkeeping of one step of n slots (see :meth:`BatchedTask.step`), in one pass.

    Args:
        disp: (n, 3) true displacement of the step in the body frame at its start: m
            forward, m left, rad.
        geo_now: (n,) geodesic distance at the new poses, m; not finite where the look-up
            failed (off the planning grid), where the previous distance stands.
        success, failed, bumper: (n,) bool. bad: (n,) action entries clipped this step.
        new_cell: (n,) what ``explore_bonus`` pays for: bool, the robot entered a
            visit-grid cell new this episode, or float, the cells it saw first this step.
        weights: (9,) progress_weight, success_bonus, -contact_penalty, -time_penalty,
            -path_penalty, -arc_penalty, -reverse_penalty, explore_bonus, spl_bonus.
            dt: control period, s.
        shortest_path: (n,) SPL's l_i of each episode, m (read only).
        max_steps: steps before truncation. contact_terminates: contact ends the episode.
        geo, path_length, ep_return, ep_steps, bad_total: (n,) updated in place (m, m,
            reward, steps, entries).
        terms: (9, n) filled with the reward and its terms progress, success, contact, time,
            path, arc, reverse and explore. terminated, truncated: (n,) bool, filled.
    """
    for i in range(geo.shape[0]):
        ep_steps[i] += 1
        bad_total[i] += bad[i]
        driven = math.hypot(disp[i, 0], disp[i, 1])
        path_length[i] += driven
        g = geo_now[i] if math.isfinite(geo_now[i]) else geo[i]
        r_progress = weights[0] * (geo[i] - g)
        geo[i] = g
        r_success = 0.0
        if success[i]:  # the bonus, plus spl_bonus x this episode's SPL (as metrics.spl)
            longest = max(path_length[i], shortest_path[i])
            r_success = weights[1] + weights[8] * (
                shortest_path[i] / longest if longest > 0.0 else 1.0
            )
        r_contact = weights[2] * (1.0 if bumper[i] else 0.0)
        r_time = weights[3]
        r_path = weights[4] * driven
        r_arc = weights[5] * driven * abs(disp[i, 2]) / dt
        r_reverse = weights[6] * (-disp[i, 0] if disp[i, 0] < 0.0 else 0.0)
        r_explore = weights[7] * new_cell[i]
        reward = (
            r_progress + r_success + r_contact + r_time + r_path + r_arc + r_reverse + r_explore
        )
        ep_return[i] += reward
        terms[0, i] = reward
        terms[1, i] = r_progress
        terms[2, i] = r_success
        terms[3, i] = r_contact
        terms[4, i] = r_time
        terms[5, i] = r_path
        terms[6, i] = r_arc
        terms[7, i] = r_reverse
        terms[8, i] = r_explore
        ended = success[i] or failed[i] or (contact_terminates and bumper[i])
        terminated[i] = ended
        truncated[i] = ep_steps[i] >= max_steps and not ended


@njit(cache=True)
def _velocity_rows(
    odom: NDArray[np.float64],
    idx: NDArray[np.int64],
    dt: float,
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    out: NDArray[np.float32],
) -> None:
    """``out[i] = clip((odom[i, 0], odom[i, 2]) / dt, low, high)`` for i in ``idx``
    (velocities m/s, rad/s, from the last step's odometry; NaN stays NaN like np.clip)."""
    for j in range(idx.shape[0]):
        i = idx[j]
        for c in range(2):
            v = odom[i, 2 * c] / dt
            if v < low[c]:
                v = low[c]
            if v > high[c]:
                v = high[c]
            out[i, c] = v


@njit(cache=True)
def _goal_rows(
    delta: NDArray[np.float64],
    heading: NDArray[np.float64],
    yaw: NDArray[np.float64],
    max_range: float,
    out: NDArray[np.float32],
) -> None:
    """Range and bearing rows from the goal offsets (see :meth:`BatchedTask.goal_vector`).

    Args:
        delta: (K, 2) goal minus robot position, m. heading: (K,) its direction
            ``np.arctan2(dy, dx)``, rad (numpy's, which may differ from libm's in the last
            bit). yaw: (K,) robot headings, rad. max_range: the range is clipped to it, m.
        out: (K, 2) float32, filled with range m and bearing rad in [-pi, pi].
    """
    top = np.float32(max_range)
    for k in range(delta.shape[0]):
        bearing = (heading[k] - yaw[k] + np.pi) % (2 * np.pi) - np.pi
        r = np.float32(math.hypot(delta[k, 0], delta[k, 1]))
        out[k, 0] = top if r > top else r
        out[k, 1] = bearing


@dataclasses.dataclass(frozen=True)
class TaskConfig(Spec):
    """Settings common to every task; pass any of them to ``gym.make(id, **kwargs)``.

    Attributes:
        split: which world-seed stream maps come from: train, val or test.
        sensors: observation keys to include (see the module docstring and each task).
        max_steps: steps before truncation (10 steps = 1 s).
        success_radius: m (task-specific meaning, see each task).
        contact: "penalize" (default) or "terminate" on contact.
        progress_weight: reward per metre of geodesic progress.
        success_bonus: reward on success. contact_penalty: per contact step.
        time_penalty: per step.
        path_penalty: per metre driven (0 by default). With ``progress_weight`` 1 a step
            then earns at most ``(1 - path_penalty) x`` its length, and only when it follows
            the shortest path: detours and arcs cost reward, as they cost SPL.
        arc_penalty: per metre driven while turning at 1 rad/s (0 by default): a step
            costs ``arc_penalty x metres x |yaw rate|``. Turning on the spot and driving
            straight cost nothing; arcs, which a discounted reward prefers because they
            save time, cost reward as they cost SPL (a full-speed arc, 0.5 m/s at 2 rad/s,
            costs ``arc_penalty`` per second).
        reverse_penalty: per metre driven backwards (0 by default). A policy that starts
            out driving in reverse turns round in an arc whenever the goal lies ahead; a
            small charge on reversing breaks that symmetry towards driving forwards.
        explore_bonus: reward for each step that enters a 0.5 m cell of the odometry
            visit grid (:mod:`envs.visits`) not yet visited this episode (0 by default):
            pays for searching new ground rather than circling. With ``explore_by: seen``
            it pays instead for each cell of that grid first seen (:mod:`envs.seen`).
        explore_by: what ``explore_bonus`` counts: "visits" (cells entered; the default)
            or "seen" (cells looked over).
        seen_range: m, how far along a lidar beam in the camera's view the ground counts
            as seen, for the ``seen`` sensor and ``explore_by: seen`` (4 by default).
        spl_bonus: paid on success on top of ``success_bonus``, times the episode's SPL
            (shortest path / max(path driven, shortest path), as :mod:`training.metrics`
            scores it; 0 by default): a success by a detour or an arc earns less, in the
            terms SPL counts, whatever the time it took.
        visits_saturation: steps in a cell at which its ``visits`` reading reaches 1
            (20 by default: 2 s at the default 10 Hz, 8 s at 2.5 Hz; fewer make one pass
            through a cell read more strongly. ObjectNav at 2.5 Hz trained worse with 5
            than with 20: see the README).
        n_maps: maps in the split's pool. goals_per_map: goal candidates per map.
        min_start_distance, max_start_distance: geodesic start-to-goal range, m.
        sim: the simulator spec (robot, sensors, world generation).
    """

    _section = "task"
    split: str = "train"
    sensors: tuple[str, ...] = ("lidar", "velocity")
    max_steps: int = 300
    success_radius: float = 0.3
    contact: str = "penalize"
    progress_weight: float = 1.0
    success_bonus: float = 10.0
    contact_penalty: float = 0.5
    time_penalty: float = 0.01
    path_penalty: float = 0.0
    arc_penalty: float = 0.0
    reverse_penalty: float = 0.0
    explore_bonus: float = 0.0
    spl_bonus: float = 0.0
    visits_saturation: int = 20
    explore_by: str = "visits"
    seen_range: float = 4.0
    n_maps: int = 256
    goals_per_map: int = 8
    min_start_distance: float = 1.0
    max_start_distance: float = 8.0
    sim: SimSpec = dataclasses.field(default_factory=SimSpec)

    #: keys this task allows in ``sensors`` beyond :data:`COMMON_SENSORS`
    task_sensors: ClassVar[tuple[str, ...]] = ()

    def validate(self, path: str) -> None:
        try:
            check_split(self.split)
        except ValueError as err:
            raise SpecError(f"{path}.{err}") from None
        allowed = COMMON_SENSORS + self.task_sensors
        if not isinstance(self.sensors, tuple) or not self.sensors:
            raise SpecError(f"{path}.sensors: expected a non-empty list of {', '.join(allowed)}")
        for s in self.sensors:
            if s not in allowed:
                raise SpecError(
                    f"{path}.sensors: {s!r} is not allowed; allowed: {', '.join(allowed)}"
                )
        if len(set(self.sensors)) != len(self.sensors):
            raise SpecError(f"{path}.sensors: {list(self.sensors)} lists a sensor twice")
        if self.contact not in _CONTACT_MODES:
            raise SpecError(
                f"{path}.contact: {self.contact!r} is not allowed; allowed: penalize, terminate"
            )
        check_int(f"{path}.max_steps", self.max_steps, 1, 1_000_000)
        check_range(f"{path}.success_radius", self.success_radius, 0.01, 5.0)
        for name in (
            "progress_weight",
            "success_bonus",
            "contact_penalty",
            "time_penalty",
            "path_penalty",
            "arc_penalty",
            "reverse_penalty",
            "explore_bonus",
            "spl_bonus",
        ):
            check_range(f"{path}.{name}", getattr(self, name), 0.0, 1000.0)
        check_int(f"{path}.visits_saturation", self.visits_saturation, 1, 100_000)
        if self.explore_by not in _EXPLORE_BY:
            raise SpecError(
                f"{path}.explore_by: {self.explore_by!r} is not allowed; allowed: visits, seen"
            )
        check_range(f"{path}.seen_range", self.seen_range, 0.1, 100.0)
        check_int(f"{path}.n_maps", self.n_maps, 1, 10_000_000)
        check_int(f"{path}.goals_per_map", self.goals_per_map, 1, 64)
        check_range(f"{path}.min_start_distance", self.min_start_distance, 0.0, 100.0)
        check_range(f"{path}.max_start_distance", self.max_start_distance, 0.1, 100.0)
        if self.max_start_distance <= self.min_start_distance:
            raise SpecError(
                f"{path}.max_start_distance: {self.max_start_distance!r} must exceed "
                f"min_start_distance {self.min_start_distance!r}"
            )
        if not isinstance(self.sim, SimSpec):
            raise SpecError(f"{path}.sim: expected a SimSpec or a mapping")


class BatchedTask:
    """``num_envs`` episodes of one task, stepped together.

    Subclasses set ``config_cls`` and ``task_id`` and implement :meth:`build_map`,
    :meth:`sample_goal` and :meth:`task_observation`; they may override
    :meth:`sample_variant`, :meth:`sample_start`, :meth:`task_spaces`, :meth:`goal_reached`
    and :meth:`failed`.

    Attributes (per-slot arrays, shape (num_envs, ...)):
        goal: (n, 2) goal point, m. geo_start: geodesic start distance, m.
        shortest_path: SPL's l_i, ``max(geo_start - success_reach(), 0)``, m (set at reset).
        geo: current geodesic distance, m. path_length: driven so far, m.
        ep_return, ep_steps, bad_total, success, entries (the MapEntry of each slot).
    """

    config_cls: ClassVar[type[TaskConfig]] = TaskConfig
    task_id: ClassVar[str] = ""

    def __init__(self, num_envs: int, config: TaskConfig | None = None) -> None:
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs: expected an integer >= 1, got {num_envs!r}")
        cfg = config if config is not None else self.config_cls()
        if not isinstance(cfg, self.config_cls):
            raise TypeError(
                f"config: expected {self.config_cls.__name__}, got {type(cfg).__name__}"
            )
        self.config = cfg
        self.num_envs = n = num_envs
        self.sim = Simulator(cfg.sim, n)
        self.fields = BatchedFields(n, self._planning_res())
        self.goal = np.zeros((n, 2))
        self.goal_index = np.zeros(n, dtype=np.int64)
        self.geo_start = np.zeros(n)
        self.shortest_path = np.zeros(n)
        self.geo = np.zeros(n)
        self.path_length = np.zeros(n)
        self.ep_return = np.zeros(n)
        self.ep_steps = np.zeros(n, dtype=np.int64)
        self.bad_total = np.zeros(n, dtype=np.int64)
        self.success = np.zeros(n, dtype=bool)
        self.base_seed = np.zeros(n, dtype=np.int64)
        self.episode = np.full(n, -1, dtype=np.int64)
        self.seeded = np.zeros(n, dtype=bool)
        self.entries: list[MapEntry | None] = [None] * n
        self.trails: list[list[tuple[float, float]]] = [[] for _ in range(n)]
        self.keep_trails = False
        self.single_observation_space = self._observation_space()
        self.single_action_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
        self.obs = {
            k: np.zeros((n, *(sp.shape or ())), dtype=sp.dtype)
            for k, sp in self.single_observation_space.spaces.items()
        }
        self._rgb_scratch: NDArray[np.uint8] | None = None
        self._all = np.arange(n, dtype=np.int64)
        # Per-step constants, so that a step builds no more temporaries than it must.
        r = cfg.sim.robot
        self._velocity_low = np.array([-r.max_linear, -r.max_angular])  # (2,) m/s, rad/s
        self._velocity_high = np.array([r.max_linear, r.max_angular])
        self._weights = np.array(
            [
                cfg.progress_weight,
                cfg.success_bonus,
                -cfg.contact_penalty,
                -cfg.time_penalty,
                -cfg.path_penalty,
                -cfg.arc_penalty,
                -cfg.reverse_penalty,
                cfg.explore_bonus,
                cfg.spl_bonus,
            ]
        )
        self._can_fail = type(self).failed is not BatchedTask.failed
        self._never = np.zeros(n, dtype=bool)  # failed() of a task that cannot fail
        # Dead-reckoned visit counts, kept only when a sensor or a reward term reads them.
        # What the camera has looked over (on the same dead-reckoned pose), likewise.
        keep_seen = "seen" in cfg.sensors or (cfg.explore_bonus > 0 and cfg.explore_by == "seen")
        keep_visits = "visits" in cfg.sensors or cfg.explore_bonus > 0 or keep_seen
        self.visits = VisitMemory(n, cfg.visits_saturation) if keep_visits else None
        self.seen: SeenMemory | None = None
        if keep_seen:
            angles, fov = beam_angles(cfg.sim.lidar), cfg.sim.camera.fov
            if not beams_in_view(angles, fov).size:
                raise SpecError(
                    f"task.sim.camera.fov: no lidar beam lies within {fov!r} rad of the "
                    "heading (the seen memory reads those beams)"
                )
            reach = min(cfg.seen_range, cfg.sim.lidar.max_range)
            self.seen = SeenMemory(n, angles, fov, reach)
        self._ranges = (  # the lidar rows ``seen`` reads when lidar is not a sensor
            np.zeros((n, cfg.sim.lidar.beams), np.float32)
            if keep_seen and "lidar" not in cfg.sensors
            else None
        )
        # The whole (frozen, hashable) config: a task's maps may depend on any of its fields
        # (CueMaze's corridor_length), so two configs never share a cached map wrongly.
        self._map_key = (type(self).__name__, cfg)

    # ------------------------------------------------------------------ hooks
    def build_map(self, seed: int, variant: int) -> MapEntry:
        """Generate map ``seed`` (variant ``variant``) with its planning grid and goals."""
        raise NotImplementedError

    def sample_variant(self, rng: np.random.Generator) -> int:
        """Which variant of a map an episode plays (e.g. the cue colour); default 0."""
        return 0

    def sample_goal(self, rng: np.random.Generator, entry: MapEntry, i: int) -> int:
        """Index of the goal candidate of slot ``i``'s new episode."""
        return int(rng.integers(len(entry.goals)))

    def task_spaces(self) -> dict[str, spaces.Space[Any]]:
        """Spaces of the task-specific observation keys (those in ``task_sensors``)."""
        return {}

    def task_observation(self, idx: NDArray[np.int64]) -> None:
        """Fill the task-specific keys of ``self.obs`` for slots ``idx``."""

    def goal_reached(self) -> NDArray[np.bool_]:
        """(n,) bool: the robot is within the success radius of its goal."""
        return within_radius(self.sim.pose, self.goal, self.config.success_radius)

    def success_reach(self) -> NDArray[np.float64]:
        """(n,) distance from the goal point at which success triggers, m (for SPL's l_i).

        Read at reset (after :meth:`on_reset`): it must stay fixed during an episode.
        """
        return np.full(self.num_envs, self.config.success_radius)

    def failed(self) -> NDArray[np.bool_]:
        """(n,) bool: the episode ended in failure (besides time-out and contact).

        Only called when a subclass overrides it (the default never fails).
        """
        return np.zeros(self.num_envs, dtype=bool)

    # --------------------------------------------------------------- spaces
    def _planning_res(self) -> float:
        cell = self.config.sim.world.cell_size
        return max(1, round(PLANNING_RESOLUTION / cell)) * cell

    def _observation_space(self) -> spaces.Dict:
        spec = self.config.sim
        r, cam = spec.robot, spec.camera
        common: dict[str, spaces.Space[Any]] = {
            "lidar": spaces.Box(0.0, spec.lidar.max_range, (spec.lidar.beams,), np.float32),
            "camera": spaces.Box(0, 255, (3, cam.height, cam.width), np.uint8),
            "depth": spaces.Box(0.0, cam.max_range, (1, cam.height, cam.width), np.float32),
            "imu": spaces.Box(-100.0, 100.0, (4,), np.float32),
            "odometry": spaces.Box(-10.0, 10.0, (3,), np.float32),
            "velocity": spaces.Box(
                np.array([-r.max_linear, -r.max_angular], np.float32),
                np.array([r.max_linear, r.max_angular], np.float32),
                dtype=np.float32,
            ),
            "bumper": spaces.Box(0.0, 1.0, (1,), np.float32),
            "visits": spaces.Box(0.0, 1.0, (VisitMemory.size,), np.float32),
            "seen": spaces.Box(0.0, 1.0, (SeenMemory.size,), np.float32),
        }
        common.update(self.task_spaces())
        return spaces.Dict({k: common[k] for k in self.config.sensors})

    # ------------------------------------------------------------- episodes
    def seed(self, indices: NDArray[np.int64], seeds: list[int | None]) -> None:
        """Start new episode streams: slot ``indices[k]`` gets base seed ``seeds[k]``."""
        for i, s in zip(indices, seeds, strict=True):
            self.base_seed[i] = fresh_seed() if s is None else int(s) & ((1 << 63) - 1)
            self.episode[i] = -1
            self.seeded[i] = True

    def reset(self, indices: NDArray[np.int64]) -> None:
        """Begin the next episode of each slot in ``indices`` and observe it."""
        idx = np.asarray(indices, dtype=np.int64)
        poses = np.zeros((len(idx), 3))
        seeds = []
        worlds = []
        for k, i in enumerate(idx):
            if not self.seeded[i]:
                self.seed(np.array([i]), [None])
            self.episode[i] += 1
            ep_seed = episode_seed(int(self.base_seed[i]), int(self.episode[i]))
            rng = np.random.default_rng(ep_seed)
            variant = self.sample_variant(rng)
            entry = self.map_entry(int(rng.integers(self.config.n_maps)), variant)
            self.entries[i] = entry
            g = self.sample_goal(rng, entry, int(i))
            self.goal_index[i] = g
            self.goal[i] = entry.goals[g]
            field = entry.field(g)
            self.fields.set(
                int(i), entry.grid, field, (float(self.goal[i, 0]), float(self.goal[i, 1]))
            )
            poses[k] = self.sample_start(rng, entry, field, int(i))
            seeds.append(ep_seed)
            worlds.append(entry.world)
            self.on_reset(int(i), rng, entry)
        self.sim.reset(idx, seeds, worlds, poses)
        if self.visits is not None:
            self.visits.reset(idx)
        self.geo[idx] = self.fields.distances(self.sim.pose[:, :2])[idx]
        self.geo_start[idx] = self.geo[idx]
        self.shortest_path[idx] = np.maximum(self.geo_start[idx] - self.success_reach()[idx], 0.0)
        self.path_length[idx] = 0.0
        self.ep_return[idx] = 0.0
        self.ep_steps[idx] = 0
        self.bad_total[idx] = 0
        self.success[idx] = False
        for i in idx:
            self.trails[i] = [(float(self.sim.pose[i, 0]), float(self.sim.pose[i, 1]))]
        if self.seen is not None:
            self.seen.reset(idx)
            self._look(idx)  # the start view: seen, but no bonus
        self.observe(idx, lidar_fresh=self.seen is not None)

    def map_entry(self, map_index: int, variant: int = 0) -> MapEntry:
        """Map ``map_index`` (variant ``variant``) of this task's split, from the shared cache."""
        key = (*self._map_key, map_index, variant)
        seed_w = map_seed(self.config.split, map_index)
        return MAP_CACHE.get(key, functools.partial(self.build_map, seed_w, variant))

    def prebuild_maps(self, variants: Sequence[int] = (0,)) -> int:
        """Build every map of the split's pool and all its goal distance fields now.

        Episodes build maps lazily (about 10 ms a world, a few ms a field, 1 ms for the ray
        casters' grids); a long run reaches this state after its first few thousand
        episodes. Benchmarks call this to time the steady state. Returns the number of maps
        built or found in the cache.
        """
        count = 0
        for map_index in range(self.config.n_maps):
            for variant in variants:
                entry = self.map_entry(map_index, variant)
                self.sim.world_grids(entry.world)
                for g in range(len(entry.goals)):
                    entry.field(g)
                count += 1
        return count

    def on_reset(self, i: int, rng: np.random.Generator, entry: MapEntry) -> None:
        """Task hook after slot ``i`` got its map and goal (e.g. pick a target colour)."""

    def sample_start(
        self, rng: np.random.Generator, entry: MapEntry, field: NDArray[np.float32], i: int
    ) -> tuple[float, float, float]:
        """A start pose whose geodesic distance to the goal lies in the configured range."""
        cfg = self.config
        grid = entry.grid
        flat = field.ravel()
        # (no isfinite: the bounds are finite, so inf and NaN fail one of the comparisons)
        ok = np.flatnonzero((flat >= cfg.min_start_distance) & (flat <= cfg.max_start_distance))
        if ok.size == 0:  # small map: take the farthest reachable cells instead
            finite = np.flatnonzero(np.isfinite(flat) & (flat > 0))
            if finite.size == 0:
                raise RuntimeError(f"map {entry.world.seed}: no reachable start cell")
            ok = finite[flat[finite] >= np.quantile(flat[finite], 0.5)]
        k = int(ok[int(rng.integers(ok.size))])
        row, col = divmod(k, field.shape[1])
        x, y = grid.to_xy(row, col)
        jx, jy = rng.uniform(-0.5, 0.5, 2) * grid.res
        yaw = float(rng.uniform(-math.pi, math.pi))
        w = entry.world
        if clearance_ok(w.occupancy, x + jx, y + jy, cfg.sim.robot.radius, w.cell_size):
            x, y = x + jx, y + jy
        return (float(x), float(y), yaw)

    def make_grid(self, world: Any) -> PlanningGrid:
        """The planning grid of a world for this task's robot."""
        return PlanningGrid.from_world(world, self.config.sim.robot.radius, PLANNING_RESOLUTION)

    # ---------------------------------------------------------- observation
    def _look(self, idx: NDArray[np.int64] | None) -> NDArray[np.float64]:
        """Cast the lidar of slots ``idx`` (all when None; into ``obs["lidar"]`` when it is a
        sensor) and mark what the camera's view takes in; returns (n,) the cells each
        slot saw first (:meth:`envs.seen.SeenMemory.look`)."""
        assert self.seen is not None and self.visits is not None
        ranges = self.obs["lidar"] if "lidar" in self.obs else self._ranges
        assert ranges is not None
        self.sim.lidar(out=ranges, indices=idx)
        return self.seen.look(self.visits.pose, ranges, self._all if idx is None else idx)

    def observe(self, idx: NDArray[np.int64] | None = None, lidar_fresh: bool = False) -> None:
        """Refresh ``self.obs`` for slots ``idx`` (all when None); with ``lidar_fresh``,
        ``obs["lidar"]`` already holds those rows' readings of this step."""
        sim = self.sim
        o = self.obs
        rows: Any = slice(None) if idx is None else idx
        if "lidar" in o and not lidar_fresh:
            sim.lidar(out=o["lidar"], indices=idx)
        if "camera" in o:
            if "depth" in o:
                sim.camera(out=o["camera"], depth=o["depth"], indices=idx)
            else:
                sim.camera(out=o["camera"], indices=idx)
        elif "depth" in o:
            if self._rgb_scratch is None:
                self._rgb_scratch = np.empty((self.num_envs, 3, *o["depth"].shape[2:]), np.uint8)
            sim.camera(out=self._rgb_scratch, depth=o["depth"], indices=idx)
        if "imu" in o:
            o["imu"][rows] = np.clip(sim.imu[rows], -100.0, 100.0)
        if "odometry" in o:
            o["odometry"][rows] = np.clip(sim.odom[rows], -10.0, 10.0)
        if "velocity" in o:
            self._observe_velocity(idx)
        if "bumper" in o:
            o["bumper"][rows, 0] = sim.bumper[rows]
        if "visits" in o and self.visits is not None:
            self.visits.read(self._all if idx is None else idx, o["visits"])
        if "seen" in o and self.seen is not None and self.visits is not None:
            self.seen.read(self.visits.pose, self._all if idx is None else idx, o["seen"])
        self.task_observation(self._all if idx is None else idx)

    def observation_rows(self, idx: NDArray[np.int64] | slice) -> dict[str, NDArray[Any]]:
        """Copies of the observation rows ``idx``."""
        return {k: v[idx].copy() for k, v in self.obs.items()}

    def _observe_velocity(self, idx: NDArray[np.int64] | None) -> None:
        """``obs["velocity"]`` rows ``idx`` (all when None): the last step's odometry dx and
        dyaw over ``control_dt``, m/s and rad/s, clipped to the robot's limits."""
        _velocity_rows(
            self.sim.odom,
            self._all if idx is None else idx,
            self.config.sim.robot.control_dt,
            self._velocity_low,
            self._velocity_high,
            self.obs["velocity"],
        )

    def goal_vector(
        self,
        idx: NDArray[np.int64] | None = None,
        out: NDArray[np.float32] | None = None,
        max_range: float = math.inf,
    ) -> NDArray[np.float32]:
        """(K, 2) range m (at most ``max_range``) and bearing rad (in [-pi, pi], left
        positive) to each slot's goal, for rows ``idx`` (all when None).

        Computed in float64 and rounded once to float32, into ``out`` (K, 2) when given.
        """
        pose = self.sim.pose if idx is None else self.sim.pose[idx]
        delta = (self.goal if idx is None else self.goal[idx]) - pose[:, :2]
        if out is None:
            out = np.empty((len(pose), 2), np.float32)
        _goal_rows(delta, np.arctan2(delta[:, 1], delta[:, 0]), pose[:, 2], max_range, out)
        return out

    # ----------------------------------------------------------------- step
    def step(
        self, actions: Any
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_], dict[str, NDArray[Any]]]:
        """Advance every slot one control period and refresh the observation.

        Args:
            actions: (n, 2) normalised commands; NaN/inf/out-of-range entries are clipped
                and counted in ``info["bad_actions"]``.
        Returns:
            reward (n,), terminated (n,), truncated (n,), info: dict of (n,) arrays with
            ``is_success``, ``collided``, ``contacts``, ``geodesic_start`` (start-to-goal-point
            geodesic, m), ``shortest_path`` (SPL's l_i: geodesic start distance to the success
            region, m), ``geodesic_distance``, ``path_length``, ``bad_actions``,
            ``bad_actions_total``, ``episode_step``, ``episode_return`` and the reward terms
            ``reward_progress``, ``reward_success``, ``reward_contact``, ``reward_time``,
            ``reward_path``, ``reward_arc``, ``reward_reverse``, ``reward_explore``.
        """
        cfg = self.config
        sim = self.sim
        n = self.num_envs
        bad = sim.step(actions)
        new_cell: NDArray[Any] = (
            self._never if self.visits is None else self.visits.update(sim.odom)
        )
        if self.seen is not None:
            new_seen = self._look(None)
            if cfg.explore_by == "seen":
                new_cell = new_seen
        geo_now = self.fields.distances(sim.pose[:, :2])
        success = self.goal_reached()
        collided = sim.bumper.copy()
        terms = np.empty((9, n))
        terminated = np.empty(n, dtype=bool)
        truncated = np.empty(n, dtype=bool)
        _score_step(
            sim.true_disp,
            geo_now,
            success,
            self.failed() if self._can_fail else self._never,
            collided,
            bad,
            new_cell,
            self._weights,
            cfg.sim.robot.control_dt,
            cfg.max_steps,
            cfg.contact == "terminate",
            self.geo,
            self.shortest_path,
            self.path_length,
            self.ep_return,
            self.ep_steps,
            self.bad_total,
            terms,
            terminated,
            truncated,
        )
        self.success = success
        if self.keep_trails:
            for i in range(n):
                self.trails[i].append((float(sim.pose[i, 0]), float(sim.pose[i, 1])))
        self.observe(lidar_fresh=self.seen is not None)
        reward, r_progress, r_success, r_contact, r_time, r_path, r_arc, r_reverse, r_explore = (
            terms
        )
        info: dict[str, NDArray[Any]] = {
            "is_success": success,
            "collided": collided,
            "contacts": sim.contacts.copy(),
            "geodesic_start": self.geo_start.copy(),
            "shortest_path": self.shortest_path.copy(),
            "geodesic_distance": self.geo.copy(),
            "path_length": self.path_length.copy(),
            "bad_actions": bad,
            "bad_actions_total": self.bad_total.copy(),
            "episode_step": self.ep_steps.copy(),
            "episode_return": self.ep_return.copy(),
            "reward_progress": r_progress,
            "reward_success": r_success,
            "reward_contact": r_contact,
            "reward_time": r_time,
            "reward_path": r_path,
            "reward_arc": r_arc,
            "reward_reverse": r_reverse,
            "reward_explore": r_explore,
        }
        return reward, terminated, truncated, info

    def reset_info(self, idx: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
        """The info of freshly reset slots ``idx``: map seed, goal and geodesic start."""
        return {
            "map_seed": np.array([self.entries[i].world.seed for i in idx], dtype=np.int64),  # type: ignore[union-attr]
            "goal": self.goal[idx].copy(),
            "geodesic_start": self.geo_start[idx].copy(),
            "episode_seed": np.array(
                [episode_seed(int(self.base_seed[i]), int(self.episode[i])) for i in idx],
                dtype=np.int64,
            ),
        }
