"""Tests for envs.wrappers: DiscreteActions, SensorHistory, DomainRandomization.

(``check_env`` on the wrapped envs lives in tests/test_envs.py.)
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the ids)
from envs import TASK_IDS
from envs.wrappers import (
    ACTION_NAMES,
    DEFAULT_ANGULAR,
    DEFAULT_LINEAR,
    DiscreteActions,
    DomainRandomization,
    SensorHistory,
)

POINTNAV, OBJECTNAV, CUEMAZE = TASK_IDS
ALL = ["lidar", "goal", "velocity", "imu", "odometry", "bumper"]


class _Spy(gym.Wrapper[Any, Any, Any, Any]):
    """Records the actions that reach the env."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self.actions: list[Any] = []

    def step(self, action: Any) -> Any:
        self.actions.append(np.array(action, dtype=np.float64, copy=True))
        return self.env.step(action)


def _space(env: gym.Env[Any, Any]) -> Any:
    assert isinstance(env.observation_space, gym.spaces.Dict)
    return env.observation_space


def _rollout(env: gym.Env[Any, Any], seed: int, actions: list[Any]) -> list[dict[str, Any]]:
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for a in actions:
        obs, _, term, trunc, _ = env.step(a)
        out.append(obs)
        if term or trunc:
            break
    return out


# ------------------------------------------------------------------ DiscreteActions
def test_discrete_default_table() -> None:
    env = DiscreteActions(gym.make(POINTNAV))
    assert isinstance(env.action_space, gym.spaces.Discrete)
    assert env.action_space.n == len(ACTION_NAMES) == 7
    assert env.table.shape == (7, 2) and env.table.dtype == np.float32
    assert np.array_equal(env.table[:, 0], np.asarray(DEFAULT_LINEAR, np.float32))
    assert np.array_equal(env.table[:, 1], np.asarray(DEFAULT_ANGULAR, np.float32))
    assert np.array_equal(env.table[0], [0.0, 0.0])  # stop
    assert env.table[1, 0] == 1.0 and env.table[1, 1] == 0.0  # forward
    assert env.table[4, 1] > 0 > env.table[5, 1]  # turn left / right
    assert env.table[6, 0] < 0  # backward


def test_discrete_sends_the_table_row() -> None:
    spy = _Spy(gym.make(POINTNAV))
    env = DiscreteActions(spy)
    env.reset(seed=0)
    choices: list[Any] = [0, 1, np.int64(2), np.array(3), 4, 5, 6, 1.0]
    for a in choices:
        env.step(a)
        assert np.array_equal(spy.actions[-1], env.table[int(a)])


def test_discrete_custom_table() -> None:
    env = DiscreteActions(gym.make(POINTNAV), linear=(0.0, 1.0, 1.0), angular=(1.0, 0.0, -1.0))
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n == 3
    assert np.array_equal(env.table, [[0, 1], [1, 0], [1, -1]])


def test_discrete_turn_left_turns_counter_clockwise() -> None:
    env = DiscreteActions(gym.make(POINTNAV, sim={"robot": {"actuator_noise": 0.0}}))
    env.reset(seed=0)
    sim = env.unwrapped.task.sim  # type: ignore[attr-defined]
    yaw0 = float(sim.pose[0, 2])
    for _ in range(3):
        env.step(4)
    dyaw = (float(sim.pose[0, 2]) - yaw0 + math.pi) % (2 * math.pi) - math.pi
    assert dyaw > 0.1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"linear": (0.0, 1.0), "angular": (0.0,)}, "linear, angular"),
        ({"linear": (), "angular": ()}, "linear"),
        ({"linear": (2.0,), "angular": (0.0,)}, r"linear.*\[-1, 1\]"),
        ({"linear": (0.0,), "angular": (math.nan,)}, r"angular.*\[-1, 1\]"),
    ],
)
def test_discrete_validates_the_table(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DiscreteActions(gym.make(POINTNAV), **kwargs)


@pytest.mark.parametrize("bad", [-1, 7, 1.5, np.array([1, 2]), "forward", None])
def test_discrete_refuses_bad_actions(bad: Any) -> None:
    env = DiscreteActions(gym.make(POINTNAV))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action.*\[0, 6\]"):
        env.step(bad)


def test_discrete_refuses_non_box_envs() -> None:
    base = DiscreteActions(gym.make(POINTNAV))
    with pytest.raises(ValueError, match="env"):
        DiscreteActions(base)  # type: ignore[arg-type]


# ------------------------------------------------------------------ SensorHistory
def test_history_space_and_passthrough() -> None:
    inner = gym.make(POINTNAV, sensors=ALL)
    env = SensorHistory(inner, keys=["lidar", "velocity"], length=4)
    sp = _space(env).spaces
    assert sp["lidar"].shape == (4, 64) and sp["lidar"].dtype == np.float32
    assert sp["velocity"].shape == (4, 2)
    assert np.array_equal(sp["velocity"].high[2], _space(inner)["velocity"].high)
    for k in ("goal", "imu", "odometry", "bumper"):
        assert sp[k] == _space(inner)[k]
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)


