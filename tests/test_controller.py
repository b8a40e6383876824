"""Tests for robot.controller: the control loop, latency watchdog, pacing and safety layer."""

from __future__ import annotations

import math
import time
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the ids)
from envs.view import safety_layer
from robot.controller import Controller, SafetyLayer

ENV = "smartbot/PointNav-v0"


class CountingEnv:
    """A tiny env: an episode lasts ``length`` steps; obs is the step number."""

    metadata = {"render_fps": 50}

    def __init__(self, length: int = 5) -> None:
        self.length = length
        self.seeds: list[int | None] = []
        self.actions: list[np.ndarray] = []
        self.t = 0

    def reset(self, seed: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        self.seeds.append(seed)
        self.t = 0
        return {"t": self.t}, {}

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        self.actions.append(np.asarray(action))
        self.t += 1
        done = self.t >= self.length
        info = {"is_success": done, "collided": self.t == 2}
        return {"t": self.t}, 1.0, done, False, info


class RecordingPolicy:
    def __init__(self, delay: float = 0.0) -> None:
        self.resets = 0
        self.delay = delay
        self.deterministic = False

    def reset(self) -> None:
        self.resets += 1

    def act(self, obs: Any) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay)
        return np.array([0.5, -0.25], np.float32)


def test_episodes_counters_resets_and_seeds() -> None:
    env = CountingEnv(length=4)
    pol = RecordingPolicy()
    seen: list[Any] = []
    ctl = Controller(env, pol, seed=10, view=lambda c, r: seen.append(r))
    assert pol.deterministic is True  # the controller sets it
    assert math.isclose(ctl.control_dt, 1 / 50)  # from the env's render_fps
    stats = ctl.run(3)
    assert pol.resets == 3 and env.seeds == [10, 11, 12]
    assert [s.steps for s in stats] == [4, 4, 4] and all(s.success for s in stats)
    assert [s.episode for s in stats] == [0, 1, 2]
    assert stats[0].episode_return == 4.0 and stats[0].contacts == 1
    assert ctl.episodes_done == 3 and ctl.successes == 3 and ctl.episodes_with_contact == 3
    assert len(ctl.latencies) == 12 and ctl.watchdog_overruns == 0
    assert seen.count(None) == 3 and len(seen) == 15  # one call per reset and per step
    # step() after the end starts the next episode (seed 13)
    rec = ctl.step()
    assert env.seeds[-1] == 13 and rec.step == 1 and rec.episode == 3
    # an explicit reset abandons the running episode: recorded, not counted as done
    ctl.reset(seed=99)
    assert env.seeds[-1] == 99 and ctl.history[-1].completed is False
    assert ctl.episodes_done == 3


def test_latency_watchdog_counts_a_slow_policy() -> None:
    env = CountingEnv(length=3)
    ctl = Controller(env, RecordingPolicy(delay=0.03), control_dt=0.01)
    stats = ctl.run_episode(seed=0)
    assert ctl.watchdog_overruns == 3 and stats.watchdog_overruns == 3
    assert min(ctl.latencies) >= 0.03 and stats.latency_p50 >= 0.03
    assert ctl.latency_ms(99) >= 30.0
    fast = Controller(CountingEnv(length=3), RecordingPolicy(), control_dt=0.01)
    fast.run_episode(seed=0)
    assert fast.watchdog_overruns == 0


def test_realtime_pacing_and_speed() -> None:
    env = CountingEnv(length=6)
    ctl = Controller(env, RecordingPolicy(), realtime=True, control_dt=0.02)
    t0 = time.perf_counter()
    ctl.run_episode(seed=0)
    assert time.perf_counter() - t0 >= 6 * 0.02 * 0.9
    ctl.speed = 4.0
    assert math.isclose(ctl.period, 0.005)
    t0 = time.perf_counter()
    ctl.run_episode(seed=0)
    assert time.perf_counter() - t0 < 6 * 0.02  # faster than real time
    free = Controller(CountingEnv(length=50), RecordingPolicy(), realtime=False, control_dt=0.02)
    t0 = time.perf_counter()
    free.run_episode(seed=0)
    assert time.perf_counter() - t0 < 50 * 0.02 / 2  # as fast as possible


