"""The controller loop: run any :class:`robot.policy.Policy` against an env at the control rate.

:class:`Controller` drives a Gymnasium-like env (duck-typed: ``reset(seed=)`` and
``step(action)``) with a policy (duck-typed: ``reset()``, ``act(obs)``, optional
``explain()``):

* it calls ``policy.reset()`` at the start of every episode (recurrent state, planners);
* it measures the policy's latency (observation in -> action out, ``time.perf_counter``)
  at every step, and a watchdog counts the steps where the policy took longer than the
  control period;
* it paces the loop to real time (``realtime=True``: it sleeps to the next tick of the
  control period divided by ``speed``) or runs as fast as it can;
* an optional :class:`SafetyLayer` scales down or zeroes the forward command when the lidar
  says a contact is imminent in the direction of travel, counting its interventions;
* ``manual_action`` lets a person drive (the viewer's arrow keys): the policy is still asked
  (so its overlays and recurrent state stay live) but the manual command is sent.

Example::

    env = gym.make("smartbot/PointNav-v0")
    ctl = Controller(env, ScriptedExpert(env), realtime=False)
    stats = ctl.run_episode(seed=0)
    print(stats.steps, stats.success, ctl.latency_ms(99), ctl.watchdog_overruns)

This module imports numpy only.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Controller", "SafetyLayer", "StepRecord", "EpisodeStats"]


# --------------------------------------------------------------------------- safety layer


class SafetyLayer:
    """Slows or stops the forward (or backward) command before a contact the lidar foresees.

    The free distance in the direction of travel is the distance the robot's disc can move
    straight ahead (or, when reversing, straight back) before it touches a lidar hit point:
    beams within ``cone`` of that direction whose hit points lie in the swept corridor
    (half-width ``robot_radius + margin``) count. The linear command is limited to the
    largest speed ``v`` from which the robot can still brake in time,
    ``v * control_dt + v^2 / (2 * max_accel) <= free - stop_distance``, and ramps down
    linearly inside ``slow_distance``. The angular command is never changed (a disc turning
    in place cannot hit anything). When no beam looks in the direction of travel (a
    lidar with a narrow field of view, reversing) the command is left alone.

    Args:
        lidar_angles: (K,) beam bearings relative to the heading, rad.
        lidar_key: the observation key of the (K,) ranges, m.
        robot_radius: m. stop_distance: free distance kept to obstacles, m.
        slow_distance: free distance below which the speed ramps down, m.
        max_speed: m/s of a normalised linear command of 1.
        max_accel: the robot's braking deceleration, m/s^2.
        control_dt: control period, s.
        cone: half-angle of the beams considered around the direction of travel, rad.
        margin: extra half-width of the swept corridor, m.
        max_range: ranges at or beyond it are "no return" (ignored); None: keep all.
        ranges_fn: called for the ranges when the observation has no ``lidar_key`` (a safety
            sensor the policy does not observe).

    Attributes:
        interventions: steps whose command was changed since :meth:`reset_counters`.
        last_free: the free distance of the last :meth:`filter` call, m (inf: nothing seen).
        last_intervened: whether the last call changed the command.
    """

    def __init__(
        self,
        lidar_angles: ArrayLike,
        *,
        lidar_key: str = "lidar",
        robot_radius: float = 0.18,
        stop_distance: float = 0.05,
        slow_distance: float = 0.35,
        max_speed: float = 0.5,
        max_accel: float = 2.0,
        control_dt: float = 0.1,
        cone: float = math.radians(75.0),
        margin: float = 0.03,
        max_range: float | None = None,
        ranges_fn: Callable[[], ArrayLike] | None = None,
    ) -> None:
        angles = np.asarray(lidar_angles, dtype=np.float64).reshape(-1)
        if angles.size == 0 or not np.all(np.isfinite(angles)):
            raise ValueError("lidar_angles: expected a non-empty (K,) array of finite bearings")
        for name, value, lo, hi in (
            ("robot_radius", robot_radius, 0.0, 10.0),
            ("stop_distance", stop_distance, 0.0, 10.0),
            ("slow_distance", slow_distance, 0.0, 10.0),
            ("max_speed", max_speed, 1e-6, 100.0),
            ("max_accel", max_accel, 1e-6, 1000.0),
            ("control_dt", control_dt, 1e-4, 10.0),
            ("cone", cone, 0.0, math.pi),
            ("margin", margin, 0.0, 10.0),
        ):
            if not (isinstance(value, int | float) and math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"{name}: {value!r} is out of range; allowed [{lo:g}, {hi:g}]")
        self.angles = angles
        self.lidar_key = lidar_key
        self.robot_radius = float(robot_radius)
        self.stop_distance = float(stop_distance)
        self.slow_distance = max(float(slow_distance), float(stop_distance))
        self.max_speed = float(max_speed)
        self.max_accel = float(max_accel)
        self.control_dt = float(control_dt)
        self.cone = float(cone)
        self.margin = float(margin)
        self.max_range = None if max_range is None else float(max_range)
        self.ranges_fn = ranges_fn
        self.interventions = 0
        self.last_free = math.inf
        self.last_intervened = False
        self._cos = np.cos(angles)
        self._sin = np.sin(angles)

    def reset_counters(self) -> None:
        """Zero :attr:`interventions`."""
        self.interventions = 0

    def ranges(self, obs: Any) -> NDArray[np.float64] | None:
        """The (K,) lidar ranges for ``obs`` (from the observation or ``ranges_fn``)."""
        r: Any = None
        if isinstance(obs, dict) and self.lidar_key in obs:
            r = obs[self.lidar_key]
        elif self.ranges_fn is not None:
            r = self.ranges_fn()
        if r is None:
            return None
        out = np.asarray(r, dtype=np.float64).reshape(-1)
        if out.shape != self.angles.shape:
            raise ValueError(
                f"{self.lidar_key}: expected {self.angles.size} ranges like lidar_angles, "
                f"got shape {np.shape(r)}"
            )
        return out

    def free_distance(self, ranges: ArrayLike, direction: float = 1.0) -> float:
        """How far the robot can move straight forward (``direction`` > 0) or back (< 0)
        before its disc touches a lidar hit point, m (inf when no beam sees anything)."""
        r = np.asarray(ranges, dtype=np.float64).reshape(-1)
        c, s = (self._cos, self._sin) if direction >= 0 else (-self._cos, -self._sin)
        ok = np.isfinite(r) & (r > 0.0) & (c >= math.cos(self.cone))
        if self.max_range is not None:
            ok &= r < self.max_range * 0.999
        x = r * c  # along the direction of travel
        y = r * s  # across it
        half = self.robot_radius + self.margin
        ok &= (x > 0.0) & (np.abs(y) <= half)
        if not np.any(ok):
            return math.inf
        rr = self.robot_radius
        reach = np.sqrt(np.maximum(rr * rr - y[ok] ** 2, 0.0))
        return float(max(np.min(x[ok] - reach), 0.0))

    def speed_limit(self, free: float) -> float:
        """The largest normalised |linear command| that can still stop ``stop_distance``
        short of an obstacle ``free`` m away."""
        if not math.isfinite(free):
            return 1.0
        usable = free - self.stop_distance
        if usable <= 0.0:
            return 0.0
        a, dt = self.max_accel, self.control_dt
        v = a * (-dt + math.sqrt(dt * dt + 2.0 * usable / a))
        if free < self.slow_distance and self.slow_distance > self.stop_distance:
            v = min(v, self.max_speed * usable / (self.slow_distance - self.stop_distance))
        return float(min(max(v / self.max_speed, 0.0), 1.0))

    def filter(self, obs: Any, action: ArrayLike) -> tuple[NDArray[np.float32], bool]:
        """(2,) action -> (the safe action, whether it was changed)."""
        act = np.array(action, dtype=np.float32).reshape(-1)
        self.last_intervened = False
        self.last_free = math.inf
        if act.size < 1 or not math.isfinite(float(act[0])) or act[0] == 0.0:
            return act, False
        ranges = self.ranges(obs)
        if ranges is None:
            return act, False
        lin = float(act[0])
        free = self.free_distance(ranges, 1.0 if lin > 0 else -1.0)
        self.last_free = free
        limit = self.speed_limit(free)
        if abs(lin) > limit + 1e-6:
            act[0] = math.copysign(limit, lin)
            self.last_intervened = True
            self.interventions += 1
        return act, self.last_intervened


# --------------------------------------------------------------------------- records


@dataclasses.dataclass
class StepRecord:
    """One control step.

    Attributes:
        obs: the observation after the step. action: (2,) the command sent to the env
        (after manual override and the safety layer). policy_action: (2,) what the policy
        asked for. reward, terminated, truncated, info: the env's answer.
        latency: seconds the policy took (observation -> action).
        intervened: the safety layer changed the command. manual: a person drove.
        overrun: the policy took longer than the control period.
        episode: episode number (0-based). step: steps taken in the episode (1 after the
        first step).
    """

    obs: Any
    action: NDArray[np.float32]
    policy_action: NDArray[np.float32]
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    latency: float
    intervened: bool = False
    manual: bool = False
    overrun: bool = False
    episode: int = 0
    step: int = 0

    @property
    def done(self) -> bool:
        """The episode ended at this step."""
        return self.terminated or self.truncated


@dataclasses.dataclass
class EpisodeStats:
    """The summary of one finished (or abandoned) episode.

    Latencies are seconds; percentiles are over this episode's steps.
    """

    episode: int
    seed: int | None
    steps: int
    episode_return: float
    success: bool
    contacts: int
    terminated: bool
    truncated: bool
    interventions: int
    watchdog_overruns: int
    latency_mean: float
    latency_p50: float
    latency_p99: float
    latency_max: float
    wall_time: float
    completed: bool = True

    @property
    def collided(self) -> bool:
        """At least one contact step."""
        return self.contacts > 0


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if len(values) else 0.0


# --------------------------------------------------------------------------- controller

View = Callable[["Controller", "StepRecord | None"], None]


class Controller:
    """Runs a policy against an env at the control rate.

    Args:
        env: Gymnasium-like (``reset(seed=) -> (obs, info)``, ``step(action) -> (obs,
            reward, terminated, truncated, info)``); ``info["is_success"]`` and
            ``info["collided"]`` are counted when present.
        policy: ``reset()``, ``act(obs) -> (2,) action``, optional ``explain() -> dict``.
        deterministic: sets ``policy.deterministic`` when the policy has that attribute
            (trained policies: the distribution's mode instead of a sample).
        safety: an optional :class:`SafetyLayer` applied to every command.
        realtime: sleep so that steps are ``control_dt / speed`` apart; False: as fast as
            possible.
        control_dt: the control period, s; default ``1 / env.metadata["render_fps"]``
            (0.1 s when the env does not say).
        view: called as ``view(controller, record)`` after every step, and with ``None``
            after every reset.
        seed: base seed; episode j (0-based) is reset with seed ``seed + j`` unless
            :meth:`reset` is given one; None: the env's own stream.
        explain: call ``policy.explain()`` after every step (kept in ``last_explain``);
            default: when a ``view`` is given.

    Attributes:
        obs, info: the latest observation and info. episode: the current episode number
        (-1 before the first reset). step_count, episode_return, contacts: of the current
        episode. done: the current episode has ended (the next :meth:`step` resets).
        episodes_done, successes, episodes_with_contact: over finished episodes.
        interventions, watchdog_overruns: totals over the run. latencies: every step's policy
        latency, s. history: :class:`EpisodeStats` of finished episodes. last: the last
        :class:`StepRecord`. last_explain: the policy's last ``explain()`` (or {}).
        manual_action: (2,) a command that replaces the policy's while it is not None.
        speed: multiple of real time for ``realtime`` pacing.
    """

    def __init__(
        self,
        env: Any,
        policy: Any,
        *,
        deterministic: bool = True,
        safety: SafetyLayer | None = None,
        realtime: bool = False,
        control_dt: float | None = None,
        view: View | None = None,
        seed: int | None = None,
        explain: bool | None = None,
        speed: float = 1.0,
    ) -> None:
        if not callable(getattr(policy, "act", None)):
            raise TypeError(
                f"policy: {type(policy).__name__} has no act(obs); pass a Policy "
                "(reset(), act(obs) -> action)"
            )
        if control_dt is None:
            fps = (getattr(env, "metadata", None) or {}).get("render_fps")
            control_dt = 1.0 / float(fps) if fps else 0.1
        if not (math.isfinite(control_dt) and control_dt > 0):
            raise ValueError(f"control_dt: {control_dt!r} is out of range; expected > 0 s")
        self.env = env
        self.policy = policy
        self.safety = safety
        self.realtime = bool(realtime)
        self.control_dt = float(control_dt)
        self.view = view
        self.seed = seed
        self.collect_explain = (view is not None) if explain is None else bool(explain)
        self.speed = float(speed)
        if hasattr(policy, "deterministic"):
            policy.deterministic = bool(deterministic)
        self.deterministic = bool(deterministic)
        self.obs: Any = None
        self.info: dict[str, Any] = {}
        self.episode = -1
        self.episode_seed: int | None = None
        self.step_count = 0
        self.episode_return = 0.0
        self.contacts = 0
        self.success = False
        self.done = True
        self.episodes_done = 0
        self.successes = 0
        self.episodes_with_contact = 0
        self.interventions = 0
        self.watchdog_overruns = 0
        self.latencies: list[float] = []
        self.history: list[EpisodeStats] = []
        self.last: StepRecord | None = None
        self.last_explain: dict[str, Any] = {}
        self.manual_action: NDArray[np.float32] | None = None
        self._ep_latencies: list[float] = []
        self._ep_interventions = 0
        self._ep_overruns = 0
        self._ep_start = 0.0
        self._ep_terminated = False
        self._ep_truncated = False
        self._tick: float | None = None
        self._started = False

    # ------------------------------------------------------------------ episodes
    def reset(self, seed: int | None = None) -> Any:
        """Begin the next episode (abandoning the current one if it has not ended).

        Args:
            seed: the env reset seed; default ``self.seed + episode`` (or the env's stream).
        Returns:
            The first observation.
        """
        if self._started and not self.done:
            self._finish(completed=False)
        self.episode += 1
        if seed is None and self.seed is not None:
            seed = int(self.seed) + self.episode
        self.episode_seed = seed
        self.obs, self.info = self.env.reset(seed=seed)
        if callable(getattr(self.policy, "reset", None)):
            self.policy.reset()
        self._started = True
        self.done = False
        self.step_count = 0
        self.episode_return = 0.0
        self.contacts = 0
        self.success = False
        self.last = None
        self.last_explain = {}
        self._ep_latencies = []
        self._ep_interventions = 0
        self._ep_overruns = 0
        self._ep_terminated = self._ep_truncated = False
        self._ep_start = time.perf_counter()
        self._tick = None
        if self.view is not None:
            self.view(self, None)
        return self.obs

    def step(self) -> StepRecord:
        """One control step (resetting first when no episode is running)."""
        if self.done:
            self.reset()
        obs = self.obs
        t0 = time.perf_counter()
        raw = self.policy.act(obs)
        latency = time.perf_counter() - t0
        policy_action = np.array(raw, dtype=np.float32).reshape(-1)
        overrun = latency > self.control_dt
        if overrun:
            self.watchdog_overruns += 1
            self._ep_overruns += 1
        if self.collect_explain:
            explain = getattr(self.policy, "explain", None)
            self.last_explain = dict(explain()) if callable(explain) else {}
        manual = self.manual_action is not None
        action = (
            np.array(self.manual_action, dtype=np.float32).reshape(-1)
            if manual
            else policy_action.copy()
        )
        intervened = False
        if self.safety is not None:
            action, intervened = self.safety.filter(obs, action)
            if intervened:
                self.interventions += 1
                self._ep_interventions += 1
        self.obs, reward, terminated, truncated, info = self.env.step(action)
        self.info = info
        self.latencies.append(latency)
        self._ep_latencies.append(latency)
        self.step_count += 1
        self.episode_return += float(reward)
        if bool(info.get("collided", False)):
            self.contacts += 1
        self.success = self.success or bool(info.get("is_success", False))
        record = StepRecord(
            obs=self.obs, action=action, policy_action=policy_action, reward=float(reward),
            terminated=bool(terminated), truncated=bool(truncated), info=info, latency=latency,
            intervened=intervened, manual=manual, overrun=overrun, episode=self.episode,
            step=self.step_count,
        )  # fmt: skip
        self.last = record
        if record.done:
            self._ep_terminated, self._ep_truncated = record.terminated, record.truncated
            self._finish(completed=True)
        if self.view is not None:
            self.view(self, record)
        if self.realtime:
            self._pace()
        return record

    def _finish(self, completed: bool) -> None:
        lat = self._ep_latencies
        stats = EpisodeStats(
            episode=self.episode, seed=self.episode_seed, steps=self.step_count,
            episode_return=self.episode_return, success=self.success, contacts=self.contacts,
            terminated=self._ep_terminated, truncated=self._ep_truncated,
            interventions=self._ep_interventions, watchdog_overruns=self._ep_overruns,
            latency_mean=float(np.mean(lat)) if lat else 0.0, latency_p50=_percentile(lat, 50),
            latency_p99=_percentile(lat, 99), latency_max=max(lat) if lat else 0.0,
            wall_time=time.perf_counter() - self._ep_start, completed=completed,
        )  # fmt: skip
        self.history.append(stats)
        self.done = True
        if completed:
            self.episodes_done += 1
            self.successes += int(self.success)
            self.episodes_with_contact += int(self.contacts > 0)

    def run_episode(self, seed: int | None = None, max_steps: int | None = None) -> EpisodeStats:
        """Reset, step until the episode ends (or ``max_steps``), return its stats."""
        self.reset(seed)
        while not self.done:
            self.step()
            if max_steps is not None and self.step_count >= max_steps and not self.done:
                self._finish(completed=False)
        return self.history[-1]

    def run(self, episodes: int, seed: int | None = None) -> list[EpisodeStats]:
        """Run ``episodes`` episodes; episode j is reset with ``seed + j`` (when given)."""
        return [
            self.run_episode(None if seed is None else int(seed) + j) for j in range(int(episodes))
        ]

    # ------------------------------------------------------------------ pacing
    @property
    def period(self) -> float:
        """Seconds between steps when pacing to real time: ``control_dt / speed``."""
        return self.control_dt / max(self.speed, 1e-9)

    def resync(self) -> None:
        """Forget the pacing clock (after a pause, so the loop does not try to catch up)."""
        self._tick = None

    def _pace(self) -> None:
        now = time.perf_counter()
        period = self.period
        if self._tick is None:
            self._tick = now
        self._tick += period
        delay = self._tick - now
        if delay > 0:
            time.sleep(delay)
        elif delay < -period:  # far behind (a slow policy or renderer): do not catch up
            self._tick = now

    # ------------------------------------------------------------------ numbers
    def latency_ms(self, q: float = 50.0, last: int | None = None) -> float:
        """The ``q``-th percentile of the policy latency, ms (over the ``last`` steps)."""
        lat = self.latencies if last is None else self.latencies[-last:]
        return 1000.0 * _percentile(lat, q)