def test_history_default_keys_are_all_boxes() -> None:
    env = SensorHistory(gym.make(OBJECTNAV), length=2)
    assert set(env.keys) == {"camera", "target"}
    assert _space(env)["camera"].shape == (2, 3, 64, 64)
    assert _space(env)["camera"].dtype == np.uint8


def test_history_order_and_first_padding() -> None:
    raw = gym.make(POINTNAV, sensors=ALL)
    env = SensorHistory(gym.make(POINTNAV, sensors=ALL), length=3)
    rng = np.random.default_rng(0)
    actions = [rng.uniform(-1, 1, 2).astype(np.float32) for _ in range(6)]
    ref = _rollout(raw, 4, actions)
    got = _rollout(env, 4, actions)
    for t, obs in enumerate(got):
        for k in ALL:
            want = np.stack([ref[max(0, t - 2)][k], ref[max(0, t - 1)][k], ref[t][k]])
            assert np.array_equal(obs[k], want), (t, k)


def test_history_zero_padding() -> None:
    env = SensorHistory(gym.make(POINTNAV), keys=["lidar"], length=3, padding="zeros")
    obs, _ = env.reset(seed=0)
    assert np.all(obs["lidar"][:2] == 0.0)
    assert np.all(obs["lidar"][2] > 0.0)
    obs, *_ = env.step(np.zeros(2, np.float32))
    assert np.all(obs["lidar"][0] == 0.0) and np.all(obs["lidar"][1:] > 0.0)
    assert env.observation_space.contains(obs)


def test_history_resets_between_episodes() -> None:
    env = SensorHistory(gym.make(POINTNAV, max_steps=2), keys=["goal"], length=3)
    env.reset(seed=0)
    env.step(np.ones(2, np.float32))
    env.step(np.ones(2, np.float32))
    obs, _ = env.reset(seed=1)
    assert np.array_equal(obs["goal"][0], obs["goal"][2])
    assert np.array_equal(obs["goal"][1], obs["goal"][2])


def test_history_returns_fresh_arrays() -> None:
    env = SensorHistory(gym.make(POINTNAV), keys=["lidar"], length=2)
    obs0, _ = env.reset(seed=0)
    keep = obs0["lidar"].copy()
    env.step(np.array([1.0, 0.3], np.float32))
    assert np.array_equal(obs0["lidar"], keep)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"keys": ["radar"]}, r"keys.*'radar'.*lidar"),
        ({"keys": "lidar"}, "keys"),
        ({"keys": []}, "keys"),
        ({"keys": ["lidar", "lidar"]}, "keys"),
        ({"length": 0}, r"length.*\[1, 1000\]"),
        ({"length": 2.0}, "length"),
        ({"padding": "mirror"}, "padding.*first, zeros"),
    ],
)
def test_history_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SensorHistory(gym.make(POINTNAV), **kwargs)


# ------------------------------------------------------------------ DomainRandomization
def test_domain_defaults_and_info() -> None:
    env = DomainRandomization(gym.make(POINTNAV), seed=0)
    _, info = env.reset(seed=0)
    d = info["domain"]
    assert set(d) == {"noise_std", "latency_steps", "friction"}
    assert 0.0 <= d["noise_std"] <= 0.05
    assert d["latency_steps"] in (0, 1, 2) and isinstance(d["latency_steps"], int)
    assert 0.8 <= d["friction"] <= 1.0
    _, _, _, _, info2 = env.step(np.zeros(2, np.float32))
    assert info2["domain"] == d
    assert "is_success" in info2  # the env's info is kept
    assert set(env.noise_keys) == {"lidar", "goal", "velocity"}