def test_manual_action_replaces_the_policy() -> None:
    env = CountingEnv(length=5)
    ctl = Controller(env, RecordingPolicy())
    ctl.reset(seed=0)
    ctl.manual_action = np.array([-1.0, 0.5], np.float32)
    rec = ctl.step()
    assert rec.manual and np.allclose(rec.action, [-1.0, 0.5])
    assert np.allclose(rec.policy_action, [0.5, -0.25])  # the policy was still asked
    ctl.manual_action = None
    rec = ctl.step()
    assert not rec.manual and np.allclose(env.actions[-1], [0.5, -0.25])


def test_policy_without_act_is_refused() -> None:
    with pytest.raises(TypeError, match="act"):
        Controller(CountingEnv(), object())


# --------------------------------------------------------------------------- safety layer

ANGLES = -np.pi + np.arange(64) * (2 * np.pi / 64)  # the default lidar: beam 32 ahead


def test_free_distance_ahead_and_behind() -> None:
    s = SafetyLayer(ANGLES, robot_radius=0.2, max_range=6.0)
    ranges = np.full(64, 6.0)  # nothing seen
    assert s.free_distance(ranges, 1.0) == math.inf
    ranges[32] = 1.0  # a point 1 m straight ahead
    assert math.isclose(s.free_distance(ranges, 1.0), 0.8)
    assert s.free_distance(ranges, -1.0) == math.inf  # nothing behind
    ranges[0] = 0.5  # straight behind
    assert math.isclose(s.free_distance(ranges, -1.0), 0.3)
    ranges[:] = 6.0
    ranges[40] = 0.5  # 45 deg to the left, 0.35 m to the side: outside the corridor
    assert s.free_distance(ranges, 1.0) == math.inf


def test_filter_scales_stops_and_counts() -> None:
    s = SafetyLayer(ANGLES, robot_radius=0.18, stop_distance=0.05, slow_distance=0.35)
    far = {"lidar": np.full(64, 5.0, np.float32)}
    act, hit = s.filter(far, [1.0, 0.3])
    assert not hit and np.allclose(act, [1.0, 0.3]) and s.interventions == 0
    near = {"lidar": np.full(64, 5.0, np.float32)}
    near["lidar"][32] = 0.18 + 0.2  # 0.2 m free ahead: slow down
    act, hit = s.filter(near, [1.0, 0.3])
    assert hit and 0.0 < act[0] < 1.0 and act[1] == pytest.approx(0.3)
    near["lidar"][32] = 0.18 + 0.04  # inside the stop distance: stop
    act, hit = s.filter(near, [1.0, -0.5])
    assert hit and act[0] == 0.0 and act[1] == pytest.approx(-0.5)
    act, hit = s.filter(near, [-0.6, 0.0])  # backing away is allowed
    assert not hit and act[0] == pytest.approx(-0.6)
    assert s.interventions == 2
    with pytest.raises(ValueError, match="lidar"):
        s.filter({"lidar": np.ones(3)}, [1.0, 0.0])
    with pytest.raises(ValueError, match="stop_distance"):
        SafetyLayer(ANGLES, stop_distance=-1.0)


class Straight:
    """Drives straight ahead at full speed, whatever it sees."""

    def reset(self) -> None:
        pass

    def act(self, obs: Any) -> np.ndarray:
        return np.array([1.0, 0.0], np.float32)


@pytest.mark.parametrize("env_id", [ENV, "smartbot/ObjectNav-v0"])
def test_safety_layer_prevents_the_contact_of_a_straight_driver(env_id: str) -> None:
    env = gym.make(env_id, max_steps=100)
    bare = Controller(env, Straight()).run_episode(seed=1)
    assert bare.contacts > 0
    shield = safety_layer(env)  # ObjectNav observes no lidar: the layer reads the simulator's
    ctl = Controller(env, Straight(), safety=shield)
    safe = ctl.run_episode(seed=1)
    assert safe.contacts == 0
    assert safe.interventions > 0 and ctl.interventions == safe.interventions
    assert shield.interventions == safe.interventions
