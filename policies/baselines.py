"""Baseline policies: a uniform random policy and a privileged scripted expert.

Both implement the :class:`robot.policy.Policy` protocol (``reset()``, ``act(obs)``) and
the :class:`robot.policy.BatchPolicy` protocol (``reset_batch(n)``,
``act_batch(obs, episode_starts) -> (n, 2)``).

* :class:`RandomPolicy`: uniform actions in [-1, 1]^2, reproducible by seed.
* :class:`ScriptedExpert`: reads the task's privileged state (pose, goal, map), plans a
  geodesic path with :func:`robot.planning.astar` and follows it by pure pursuit with
  lidar-based slow-down and steering; works on PointNav, ObjectNav and CueMaze (it
  knows the correct arm). It is the teacher for behaviour cloning and the upper
  reference in evaluation reports.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.typing import NDArray

from envs.task import BatchedTask
from robot.lidar import beam_angles, lidar_batch
from robot.planning import PlanningGrid, astar

__all__ = ["RandomPolicy", "ScriptedExpert", "bound_task"]

_MODES = ("follow", "avoid", "replan")
_FOLLOW, _AVOID, _REPLAN = 0, 1, 2


class RandomPolicy:
    """Uniform random actions in [-1, 1]^2 (float32).

    Args:
        seed: seed of the action stream; the same seed gives the same actions. ``None``
            draws fresh entropy. The stream is not restarted by ``reset()``, so successive
            episodes get different actions; call :meth:`seed` to restart it.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._num_envs: int | None = None

    def seed(self, seed: int | None = None) -> None:
        """Restart the action stream from ``seed``."""
        self._seed = seed
        self._rng = np.random.default_rng(seed)

    # Policy
    def reset(self) -> None:
        """Start an episode (the random policy has no state)."""

    def act(self, obs: Any = None) -> NDArray[np.float32]:
        """(2,) float32 uniform action in [-1, 1]; ``obs`` is ignored."""
        return self._rng.uniform(-1.0, 1.0, 2).astype(np.float32)

    def explain(self) -> dict[str, Any]:
        return {"mode": "random"}

    # BatchPolicy
    def reset_batch(self, num_envs: int) -> None:
        """Prepare for ``num_envs`` slots."""
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs: expected an integer >= 1, got {num_envs!r}")
        self._num_envs = num_envs

    def act_batch(self, obs: Any = None, episode_starts: Any = None) -> NDArray[np.float32]:
        """(n, 2) float32 uniform actions; n from :meth:`reset_batch`, else from the batch."""
        n = self._num_envs
        if n is None:
            n = _batch_size(obs, episode_starts)
        return self._rng.uniform(-1.0, 1.0, (n, 2)).astype(np.float32)


def _batch_size(obs: Any, episode_starts: Any) -> int:
    if episode_starts is not None:
        return int(np.asarray(episode_starts).shape[0])
    if isinstance(obs, dict) and obs:
        return int(np.asarray(next(iter(obs.values()))).shape[0])
    if obs is not None:
        return int(np.asarray(obs).shape[0])
    raise ValueError("act_batch: cannot infer the batch size; call reset_batch(n) first")


def bound_task(source: Any) -> BatchedTask:
    """The :class:`envs.task.BatchedTask` behind an env or adapter.

    Accepts a gymnasium ``Env`` (``env.unwrapped.task``), a
    :class:`envs.vector.SmartbotVectorEnv` or :class:`envs.sb3.SB3VecEnv` (``.task``,
    also through wrappers), or a ``BatchedTask`` itself.
    """
    if isinstance(source, BatchedTask):
        return source
    seen = 0
    obj = source
    while obj is not None and seen < 32:
        task = getattr(obj, "task", None)
        if isinstance(task, BatchedTask):
            return task
        unwrapped = getattr(obj, "unwrapped", None)
        if unwrapped is not None and unwrapped is not obj:
            task = getattr(unwrapped, "task", None)
            if isinstance(task, BatchedTask):
                return task
        # gymnasium vector wrappers expose .env, SB3 VecEnv wrappers .venv
        inner = getattr(obj, "env", None)
        obj = inner if inner is not None else getattr(obj, "venv", None)
        seen += 1
    raise TypeError(
        f"ScriptedExpert: cannot find a smartbot BatchedTask in {type(source).__name__}; "
        "pass a smartbot env (gym.make / gym.make_vec / make_sb3_env) or a BatchedTask"
    )