def test_domain_draws_vary_per_episode_within_ranges() -> None:
    env = DomainRandomization(
        gym.make(POINTNAV),
        noise_std=(0.1, 0.3),
        latency_steps=(1, 4),
        friction=(0.2, 0.6),
        seed=7,
    )
    draws = []
    for s in range(30):
        _, info = env.reset(seed=s)
        draws.append(info["domain"])
    env.reset()  # unseeded resets keep drawing from the stream
    assert all(0.1 <= d["noise_std"] <= 0.3 for d in draws)
    assert all(0.2 <= d["friction"] <= 0.6 for d in draws)
    assert {d["latency_steps"] for d in draws} == {1, 2, 3, 4}
    assert len({d["friction"] for d in draws}) == 30


def test_domain_seeded_reset_replays_bit_for_bit() -> None:
    def make() -> gym.Env[Any, Any]:
        return DomainRandomization(
            gym.make(POINTNAV, sensors=ALL), noise_std=(0.05, 0.2), latency_steps=(0, 3), seed=3
        )

    rng = np.random.default_rng(1)
    actions = [rng.uniform(-1, 1, 2).astype(np.float32) for _ in range(15)]
    a = _rollout(make(), 11, actions)
    b = _rollout(make(), 11, actions)
    env = make()
    _rollout(env, 99, actions)
    c = _rollout(env, 11, actions)  # reseeding the same instance replays too
    for x, y, z in zip(a, b, c, strict=True):
        for k in x:
            assert np.array_equal(x[k], y[k]) and np.array_equal(x[k], z[k])
    d = _rollout(make(), 12, actions)
    assert not all(np.array_equal(x["lidar"], w["lidar"]) for x, w in zip(a, d, strict=False))


def test_domain_noise_is_gaussian_and_clipped() -> None:
    raw = gym.make(POINTNAV, sensors=ALL)
    env = DomainRandomization(
        gym.make(POINTNAV, sensors=ALL), noise_std=(0.5, 0.5), latency_steps=(0, 0), seed=0
    )
    obs_raw, _ = raw.reset(seed=2)
    obs, info = env.reset(seed=2)
    assert info["domain"]["noise_std"] == 0.5
    diffs = []
    for _ in range(20):
        diffs.append(obs["imu"] - obs_raw["imu"])  # imu bounds are wide: no clipping
        assert env.observation_space.contains(obs)
        for k in ("lidar", "goal", "velocity"):
            assert not np.array_equal(obs[k], obs_raw[k])
        assert np.array_equal(obs["bumper"], obs_raw["bumper"])  # not a noisy key
        a = np.array([0.5, 0.2], np.float32)
        obs_raw, *_ = raw.step(a * np.float32(env.friction))
        obs, *_ = env.step(a)
    d = np.concatenate(diffs)
    assert abs(d.mean()) < 0.15
    assert 0.4 < d.std() < 0.6
    low = _space(env)["velocity"].low
    assert np.all(obs["velocity"] >= low)


def test_domain_camera_pixels_are_never_noised() -> None:
    raw = gym.make(OBJECTNAV)
    env = DomainRandomization(
        gym.make(OBJECTNAV), noise_std=(1.0, 1.0), latency_steps=(0, 0), friction=(1.0, 1.0), seed=0
    )
    assert env.noise_keys == ()
    o1, _ = raw.reset(seed=0)
    o2, _ = env.reset(seed=0)
    assert np.array_equal(o1["camera"], o2["camera"])
    assert np.array_equal(o1["target"], o2["target"])


def test_domain_noise_keys_can_be_chosen() -> None:
    env = DomainRandomization(gym.make(POINTNAV), noise_keys=["goal"], seed=0)
    assert env.noise_keys == ("goal",)
    with pytest.raises(ValueError, match=r"noise_keys.*'camera'"):
        DomainRandomization(gym.make(OBJECTNAV), noise_keys=["camera"])