class ScriptedExpert:
    """A privileged path-following expert for every smartbot task.

    Per slot it plans, when an episode starts (``episode_starts``, :meth:`reset`, or a
    change of the slot's seed stream, episode counter, world or goal, or its step count
    going back), an A* path from the robot to ``task.goal[i]`` on a planning grid with an
    extra clearance ``margin`` (falling back to the task's own grid when the margin
    closes a passage). It follows the path by pure pursuit: it steers toward the point
    ``lookahead`` m further along the path (pulled closer where the chord would cut a
    corner by more than ``corner_tolerance``), with an angular command proportional to
    the heading error, turning in place beyond ``turn_in_place``, and slows down with
    large heading error and near the goal. The lidar (the observation's, or a noise-free
    front scan when the task observes none) slows it down and steers it away when an
    obstacle in the corridor it sweeps is closer than ``safety_distance``. It replans at
    once when it is more than ``max_deviation`` off the path, and after ``stuck_steps``
    steps without progress (backing off for a few steps first when blocked). It stops
    (zero action) once ``task.goal_reached()`` (ObjectNav's goal is the target's centre,
    inside the object: the path ends at the nearest free cell, within success range).

    Example::

        env = gym.make("smartbot/PointNav-v0")
        expert = ScriptedExpert(env)
        obs, _ = env.reset(seed=0)
        expert.reset()
        action = expert.act(obs)  # (2,) float32, slot 0 of the bound task

    Args:
        source: a gymnasium Env, SmartbotVectorEnv, SB3VecEnv or BatchedTask (see
            :func:`bound_task`).
        lookahead: pure-pursuit lookahead distance along the path, m.
        max_speed: the largest normalised linear command, in (0, 1].
        turn_gain: normalised angular command per radian of heading error.
        turn_in_place: heading error beyond which the robot turns on the spot, rad.
        slow_radius: remaining path length below which the speed ramps down, m.
        safety_distance: free distance ahead (beyond the robot's edge) below which the
            lidar avoidance acts, m.
        margin: extra clearance of the expert's planning grid beyond the robot radius, m.
        stuck_steps: steps without ``progress_eps`` m of progress before a replan.
        max_deviation: distance from the path that triggers a replan, m.
        slot: the slot that :meth:`act` drives and :meth:`explain` describes by default.

    Attributes:
        task: the bound BatchedTask. replans: (n,) replans per slot since the episode began.
        plan_count: total A* calls.
    """

    progress_eps = 0.05
    backoff_steps = 4
    #: the smallest speed factor the lidar avoidance applies (the simulator slides on contact)
    creep = 0.25
    #: normalised angular nudge away from an obstacle at contact distance
    avoid_gain = 0.4
    #: how far the pursuit chord may cut a path corner before the lookahead is pulled in, m
    corner_tolerance = 0.08

    def __init__(
        self,
        source: Any,
        *,
        lookahead: float = 0.6,
        max_speed: float = 1.0,
        turn_gain: float = 1.5,
        turn_in_place: float = 1.0,
        slow_radius: float = 0.4,
        safety_distance: float = 0.3,
        margin: float = 0.06,
        stuck_steps: int = 25,
        max_deviation: float = 0.5,
        slot: int = 0,
    ) -> None:
        for name, value, lo, hi in (
            ("lookahead", lookahead, 0.05, 10.0),
            ("max_speed", max_speed, 1e-6, 1.0),
            ("turn_gain", turn_gain, 0.0, 100.0),
            ("turn_in_place", turn_in_place, 0.05, math.pi),
            ("slow_radius", slow_radius, 0.0, 10.0),
            ("safety_distance", safety_distance, 0.0, 10.0),
            ("margin", margin, 0.0, 1.0),
            ("max_deviation", max_deviation, 0.05, 10.0),
        ):
            if not (isinstance(value, int | float) and lo <= value <= hi):
                raise ValueError(
                    f"{name}: {value!r} is not allowed; expected a number in [{lo}, {hi}]"
                )
        if not isinstance(stuck_steps, int) or stuck_steps < 1:
            raise ValueError(f"stuck_steps: expected an integer >= 1, got {stuck_steps!r}")
        self.task = bound_task(source)
        n = self.task.num_envs
        if not isinstance(slot, int) or not 0 <= slot < n:
            raise ValueError(f"slot: {slot!r} is not allowed; expected an integer in [0, {n - 1}]")
        self.lookahead = float(lookahead)
        self.max_speed = float(max_speed)
        self.turn_gain = float(turn_gain)
        self.turn_in_place = float(turn_in_place)
        self.slow_radius = float(slow_radius)
        self.safety_distance = float(safety_distance)
        self.margin = float(margin)
        self.stuck_steps = stuck_steps
        self.max_deviation = float(max_deviation)
        self.slot = slot
        cfg = self.task.config.sim
        self._radius = float(cfg.robot.radius)
        angles = beam_angles(cfg.lidar)
        self._beam_cos = np.cos(angles)
        self._beam_sin = np.sin(angles)
        front = np.linspace(-0.5 * math.pi, 0.5 * math.pi, 25)
        self._front_cos = np.ascontiguousarray(np.cos(front))
        self._front_sin = np.ascontiguousarray(np.sin(front))
        self._lidar_buf: NDArray[np.float32] | None = None
        self._grids: OrderedDict[int, tuple[Any, PlanningGrid]] = OrderedDict()
        self.plan_count = 0
        self._alloc(n)

    # ------------------------------------------------------------------ state
    def _alloc(self, n: int) -> None:
        self._n = n
        self._kmax = 2
        self._pts = np.zeros((n, 2, 2))  # (n, K, 2) padded path vertices, m
        self._cum = np.zeros((n, 2))  # (n, K) arc length at each vertex, m
        self._total = np.zeros(n)  # path length, m
        self._npts = np.zeros(n, dtype=np.int64)
        self._s = np.zeros(n)  # progress along the path, m
        self._valid = np.zeros(n, dtype=bool)
        self._key: list[tuple[int, int, int, float, float] | None] = [None] * n
        self._best = np.full(n, np.inf)  # best remaining distance so far, m
        self._since = np.zeros(n, dtype=np.int64)  # steps since the best improved
        self._backoff = np.zeros(n, dtype=np.int64)  # steps left backing off
        self._pending = np.zeros(n, dtype=bool)  # replan once the back-off is done
        self._seen = np.zeros(n, dtype=np.int64)  # the task's episode step at the last act
        self._turn_dir = np.ones(n)
        self.replans = np.zeros(n, dtype=np.int64)
        self._mode = np.zeros(n, dtype=np.int64)
        self._look = np.zeros((n, 2))
        self._action = np.zeros((n, 2), dtype=np.float32)

    def _check_size(self) -> None:
        if self.task.num_envs != self._n:
            self._alloc(self.task.num_envs)

    def _forget(self, idx: NDArray[np.int64]) -> None:
        for i in idx:
            self._key[int(i)] = None
        self._valid[idx] = False
        self._pending[idx] = False
        self.replans[idx] = 0
        self._backoff[idx] = 0

    # --------------------------------------------------------------- protocols
    def reset(self) -> None:
        """Start a new episode of slot ``slot`` (its path is replanned on the next act)."""
        self._check_size()
        self._forget(np.array([self.slot], dtype=np.int64))

    def act(self, obs: Any = None) -> NDArray[np.float32]:
        """(2,) float32 action for slot ``slot`` of the bound task; ``obs`` is not needed
        (the expert reads the task's state)."""
        self._check_size()
        idx = np.array([self.slot], dtype=np.int64)
        self._step(idx)
        return self._action[self.slot].copy()

    def reset_batch(self, num_envs: int) -> None:
        """Prepare for the bound task's ``num_envs`` slots and forget every path."""
        if num_envs != self.task.num_envs:
            raise ValueError(
                f"num_envs: {num_envs!r} does not match the bound task's {self.task.num_envs} slots"
            )
        self._alloc(num_envs)

    def act_batch(self, obs: Any = None, episode_starts: Any = None) -> NDArray[np.float32]:
        """(n, 2) float32 actions for every slot of the bound task.

        Args:
            obs: the batched observation (not needed: the expert reads the task's state).
            episode_starts: optional (n,) bool, slots whose episode just began (they replan;
                new episodes are also detected from the task's episode counter, map and goal).
        """
        self._check_size()
        if episode_starts is not None:
            starts = np.asarray(episode_starts, dtype=bool).reshape(-1)
            if starts.shape[0] != self._n:
                raise ValueError(
                    f"episode_starts: expected shape ({self._n},), got {np.shape(episode_starts)}"
                )
            if starts.any():
                self._forget(np.flatnonzero(starts))
        self._step(np.arange(self._n, dtype=np.int64))
        return self._action.copy()

    def explain(self, index: int | None = None) -> dict[str, Any]:
        """What the expert did at its last act for slot ``index`` (default ``slot``).

        Returns:
            ``path``: (N, 2) planned waypoints, m; ``lookahead``: (2,) pursuit point, m;
            ``mode``: "follow", "avoid" or "replan"; ``replans``: replans this episode.
        """
        i = self.slot if index is None else int(index)
        k = int(self._npts[i]) if self._valid[i] else 0
        return {
            "path": self._pts[i, :k].copy(),
            "lookahead": self._look[i].copy(),
            "mode": _MODES[int(self._mode[i])],
            "replans": int(self.replans[i]),
        }

    # ---------------------------------------------------------------- planning
    def _grid(self, i: int) -> tuple[PlanningGrid, PlanningGrid]:
        """(margin grid, task grid) of slot ``i``'s map; margin grids are cached per world."""
        entry = self.task.entries[i]
        if entry is None:
            raise RuntimeError(f"slot {i} has no episode yet; reset the env first")
        base = entry.grid
        if self.margin <= 0.0:
            return base, base
        world = entry.world
        hit = self._grids.get(id(world))
        if hit is not None and hit[0] is world:
            self._grids.move_to_end(id(world))
            return hit[1], base
        g = PlanningGrid.from_world(world, base.robot_radius, base.res, margin=self.margin)
        self._grids[id(world)] = (world, g)
        while len(self._grids) > 256:
            self._grids.popitem(last=False)
        return g, base

    def _plan(self, i: int) -> None:
        task = self.task
        x, y = float(task.sim.pose[i, 0]), float(task.sim.pose[i, 1])
        gx, gy = float(task.goal[i, 0]), float(task.goal[i, 1])
        safe, base = self._grid(i)
        self.plan_count += 1
        path = astar(safe, (x, y), (gx, gy))
        if safe is not base:
            ref = astar(base, (x, y), (gx, gy))
            self.plan_count += 1
            # the margin closed a passage or made a long detour: use the task's grid
            if path is None or (ref is not None and path.length > 1.3 * ref.length + 0.5):
                path = ref
        if path is None:  # unreachable (should not happen): head straight for the goal
            pts = np.array([[x, y], [gx, gy]])
        else:
            pts = path.points
        k = pts.shape[0]
        if k > self._kmax:
            grow = k - self._kmax
            self._pts = np.concatenate(
                [self._pts, np.repeat(self._pts[:, -1:], grow, axis=1)], axis=1
            )
            self._cum = np.concatenate(
                [self._cum, np.repeat(self._cum[:, -1:], grow, axis=1)], axis=1
            )
            self._kmax = k
        seg = np.hypot(*np.diff(pts, axis=0).T)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        self._pts[i, :k] = pts
        self._pts[i, k:] = pts[-1]
        self._cum[i, :k] = cum
        self._cum[i, k:] = cum[-1]
        self._total[i] = cum[-1]
        self._npts[i] = k
        self._s[i] = 0.0
        self._valid[i] = True
        self._pending[i] = False
        self._best[i] = np.inf
        self._since[i] = 0

    def _episode_key(self, i: int) -> tuple[int, int, int, float, float]:
        t = self.task
        w = t.sim.worlds[i]
        return (
            int(t.base_seed[i]),
            int(t.episode[i]),
            id(w),
            float(t.goal[i, 0]),
            float(t.goal[i, 1]),
        )

    # ----------------------------------------------------------------- control
    @staticmethod
    def _point_at(
        pts: NDArray[np.float64], cum: NDArray[np.float64], arc: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """(m, 2) points at arc length ``arc`` (m,) along padded paths ``pts`` (m, K, 2)."""
        rows = np.arange(pts.shape[0])
        seg = np.clip((cum <= arc[:, None]).sum(axis=1) - 1, 0, cum.shape[1] - 2)
        c0 = cum[rows, seg]
        c1 = cum[rows, seg + 1]
        frac = np.clip((arc - c0) / np.maximum(c1 - c0, 1e-12), 0.0, 1.0)
        p0 = pts[rows, seg]
        out: NDArray[np.float64] = p0 + frac[:, None] * (pts[rows, seg + 1] - p0)
        return out

    def _chord_ok(
        self,
        xy: NDArray[np.float64],
        look: NDArray[np.float64],
        pts: NDArray[np.float64],
        cum: NDArray[np.float64],
        s0: NDArray[np.float64],
        s1: NDArray[np.float64],
    ) -> NDArray[np.bool_]:
        """(m,) whether the path vertices between arcs ``s0`` and ``s1`` lie within
        ``corner_tolerance`` of the chord from the robot ``xy`` to ``look``."""
        ab = look - xy
        l2 = np.maximum(np.einsum("md,md->m", ab, ab), 1e-12)
        rel = pts - xy[:, None, :]
        t = np.clip(np.einsum("mkd,md->mk", rel, ab) / l2[:, None], 0.0, 1.0)
        dev = np.hypot(*(rel - t[..., None] * ab[:, None, :]).transpose(2, 0, 1))
        inside = (cum > s0[:, None]) & (cum < s1[:, None])
        out: NDArray[np.bool_] = ~np.any(inside & (dev > self.corner_tolerance), axis=1)
        return out

    def _ranges(
        self, idx: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Lidar ranges (m, B) m of slots ``idx`` and the beams' (B,) body-frame cos, sin.

        The observation's lidar when the task has one; otherwise a noise-free scan of the
        front half-plane only (cheap, serial), cast by :func:`robot.lidar.lidar_batch`."""
        obs = self.task.obs
        if "lidar" in obs:
            return obs["lidar"][idx].astype(np.float64), self._beam_cos, self._beam_sin
        sim = self.task.sim
        if self._lidar_buf is None or self._lidar_buf.shape[0] != self._n:
            self._lidar_buf = np.empty((self._n, self._front_cos.shape[0]), dtype=np.float32)
        lidar_batch(
            np.ascontiguousarray(idx, dtype=np.int64),
            sim.quadrant_clearance,
            sim.dims,
            sim.cell_size,
            sim.pose,
            sim.keys,
            sim.counters,
            self._front_cos,
            self._front_sin,
            float(self.task.config.sim.lidar.max_range),
            0.0,
            0.0,
            self._lidar_buf,
            False,
        )
        return self._lidar_buf[idx].astype(np.float64), self._front_cos, self._front_sin

    def _project(self, idx: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Progress (m,) along each slot's path (monotone, searched near the previous
        progress) and the distance (m,) from the robot to that point, inf when lost."""
        xy = self.task.sim.pose[idx, :2]
        pts = self._pts[idx]
        cum = self._cum[idx]
        s_old = self._s[idx]
        a = pts[:, :-1]
        ab = pts[:, 1:] - a
        l2 = np.maximum(np.einsum("mkd,mkd->mk", ab, ab), 1e-12)
        t = np.clip(np.einsum("mkd,mkd->mk", xy[:, None, :] - a, ab) / l2, 0.0, 1.0)
        d = np.hypot(*(a + t[..., None] * ab - xy[:, None, :]).transpose(2, 0, 1))
        arc = cum[:, :-1] + t * np.sqrt(l2)
        window = (arc >= s_old[:, None] - 0.3) & (arc <= s_old[:, None] + 1.5)
        d = np.where(window, d, np.inf)
        j = np.argmin(d, axis=1)
        rows = np.arange(len(idx))
        dev = d[rows, j]
        s_new = np.maximum(s_old, np.where(np.isfinite(dev), arc[rows, j], s_old))
        return s_new, dev

    def _step(self, idx: NDArray[np.int64]) -> None:
        task = self.task
        replanned = np.zeros(self._n, dtype=bool)
        steps = task.ep_steps
        for i in idx.tolist():
            key = self._episode_key(i)
            # a new episode: another seed stream, episode, map or goal, or the step count
            # went back (the same episode replayed)
            if self._key[i] != key or steps[i] < self._seen[i]:
                self._key[i] = key
                self.replans[i] = 0
                self._backoff[i] = 0
                self._valid[i] = False
            if not self._valid[i] or (self._pending[i] and self._backoff[i] == 0):
                self._plan(i)
                replanned[i] = True

        self._seen[idx] = steps[idx]
        s_new, dev = self._project(idx)
        # off the path: replan now from where the robot is
        off = ~np.isfinite(dev) | (dev > self.max_deviation)
        off &= ~replanned[idx] & (self._backoff[idx] == 0)
        if off.any():
            for k in np.flatnonzero(off).tolist():
                self.replans[idx[k]] += 1
                self._plan(int(idx[k]))
            replanned[idx[off]] = True
            s_new[off], dev[off] = self._project(idx[off])

        pose = task.sim.pose[idx]
        xy = pose[:, :2]
        yaw = pose[:, 2]
        pts = self._pts[idx]  # (m, K, 2)
        cum = self._cum[idx]  # (m, K)
        total = self._total[idx]
        remaining = np.maximum(total - s_new, 0.0)
        self._s[idx] = s_new

        # progress bookkeeping (for the stuck test)
        improved = remaining < self._best[idx] - self.progress_eps
        self._best[idx] = np.where(improved, remaining, self._best[idx])
        self._since[idx] = np.where(improved, 0, self._since[idx] + 1)

        # lookahead point along the path, pulled in where the chord would cut a corner
        arc = np.minimum(s_new + self.lookahead, total)
        look = self._point_at(pts, cum, arc)
        if self.corner_tolerance > 0:
            ok = self._chord_ok(xy, look, pts, cum, s_new, arc)
            for frac in (0.7, 0.5, 0.35, 0.25):
                if ok.all():
                    break
                arc_c = np.minimum(s_new + frac * self.lookahead, total)
                look_c = self._point_at(pts, cum, arc_c)
                look = np.where(ok[:, None], look, look_c)
                ok = ok | self._chord_ok(xy, look_c, pts, cum, s_new, arc_c)
        self._look[idx] = look

        # pure pursuit: turn toward the lookahead point, slow down with the heading error
        # and near the end of the path
        err = np.arctan2(look[:, 1] - xy[:, 1], look[:, 0] - xy[:, 0]) - yaw
        err = (err + np.pi) % (2 * np.pi) - np.pi
        aerr = np.abs(err)
        ang = np.clip(self.turn_gain * err, -1.0, 1.0)
        full = min(0.25, 0.5 * self.turn_in_place)  # heading error still at full speed, rad
        lin = self.max_speed * np.clip(
            (self.turn_in_place - aerr) / (self.turn_in_place - full), 0.0, 1.0
        )
        if self.slow_radius > 0:
            lin = lin * np.clip(remaining / self.slow_radius, 0.3, 1.0)

        # lidar: free distance in the corridor the robot sweeps driving straight ahead
        ranges, bcos, bsin = self._ranges(idx)
        bx = ranges * bcos  # (m, B) body-frame hit points, m
        by = ranges * bsin
        half = self._radius + 0.02
        in_corridor = (bx > 0.05) & (np.abs(by) < half)
        ahead = np.where(in_corridor, bx - np.sqrt(np.maximum(half**2 - by**2, 0.0)), np.inf)
        free = ahead.min(axis=1, initial=np.inf)
        nearest = in_corridor & (ahead <= free[:, None] + 0.05)
        lat = np.where(nearest, by, 0.0).sum(axis=1)  # > 0: the blocking points are left
        avoid = free < self.safety_distance
        if self.safety_distance > 0 and avoid.any():
            closeness = 1.0 - np.clip(free / self.safety_distance, 0.0, 1.0)
            lin = np.where(avoid, lin * np.maximum(1.0 - closeness, self.creep), lin)
            side = np.where(lat > 0, -1.0, 1.0)  # steer away from the blocking side
            ang = np.clip(ang + np.where(avoid, self.avoid_gain * closeness * side, 0.0), -1.0, 1.0)

        # stuck (no progress for stuck_steps): back off first when blocked, then replan
        stuck = (self._since[idx] >= self.stuck_steps) & (self._backoff[idx] == 0)
        if stuck.any():
            for k in np.flatnonzero(stuck).tolist():
                i = int(idx[k])
                self.replans[i] += 1
                self._since[i] = 0
                self._pending[i] = True
                if free[k] < 0.1:
                    self._backoff[i] = self.backoff_steps
                    self._turn_dir[i] = -1.0 if lat[k] > 0 else 1.0
        backing = self._backoff[idx] > 0
        if backing.any():
            lin = np.where(backing, -0.5, lin)
            ang = np.where(backing, 0.8 * self._turn_dir[idx], ang)
            self._backoff[idx] = np.maximum(self._backoff[idx] - 1, 0)

        done = task.goal_reached()[idx]
        mode = np.full(len(idx), _FOLLOW)
        mode[avoid | backing] = _AVOID
        mode[replanned[idx] | stuck] = _REPLAN
        self._mode[idx] = mode
        self._action[idx, 0] = np.where(done, 0.0, lin)
        self._action[idx, 1] = np.where(done, 0.0, ang)