@pytest.mark.parametrize("latency", [1, 3])
def test_domain_latency_delays_observations(latency: int) -> None:
    raw = gym.make(POINTNAV, sensors=ALL)
    env = DomainRandomization(
        gym.make(POINTNAV, sensors=ALL),
        noise_std=(0.0, 0.0),
        latency_steps=(latency, latency),
        friction=(1.0, 1.0),
        seed=0,
    )
    rng = np.random.default_rng(5)
    actions = [rng.uniform(-1, 1, 2).astype(np.float32) for _ in range(10)]
    ref = _rollout(raw, 8, actions)
    got = _rollout(env, 8, actions)
    for t, obs in enumerate(got):
        for k in ALL:
            assert np.array_equal(obs[k], ref[max(0, t - latency)][k]), (t, k)


def test_domain_friction_scales_the_command() -> None:
    spy = _Spy(gym.make(POINTNAV))
    env = DomainRandomization(spy, noise_std=(0, 0), latency_steps=(0, 0), friction=(0.5, 0.5))
    env.reset(seed=0)
    env.step(np.array([1.0, -0.4], np.float32))
    assert np.allclose(spy.actions[-1], [0.5, -0.2])
    gain = DomainRandomization(_Spy(gym.make(POINTNAV)), friction=(2.0, 2.0), seed=0)
    gain.reset(seed=0)
    _, _, _, _, info = gain.step(np.array([0.8, 0.1], np.float32))
    assert np.allclose(gain.env.actions[-1], [1.0, 0.2])  # type: ignore[attr-defined]
    assert info["bad_actions"] == 0  # saturating a valid command is not a bad action


def test_domain_friction_slows_the_robot() -> None:
    def distance(friction: float) -> float:
        env = DomainRandomization(
            gym.make(POINTNAV, sensors=["lidar", "goal"], contact="penalize"),
            friction=(friction, friction),
            noise_std=(0, 0),
            latency_steps=(0, 0),
        )
        env.reset(seed=0)
        for _ in range(5):
            _, _, _, _, info = env.step(np.array([1.0, 0.0], np.float32))
        return float(info["path_length"])

    assert distance(0.4) < 0.6 * distance(1.0)


def test_domain_passes_bad_actions_through_for_counting() -> None:
    env = DomainRandomization(gym.make(POINTNAV), friction=(0.5, 0.5), seed=0)
    env.reset(seed=0)
    obs, _, _, _, info = env.step(np.array([math.nan, 5.0]))
    assert info["bad_actions"] == 2
    assert all(np.all(np.isfinite(v)) for v in obs.values())
    with pytest.raises(ValueError, match="action"):
        env.step(np.zeros(3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"noise_std": (-0.1, 0.1)}, r"noise_std.*0 <= low <= high <= 10"),
        ({"noise_std": (0.2, 0.1)}, r"noise_std.*low exceeds high"),
        ({"noise_std": (0.0, math.inf)}, "noise_std"),
        ({"noise_std": 0.1}, r"noise_std.*pair"),
        ({"latency_steps": (0, 1.5)}, r"latency_steps.*integers.*100"),
        ({"latency_steps": (-1, 2)}, "latency_steps"),
        ({"latency_steps": (0, 101)}, "latency_steps"),
        ({"friction": (0.0, 1.0)}, r"friction.*0 < low <= high <= 2"),
        ({"friction": (0.5, 2.5)}, "friction"),
        ({"friction": (True, 1.0)}, "friction"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"noise_keys": "lidar"}, "noise_keys"),
    ],
)
def test_domain_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DomainRandomization(gym.make(POINTNAV), **kwargs)


def test_wrappers_need_dict_observations() -> None:
    env = gym.make("CartPole-v1")
    with pytest.raises(ValueError, match="env.*Dict"):
        SensorHistory(env)
    with pytest.raises(ValueError, match="env.*Dict"):
        DomainRandomization(env)


def test_wrappers_compose() -> None:
    env = SensorHistory(
        DiscreteActions(DomainRandomization(gym.make(CUEMAZE), seed=0, latency_steps=(1, 1))),
        keys=["lidar", "cue"],
        length=5,
    )
    obs, info = env.reset(seed=0)
    assert obs["lidar"].shape == (5, 64) and obs["cue"].shape == (5, 6)
    assert info["domain"]["latency_steps"] == 1
    for a in range(7):
        obs, _, term, trunc, info = env.step(a)
        assert env.observation_space.contains(obs)
        assert "domain" in info
