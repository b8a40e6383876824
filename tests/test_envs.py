"""Tests for the smartbot Gymnasium tasks (envs/): API conformance, spaces, config errors,
info, splits, termination and the handling of bad actions.

Every registered env and several sensor configurations must pass Gymnasium's and
stable-baselines3's env checkers without a single warning (the passive checker only
*warns* about an observation outside its space, so a warning is a failure here).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # check_env opens render_mode="human"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gymnasium.utils.env_checker import check_env as gym_check_env  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from stable_baselines3.common.env_checker import check_env as sb3_check_env  # noqa: E402

import envs  # noqa: E402, F401  (registers the ids)
from envs import TASK_IDS, make_sb3_env  # noqa: E402
from envs.wrappers import DiscreteActions, DomainRandomization, SensorHistory  # noqa: E402

POINTNAV, OBJECTNAV, CUEMAZE = TASK_IDS

#: (id, config) pairs every checker must accept.
CONFIGS: list[tuple[str, dict[str, Any]]] = [
    (POINTNAV, {}),
    (OBJECTNAV, {}),
    (CUEMAZE, {}),
    (POINTNAV, {"sensors": ["lidar", "goal", "velocity", "imu", "odometry", "bumper"]}),
    (OBJECTNAV, {"sensors": ["camera", "target", "lidar"]}),
    (OBJECTNAV, {"sensors": ["camera", "depth", "target"]}),
    (OBJECTNAV, {"sensors": ["depth", "target"]}),
    (CUEMAZE, {"sensors": ["camera", "cue"]}),
    (OBJECTNAV, {"sensors": ["camera", "target", "lidar", "velocity", "visits"]}),
    (POINTNAV, {"sensors": ["lidar", "goal", "visits"], "explore_bonus": 0.1}),
    (
        OBJECTNAV,
        {"sensors": ["camera", "target", "seen"], "explore_bonus": 0.01, "explore_by": "seen"},
    ),
    (POINTNAV, {"sensors": ["lidar", "goal", "visits", "seen"]}),
    (
        OBJECTNAV,
        {
            "sensors": ["camera", "depth", "target", "seen"],
            "sim": {
                "camera": {"projection": "cylindrical", "fov": 6.28, "width": 64, "height": 40}
            },
        },
    ),
    (POINTNAV, {"contact": "terminate", "max_steps": 20, "split": "test"}),
]
CONFIG_IDS = [f"{i.split('/')[1]}-{'-'.join(c.get('sensors', ['default']))}" for i, c in CONFIGS]
CONFIG_IDS[-1] += "-terminate"

#: A tiny world where goals are near: for success/contact tests.
TINY: dict[str, Any] = {
    "sim": {"world": {"min_size": 4.0, "max_size": 4.0, "n_targets": 0}},
    "min_start_distance": 0.5,
    "max_start_distance": 1.5,
}

#: Documented observation keys, shapes and dtypes (defaults: 64 beams, 64x64 camera).
DOCUMENTED: dict[str, tuple[tuple[int, ...], type]] = {
    "lidar": ((64,), np.float32),
    "camera": ((3, 64, 64), np.uint8),
    "depth": ((1, 64, 64), np.float32),
    "imu": ((4,), np.float32),
    "odometry": ((3,), np.float32),
    "velocity": ((2,), np.float32),
    "bumper": ((1,), np.float32),
    "goal": ((2,), np.float32),
    "target": ((6,), np.float32),
    "cue": ((6,), np.float32),
    "visits": ((25,), np.float32),
    "seen": ((33,), np.float32),
}
DEFAULT_KEYS = {
    POINTNAV: {"lidar", "goal", "velocity"},
    OBJECTNAV: {"camera", "target"},
    CUEMAZE: {"lidar", "cue", "velocity"},
}
STEP_INFO_KEYS = {
    "is_success",
    "collided",
    "contacts",
    "geodesic_start",
    "geodesic_distance",
    "path_length",
    "bad_actions",
    "bad_actions_total",
    "episode_step",
    "episode_return",
    "reward_progress",
    "reward_success",
    "reward_contact",
    "reward_time",
    "reward_path",
    "reward_arc",
    "reward_reverse",
    "reward_explore",
}
RESET_INFO_KEYS = {"map_seed", "goal", "geodesic_start", "episode_seed"}


SB3_DEPTH_OK = ("depth is an image",)


def _space(env: gym.Env[Any, Any]) -> Any:
    assert isinstance(env.observation_space, gym.spaces.Dict)
    return env.observation_space


def _messages(caught: list[warnings.WarningMessage], ignore: tuple[str, ...] = ()) -> list[str]:
    out = [str(w.message) for w in caught]
    return [m for m in out if not any(s in m for s in ignore)]


# ------------------------------------------------------------------ env checkers
@pytest.mark.parametrize(("env_id", "config"), CONFIGS, ids=CONFIG_IDS)
def test_gymnasium_check_env(env_id: str, config: dict[str, Any]) -> None:
    env = gym.make(env_id, **config)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(env.unwrapped)
    assert _messages(caught) == []


@pytest.mark.parametrize(("env_id", "config"), CONFIGS, ids=CONFIG_IDS)
def test_sb3_check_env(env_id: str, config: dict[str, Any]) -> None:
    env = gym.make(env_id, **config)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(env, warn=True)
    # SB3 treats only uint8 images as images: the float32 depth map is flattened by its
    # default extractor and it says so; smartbot's own extractors handle depth.
    assert _messages(caught, SB3_DEPTH_OK if "depth" in config.get("sensors", ()) else ()) == []


def test_every_registered_id_is_covered() -> None:
    registered = {k for k in gym.registry if k.startswith("smartbot/")}
    assert registered == set(TASK_IDS)
    assert {env_id for env_id, _ in CONFIGS} == registered


WRAPPED = {
    "discrete": lambda e: DiscreteActions(e),
    "history": lambda e: SensorHistory(e, length=3),
    "domain": lambda e: DomainRandomization(
        e, noise_std=(0.05, 0.2), latency_steps=(1, 3), friction=(0.5, 1.0), seed=1
    ),
    "stack": lambda e: SensorHistory(DiscreteActions(DomainRandomization(e, seed=2)), length=2),
}
#: Warnings a wrapped env legitimately gets (the checkers prefer raw envs; SB3 would
#: rather see 1-D vectors than (length, n) histories, which it flattens anyway).
WRAPPED_OK = ("different from the unwrapped", "unconventional shape")


@pytest.mark.parametrize("wrap", list(WRAPPED), ids=list(WRAPPED))
@pytest.mark.parametrize("env_id", [POINTNAV, OBJECTNAV])
def test_check_env_on_wrapped_envs(env_id: str, wrap: str) -> None:
    env = WRAPPED[wrap](gym.make(env_id))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(env)
        sb3_check_env(env, warn=True)
    assert _messages(caught, WRAPPED_OK) == []


# ------------------------------------------------------------------ config errors
@pytest.mark.parametrize("env_id", TASK_IDS)
def test_unknown_config_key_names_it_and_lists_the_allowed(env_id: str) -> None:
    with pytest.raises(ValueError, match="bogus") as err:
        gym.make(env_id, bogus=1)
    msg = str(err.value)
    assert "allowed keys" in msg
    for key in ("max_steps", "sensors", "split", "sim", "success_radius"):
        assert key in msg


def test_unknown_nested_sim_key_names_the_path() -> None:
    with pytest.raises(ValueError, match=r"sim\.world\.bogus.*allowed keys.*min_size"):
        gym.make(POINTNAV, sim={"world": {"bogus": 1}})
    with pytest.raises(ValueError, match=r"sim\.robot\.radius.*allowed"):
        gym.make(POINTNAV, sim={"robot": {"radius": -1.0}})


@pytest.mark.parametrize(
    ("env_id", "allowed"),
    [
        (
            POINTNAV,
            (
                "lidar",
                "camera",
                "depth",
                "imu",
                "odometry",
                "velocity",
                "bumper",
                "visits",
                "seen",
                "goal",
            ),
        ),
        (OBJECTNAV, ("lidar", "camera", "depth", "visits", "seen", "target")),
        (CUEMAZE, ("lidar", "camera", "visits", "seen", "cue")),
    ],
)
def test_unknown_sensor_names_the_allowed_sensors(env_id: str, allowed: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="radar") as err:
        gym.make(env_id, sensors=["radar"])
    assert "sensors" in str(err.value)
    for name in allowed:
        assert name in str(err.value)


def test_task_sensor_of_another_task_is_refused() -> None:
    with pytest.raises(ValueError, match=r"sensors.*'cue'"):
        gym.make(POINTNAV, sensors=["lidar", "cue"])


def test_bad_sensor_lists() -> None:
    with pytest.raises(ValueError, match="sensors"):
        gym.make(POINTNAV, sensors=[])
    with pytest.raises(ValueError, match="sensors.*twice"):
        gym.make(POINTNAV, sensors=["lidar", "lidar"])


@pytest.mark.parametrize("env_id", TASK_IDS)
def test_unknown_split_names_the_allowed_splits(env_id: str) -> None:
    with pytest.raises(ValueError, match=r"split.*'dev'.*train, val, test"):
        gym.make(env_id, split="dev")


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, 10**9])
def test_out_of_range_max_steps_names_the_field_and_range(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"max_steps.*\[1, "):
        gym.make(POINTNAV, max_steps=bad)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("success_radius", 0.0),
        ("success_radius", math.nan),
        ("contact_penalty", -1.0),
        ("goals_per_map", 0),
        ("contact", "explode"),
    ],
)
def test_other_out_of_range_fields(field: str, bad: Any) -> None:
    with pytest.raises(ValueError, match=field):
        gym.make(POINTNAV, **{field: bad})


def test_start_distance_range_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="max_start_distance"):
        gym.make(POINTNAV, min_start_distance=3.0, max_start_distance=2.0)


def test_config_errors_through_the_vector_and_sb3_doors() -> None:
    with pytest.raises(ValueError, match="bogus"):
        gym.make_vec(POINTNAV, 2, vectorization_mode="vector_entry_point", bogus=1)
    with pytest.raises(ValueError, match="split"):
        make_sb3_env(POINTNAV, 2, split="dev")


@pytest.mark.parametrize(
    "bad", [np.zeros(3), np.zeros((2, 2)), [1.0], np.zeros(0), "ab", None, {"v": 1}]
)
def test_action_of_wrong_shape_names_action(bad: Any) -> None:
    env = gym.make(POINTNAV)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(bad)


def test_vector_action_of_wrong_shape_names_actions() -> None:
    env = gym.make_vec(POINTNAV, 3, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(np.zeros((2, 2)))


def test_bad_render_mode() -> None:
    with warnings.catch_warnings(), pytest.raises(ValueError, match="render_mode.*rgb_array"):
        warnings.simplefilter("ignore")  # gym.make warns before the env refuses
        gym.make(POINTNAV, render_mode="ascii")


# ------------------------------------------------------------------ rendering
@pytest.mark.parametrize("env_id", TASK_IDS)
def test_render_rgb_array(env_id: str) -> None:
    env = gym.make(env_id, render_mode="rgb_array")
    assert env.metadata["render_fps"] == (4 if env_id == CUEMAZE else 10)  # the control rate
    assert set(env.metadata["render_modes"]) >= {"rgb_array", "human"}
    env.reset(seed=0)
    for _ in range(3):
        frame = env.render()
        assert isinstance(frame, np.ndarray)
        assert frame.dtype == np.uint8
        assert frame.ndim == 3 and frame.shape[2] == 3
        assert frame.shape[0] > 32 and frame.shape[1] > 32
        assert frame.std() > 0  # not a blank frame
        env.step(env.action_space.sample())


def test_vector_render_and_fps() -> None:
    env = gym.make_vec(
        POINTNAV, 2, vectorization_mode="vector_entry_point", render_mode="rgb_array"
    )
    assert env.metadata["render_fps"] == 10
    env.reset(seed=0)
    frames: Any = env.render()
    assert frames is not None and len(frames) == 2
    assert all(f.dtype == np.uint8 and f.ndim == 3 and f.shape[2] == 3 for f in frames)


def test_render_without_mode_returns_none() -> None:
    env = gym.make(POINTNAV).unwrapped
    env.reset(seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert env.render() is None


# ------------------------------------------------------------------ spaces
@pytest.mark.parametrize("env_id", TASK_IDS)
def test_default_spaces_match_the_documented_ones(env_id: str) -> None:
    env = gym.make(env_id)
    space = env.observation_space
    assert isinstance(space, gym.spaces.Dict)
    assert set(space.spaces) == DEFAULT_KEYS[env_id]
    for key, sub in space.spaces.items():
        shape, dtype = DOCUMENTED[key]
        assert sub.shape == shape and sub.dtype == dtype, key
    act = env.action_space
    assert isinstance(act, gym.spaces.Box)
    assert act.shape == (2,) and act.dtype == np.float32
    assert np.all(act.low == -1.0) and np.all(act.high == 1.0)
    obs, _ = env.reset(seed=0)
    for key, value in obs.items():
        assert value.shape == DOCUMENTED[key][0] and value.dtype == DOCUMENTED[key][1], key


def test_documented_bounds() -> None:
    env = gym.make(POINTNAV, sensors=["lidar", "goal", "velocity", "bumper", "depth"])
    sp = _space(env).spaces
    assert sp["lidar"].low.min() == 0.0 and sp["lidar"].high.max() == pytest.approx(6.0)
    assert np.allclose(sp["goal"].low, [0.0, -np.pi])
    # goal range bound: the diagonal of the largest world, ceil(sqrt(2) * max_size) m
    assert np.allclose(sp["goal"].high, [math.ceil(math.sqrt(2) * 10.0), np.pi])
    assert np.allclose(sp["velocity"].high, [0.5, 2.0])
    assert sp["bumper"].high.max() == 1.0
    assert sp["depth"].high.max() == pytest.approx(12.0)


def test_sensor_config_shapes_follow_the_sim_spec() -> None:
    env = gym.make(
        OBJECTNAV,
        sensors=["camera", "depth", "lidar", "target"],
        sim={"camera": {"width": 40, "height": 36}, "lidar": {"beams": 16}},
    )
    sp = _space(env).spaces
    assert sp["camera"].shape == (3, 36, 40)
    assert sp["depth"].shape == (1, 36, 40)
    assert sp["lidar"].shape == (16,)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)


ALL_POINTNAV = ["lidar", "goal", "velocity", "imu", "odometry", "bumper", "depth", "camera"]


@pytest.mark.parametrize(
    ("env_id", "config"),
    [
        (POINTNAV, {"sensors": ALL_POINTNAV, "max_steps": 60}),
        (OBJECTNAV, {"sensors": ["camera", "depth", "target", "lidar", "imu"], "max_steps": 60}),
        (CUEMAZE, {"sensors": ["camera", "cue", "lidar", "velocity", "bumper"], "max_steps": 60}),
    ],
)
def test_observations_stay_in_the_space_over_random_rollouts(
    env_id: str, config: dict[str, Any]
) -> None:
    env = gym.make(env_id, **config)
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    for _ in range(250):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs), {k: (v.min(), v.max()) for k, v in obs.items()}
        assert math.isfinite(reward)
        if terminated or truncated:
            obs, _ = env.reset()
            assert env.observation_space.contains(obs)


def test_vector_observations_stay_in_the_batched_space() -> None:
    env = gym.make_vec(
        POINTNAV,
        8,
        vectorization_mode="vector_entry_point",
        sensors=["lidar", "goal", "velocity", "imu", "odometry", "bumper"],
        max_steps=20,
    )
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    for _ in range(50):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert reward.shape == terminated.shape == truncated.shape == (8,)
        if "final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                assert env.single_observation_space.contains(info["final_obs"][i])


def test_step_returns_fresh_arrays() -> None:
    env = gym.make(POINTNAV)
    obs0, _ = env.reset(seed=0)
    keep = {k: v.copy() for k, v in obs0.items()}
    env.step(np.array([1.0, 0.5], np.float32))
    for k in keep:
        assert np.array_equal(obs0[k], keep[k])


# ------------------------------------------------------------------ info
@pytest.mark.parametrize("env_id", TASK_IDS)
def test_info_keys_and_reward_terms(env_id: str) -> None:
    env = gym.make(env_id)
    _, info = env.reset(seed=3)
    assert RESET_INFO_KEYS <= set(info)
    assert isinstance(info["map_seed"], int)
    assert info["geodesic_start"] > 0.0
    env.action_space.seed(3)
    for _ in range(20):
        _, reward, _, _, info = env.step(env.action_space.sample())
        assert STEP_INFO_KEYS <= set(info)
        assert isinstance(info["is_success"], bool)
        assert isinstance(info["collided"], bool)
        terms = [info[k] for k in info if k.startswith("reward_")]
        assert len(terms) == 8
        assert reward == pytest.approx(sum(terms), abs=1e-9)
        assert info["path_length"] >= 0.0
        assert info["bad_actions"] == 0
    assert info["episode_step"] == 20


def test_reward_terms_follow_the_config() -> None:
    env = gym.make(POINTNAV, time_penalty=0.5, progress_weight=0.0, contact_penalty=0.0)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.zeros(2, np.float32))
    assert info["reward_time"] == -0.5
    assert info["reward_progress"] == 0.0
    assert reward == pytest.approx(-0.5)


def test_path_penalty_charges_every_metre_driven() -> None:
    env = gym.make(POINTNAV, path_penalty=0.5)
    env.reset(seed=0)
    before = 0.0
    for _ in range(5):
        _, reward, _, _, info = env.step(np.array([1.0, 0.3], np.float32))
        step_len = info["path_length"] - before
        before = info["path_length"]
        assert step_len > 0.0
        assert info["reward_path"] == pytest.approx(-0.5 * step_len, rel=1e-12)
        terms = sum(info[k] for k in info if k.startswith("reward_"))
        assert reward == pytest.approx(terms, abs=1e-9)
    with pytest.raises(ValueError, match=r"path_penalty"):
        gym.make(POINTNAV, path_penalty=-1.0)


def _arc_charge(disp: np.ndarray) -> float:
    """arc_penalty's unit charge for a step: metres x |yaw rate| (control period 0.1 s)."""
    return float(np.hypot(disp[0], disp[1]) * abs(disp[2]) / 0.1)


def _reverse_charge(disp: np.ndarray) -> float:
    """reverse_penalty's unit charge: metres driven backwards along the starting heading."""
    return max(-float(disp[0]), 0.0)


@pytest.mark.parametrize(
    ("name", "charge", "action", "charged"),
    [
        # arcs cost; turning on the spot and driving straight do not
        ("arc_penalty", _arc_charge, [0.0, 1.0], False),
        ("arc_penalty", _arc_charge, [1.0, 0.0], False),
        ("arc_penalty", _arc_charge, [1.0, 1.0], True),
        # reversing costs; driving forwards and turning on the spot do not
        ("reverse_penalty", _reverse_charge, [-1.0, 0.0], True),
        ("reverse_penalty", _reverse_charge, [1.0, 0.0], False),
        ("reverse_penalty", _reverse_charge, [0.0, 1.0], False),
    ],
)
def test_motion_penalties_charge_only_their_motion(
    name: str, charge: Any, action: list[float], charged: bool
) -> None:
    """``reward_arc`` = -arc_penalty x metres x |yaw rate|, ``reward_reverse`` =
    -reverse_penalty x metres driven backwards, per step, from the true displacement."""
    term = "reward_" + name.removesuffix("_penalty")
    env = gym.make(POINTNAV, sensors=["lidar", "goal"], **{name: 2.0})
    env.reset(seed=3)
    checked = 0
    for _ in range(4):
        _, reward, term_, trunc, info = env.step(np.array(action, np.float32))
        if info["collided"] or term_ or trunc:
            break
        disp = env.unwrapped.task.sim.true_disp[0]  # type: ignore[attr-defined]
        assert info[term] == pytest.approx(-2.0 * charge(disp), abs=1e-12)
        assert (info[term] < -1e-4) == charged
        terms = sum(info[k] for k in info if k.startswith("reward_"))
        assert reward == pytest.approx(terms, abs=1e-9)
        checked += 1
    assert checked >= 3
    with pytest.raises(ValueError, match=name):
        gym.make(POINTNAV, **{name: -0.1})


def test_path_length_accumulates_driven_distance() -> None:
    env = gym.make(POINTNAV, **TINY)
    env.reset(seed=0)
    total = 0.0
    task = env.unwrapped.task  # type: ignore[attr-defined]
    for _ in range(10):
        before = task.sim.pose[0, :2].copy()
        _, _, term, trunc, info = env.step(np.array([1.0, 0.0], np.float32))
        total += float(np.hypot(*(task.sim.pose[0, :2] - before)))
        if term or trunc:
            break
    assert info["path_length"] == pytest.approx(total, rel=1e-6, abs=1e-9)


# ------------------------------------------------------------------ splits
@pytest.mark.parametrize("env_id", TASK_IDS)
def test_split_map_seeds_are_disjoint(env_id: str) -> None:
    seen: dict[str, set[int]] = {}
    for split in ("train", "val", "test"):
        env = gym.make(env_id, split=split, n_maps=32)
        seeds = set()
        for s in range(60):
            _, info = env.reset(seed=s)
            seeds.add(info["map_seed"])
        for _ in range(30):  # continuing the stream without a seed
            _, info = env.reset()
            seeds.add(info["map_seed"])
        seen[split] = seeds
        assert len(seeds) > 20  # most of the pool was drawn
    assert not seen["train"] & seen["val"]
    assert not seen["train"] & seen["test"]
    assert not seen["val"] & seen["test"]


def test_split_changes_the_world() -> None:
    a = gym.make(POINTNAV, split="train")
    b = gym.make(POINTNAV, split="test")
    oa, _ = a.reset(seed=0)
    ob, _ = b.reset(seed=0)
    wa = a.unwrapped.task.entries[0].world  # type: ignore[attr-defined]
    wb = b.unwrapped.task.entries[0].world  # type: ignore[attr-defined]
    assert wa.seed != wb.seed
    assert wa.shape != wb.shape or not np.array_equal(wa.occupancy, wb.occupancy)


def test_map_cache_distinguishes_task_specific_config() -> None:
    """Regression: CueMaze's corridor_length must change the (cached) map."""
    short = gym.make(CUEMAZE, corridor_length=3.0)
    long = gym.make(CUEMAZE, corridor_length=12.0)
    _, i_short = short.reset(seed=0)
    _, i_long = long.reset(seed=0)
    w_short = short.unwrapped.task.entries[0].world  # type: ignore[attr-defined]
    w_long = long.unwrapped.task.entries[0].world  # type: ignore[attr-defined]
    assert w_long.shape[0] * w_long.shape[1] > w_short.shape[0] * w_short.shape[1]
    assert i_long["geodesic_start"] > i_short["geodesic_start"] + 5.0


# ------------------------------------------------------------------ termination
def _teleport(env: gym.Env[Any, Any], xy: Any) -> None:
    sim = env.unwrapped.task.sim  # type: ignore[attr-defined]
    sim.pose[0, 0], sim.pose[0, 1] = float(xy[0]), float(xy[1])
    sim.vel[0] = 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reaching_the_goal_terminates_with_success(seed: int) -> None:
    env = gym.make(POINTNAV, **TINY)
    _, info = env.reset(seed=seed)
    assert info["geodesic_start"] <= 1.5 + 0.2
    _teleport(env, info["goal"])
    _, reward, terminated, truncated, info = env.step(np.zeros(2, np.float32))
    assert terminated and not truncated
    assert info["is_success"] is True
    assert info["reward_success"] == 10.0
    assert float(reward) > 9.0
    assert info["geodesic_distance"] < 0.3


def test_no_success_away_from_the_goal() -> None:
    env = gym.make(POINTNAV, **TINY)
    _, info = env.reset(seed=0)
    for _ in range(3):
        _, _, terminated, _, info = env.step(np.zeros(2, np.float32))
        assert not terminated and info["is_success"] is False
        assert info["reward_success"] == 0.0


def test_cuemaze_correct_arm_succeeds_and_wrong_arm_fails() -> None:
    env = gym.make(CUEMAZE)
    _, info = env.reset(seed=5)
    task = env.unwrapped.task  # type: ignore[attr-defined]
    _teleport(env, task.wrong_goal[0])
    _, _, terminated, truncated, info = env.step(np.zeros(2, np.float32))
    assert terminated and not truncated and info["is_success"] is False
    _, info = env.reset(seed=5)
    _teleport(env, info["goal"])
    _, _, terminated, _, info = env.step(np.zeros(2, np.float32))
    assert terminated and info["is_success"] is True


def test_cuemaze_cue_visible_only_near_the_start() -> None:
    env = gym.make(CUEMAZE)
    obs, info = env.reset(seed=1)
    assert obs["cue"].sum() == 1.0
    _teleport(env, info["goal"])
    obs, *_ = env.step(np.zeros(2, np.float32))
    assert obs["cue"].sum() == 0.0


def test_objectnav_target_is_one_hot_of_the_goal_colour() -> None:
    env = gym.make(OBJECTNAV)
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        task = env.unwrapped.task  # type: ignore[attr-defined]
        assert obs["target"].sum() == 1.0
        assert int(np.argmax(obs["target"])) == int(task.target_colour[0])


@pytest.mark.parametrize("max_steps", [1, 5])
def test_truncation_at_max_steps(max_steps: int) -> None:
    env = gym.make(POINTNAV, max_steps=max_steps)
    env.reset(seed=0)
    for t in range(1, max_steps + 1):
        _, _, terminated, truncated, info = env.step(np.zeros(2, np.float32))
        assert not terminated
        assert truncated == (t == max_steps)
        assert info["episode_step"] == t


def _drive_into_a_wall(env: gym.Env[Any, Any], steps: int = 200) -> list[tuple[bool, bool]]:
    out = []
    for _ in range(steps):
        _, _, terminated, truncated, info = env.step(np.array([1.0, 0.0], np.float32))
        out.append((bool(info["collided"]), bool(terminated)))
        if terminated or truncated:
            break
    return out


def test_contact_terminate_ends_the_episode_on_contact() -> None:
    env = gym.make(POINTNAV, contact="terminate", max_steps=400, **TINY)
    env.reset(seed=0)
    trace = _drive_into_a_wall(env, 400)
    collided, terminated = zip(*trace, strict=True)
    assert collided[-1] and terminated[-1]
    assert not any(collided[:-1]) and not any(terminated[:-1])


def test_contact_penalize_does_not_end_the_episode() -> None:
    env = gym.make(POINTNAV, contact="penalize", max_steps=400, **TINY)
    env.reset(seed=0)
    hits = 0
    for _ in range(150):
        _, _, terminated, truncated, info = env.step(np.array([1.0, 0.0], np.float32))
        if info["collided"]:
            hits += 1
            assert info["reward_contact"] == -0.5  # the default contact_penalty
            assert not terminated
        if terminated or truncated:
            break
    assert hits > 0
    assert info["contacts"] >= hits


# ------------------------------------------------------------------ bad actions
_SPECIAL = st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 1.0000001, -7.0])
_ENTRY = st.one_of(
    st.floats(-1.0, 1.0), _SPECIAL, st.floats(allow_nan=True, allow_infinity=True, width=64)
)
_ACTIONS = hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.just(2)), elements=_ENTRY)
_ENVS: dict[str, Any] = {}


def _bad_count(a: np.ndarray) -> np.ndarray:
    return ((~np.isfinite(a)) | (np.abs(np.nan_to_num(a, nan=0.0)) > 1.0)).sum(axis=-1)


def _state_is_finite(env: gym.Env[Any, Any]) -> bool:
    sim = env.unwrapped.task.sim  # type: ignore[attr-defined]
    arrays = (sim.pose, sim.vel, sim.true_vel, sim.imu, sim.odom)
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


@settings(max_examples=40, deadline=None)
@given(actions=_ACTIONS, seed=st.integers(0, 2**31 - 1))
def test_bad_actions_never_crash_nor_leak_into_state(actions: np.ndarray, seed: int) -> None:
    if "env" not in _ENVS:
        _ENVS["env"] = gym.make(
            POINTNAV,
            max_steps=25,
            sensors=["lidar", "goal", "velocity", "imu", "odometry", "bumper", "depth"],
        )
    env = _ENVS["env"]
    env.reset(seed=seed)
    total = 0
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        expected = int(_bad_count(a))
        total += expected
        assert info["bad_actions"] == expected
        assert info["bad_actions_total"] == total
        assert math.isfinite(reward)
        for k, v in obs.items():
            assert np.all(np.isfinite(v)), k
        assert env.observation_space.contains(obs)
        assert _state_is_finite(env)
        if terminated or truncated:
            env.reset()
            total = 0


@settings(max_examples=15, deadline=None)
@given(
    actions=hnp.arrays(
        np.float64, st.tuples(st.integers(1, 15), st.just(5), st.just(2)), elements=_ENTRY
    ),
)
def test_bad_actions_in_the_vector_and_sb3_doors(actions: np.ndarray) -> None:
    if "vec" not in _ENVS:
        _ENVS["vec"] = gym.make_vec(
            POINTNAV, 5, vectorization_mode="vector_entry_point", max_steps=10
        )
    vec = _ENVS["vec"]
    sb3: Any = make_sb3_env(POINTNAV, 5, seed=0, max_steps=10)
    vec.reset(seed=0)
    sb3.reset()
    for a in actions:
        obs, reward, _, _, info = vec.step(a)
        assert np.array_equal(info["bad_actions"], _bad_count(a))
        assert all(np.all(np.isfinite(v)) for v in obs.values())
        assert np.all(np.isfinite(reward))
        obs3, reward3, _, _ = sb3.step(a)
        assert all(np.all(np.isfinite(v)) for v in obs3.values())
        assert np.all(np.isfinite(reward3))
        sim = sb3.task.sim
        assert np.all(np.isfinite(sim.pose)) and np.all(np.isfinite(sim.vel))


def test_infinite_actions_saturate_and_nan_stops() -> None:
    env = gym.make(POINTNAV, **TINY)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([math.inf, 0.0]))
    assert info["bad_actions"] == 1
    sim = env.unwrapped.task.sim  # type: ignore[attr-defined]
    assert sim.vel[0, 0] > 0.0  # +inf drives forward (saturated), never NaN
    _, _, _, _, info = env.step(np.array([math.nan, math.nan]))
    assert info["bad_actions"] == 2 and info["bad_actions_total"] == 3
    assert np.all(np.isfinite(sim.pose))


def test_partial_sim_override_keeps_the_task_defaults() -> None:
    base = gym.make(OBJECTNAV).unwrapped.task.config.sim  # type: ignore[attr-defined]
    cfg = gym.make(  # type: ignore[attr-defined]
        OBJECTNAV, sim={"camera": {"width": 32}}
    ).unwrapped.task.config.sim
    assert cfg.camera.width == 32
    assert cfg.world == base.world  # ObjectNav's 6-8 m worlds, clutter 0.2


def test_prebuild_maps_builds_every_map_and_goal_field_once() -> None:
    from envs.maps import MAP_CACHE

    env = make_sb3_env(POINTNAV, 2, seed=0, n_maps=3, goals_per_map=2, **TINY)
    task = env.task
    assert task.prebuild_maps() == 3
    entries = [task.map_entry(i) for i in range(3)]
    assert all(sorted(e.fields) == [0, 1] for e in entries)
    misses = MAP_CACHE.misses
    env.reset()
    for _ in range(50):
        env.step(np.tile(np.array([[1.0, 0.5]], np.float32), (2, 1)))
    assert MAP_CACHE.misses == misses  # episodes only reuse the prebuilt maps
    assert all(any(task.entries[i] is e for e in entries) for i in range(2))


# ------------------------------------------------------------------ step arithmetic
def _same_bits(got: np.ndarray, want: np.ndarray) -> bool:
    """Equal values, dtypes and signs of zero (NaN equal to NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    return got.dtype == want.dtype and got.tobytes() == want.tobytes()


def _plain_goal_obs(task: Any) -> np.ndarray:
    """PointNav's goal observation as plain numpy: range (clipped) and wrapped bearing."""
    p, g = task.sim.pose, task.goal
    dx, dy = g[:, 0] - p[:, 0], g[:, 1] - p[:, 1]
    bearing = (np.arctan2(dy, dx) - p[:, 2] + np.pi) % (2 * np.pi) - np.pi
    out = np.stack([np.hypot(dx, dy), bearing], axis=1).astype(np.float32)
    out[:, 0] = np.minimum(out[:, 0], task.max_goal_range)
    return out


def _plain_velocity_obs(task: Any) -> np.ndarray:
    r, odom = task.config.sim.robot, task.sim.odom
    v = np.clip(odom[:, 0] / r.control_dt, -r.max_linear, r.max_linear)
    w = np.clip(odom[:, 2] / r.control_dt, -r.max_angular, r.max_angular)
    return np.stack([v, w], axis=1).astype(np.float32)


@pytest.mark.parametrize(
    ("env_id", "config"),
    [
        (
            POINTNAV,
            {
                "path_penalty": 0.5,
                "arc_penalty": 0.7,
                "reverse_penalty": 0.3,
                "explore_bonus": 0.2,
                "max_steps": 40,
            },
        ),
        (POINTNAV, {"contact": "terminate", "success_radius": 1.0}),
        (CUEMAZE, {"max_steps": 60, "success_radius": 1.5}),
    ],
)
def test_step_bookkeeping_and_observations_match_plain_numpy(
    env_id: str, config: dict[str, Any]
) -> None:
    """The fused step kernels give, bit for bit, what the formulas give in plain numpy."""
    from envs.tasks import make_task

    n = 8
    task = make_task(env_id, n, config)
    task.seed(np.arange(n), list(range(n)))
    task.reset(np.arange(n))
    cfg = task.config
    rng = np.random.default_rng(0)
    ret = np.zeros(n)
    ends = 0
    for _ in range(150):
        geo_before, steps_before = task.geo.copy(), task.ep_steps.copy()
        cells_before = (
            np.zeros(n) if task.visits is None else np.count_nonzero(task.visits.counts, (1, 2))
        )
        actions = rng.uniform(-1.2, 1.2, (n, 2))
        actions[::2, 0] = np.abs(actions[::2, 0])  # odd slots may reverse
        reward, terminated, truncated, info = task.step(actions)
        sim = task.sim
        geo = task.fields.distances(sim.pose[:, :2])
        geo = np.where(np.isfinite(geo), geo, geo_before)
        success, collided = task.goal_reached(), sim.bumper.copy()
        terms = {
            "reward_progress": cfg.progress_weight * (geo_before - geo),
            "reward_success": (cfg.success_bonus * success).astype(np.float64),
            "reward_contact": (-cfg.contact_penalty * collided).astype(np.float64),
            "reward_time": np.full(n, -cfg.time_penalty),
            "reward_path": -cfg.path_penalty * np.hypot(sim.true_disp[:, 0], sim.true_disp[:, 1]),
            "reward_arc": -cfg.arc_penalty
            * np.hypot(sim.true_disp[:, 0], sim.true_disp[:, 1])
            * np.abs(sim.true_disp[:, 2])
            / cfg.sim.robot.control_dt,
            "reward_reverse": -cfg.reverse_penalty
            * np.where(sim.true_disp[:, 0] < 0.0, -sim.true_disp[:, 0], 0.0),
            "reward_explore": cfg.explore_bonus
            * (
                np.zeros(n)
                if task.visits is None
                else np.count_nonzero(task.visits.counts, (1, 2)) > cells_before
            ),
        }
        total = (
            terms["reward_progress"]
            + terms["reward_success"]
            + terms["reward_contact"]
            + terms["reward_time"]
            + terms["reward_path"]
            + terms["reward_arc"]
            + terms["reward_reverse"]
            + terms["reward_explore"]
        )
        ret += total
        ended = success | (task.failed() & ~success)
        if cfg.contact == "terminate":
            ended = ended | collided
        for key, want in terms.items():
            assert _same_bits(info[key], want), key
        assert _same_bits(reward, total) and _same_bits(info["episode_return"], ret)
        assert _same_bits(info["geodesic_distance"], geo)
        assert _same_bits(info["is_success"], success) and _same_bits(terminated, ended)
        assert _same_bits(truncated, (steps_before + 1 >= cfg.max_steps) & ~ended)
        assert _same_bits(
            info["shortest_path"], np.maximum(task.geo_start - task.success_reach(), 0.0)
        )
        done = np.flatnonzero(terminated | truncated)
        if done.size:
            ends += done.size
            task.reset(done)
            ret[done] = 0.0
        if "goal" in task.obs:
            assert _same_bits(task.obs["goal"], _plain_goal_obs(task))
        assert _same_bits(task.obs["velocity"], _plain_velocity_obs(task))
    assert ends > 0


def _drive_to_goal(env: gym.Env[Any, Any], seed: int, max_steps: int = 300) -> dict[str, Any]:
    """Turn toward the goal bearing and drive (a proportional controller); the last info."""
    obs, _ = env.reset(seed=seed)
    info: dict[str, Any] = {}
    for _ in range(max_steps):
        bearing = float(obs["goal"][1])  # rad, left positive
        turn = float(np.clip(2.0 * bearing, -1.0, 1.0))
        ahead = 1.0 if abs(bearing) < 0.3 else 0.2
        obs, _, term, trunc, info = env.step(np.array([ahead, turn], np.float32))
        if term or trunc:
            break
    return info


@pytest.mark.parametrize("spl_bonus", [0.0, 4.0])
def test_spl_bonus_pays_the_episodes_spl_on_success(spl_bonus: float) -> None:
    """``reward_success`` = success_bonus + spl_bonus x l / max(p, l) at the success step,
    with l and p as ``info`` reports them (SPL's l_i and p_i); 0 on every other step."""
    env = gym.make(POINTNAV, sensors=["lidar", "goal"], success_bonus=3.0, spl_bonus=spl_bonus)
    successes = detours = 0
    for seed in range(8):
        info = _drive_to_goal(env, seed)
        if not info["is_success"]:
            assert info["reward_success"] == 0.0
            continue
        successes += 1
        l_i, p_i = info["shortest_path"], info["path_length"]
        assert l_i > 0.0 and p_i > 0.0
        detours += p_i > l_i  # SPL below 1 (p_i <= l_i, straight on the coarse grid, is 1)
        want = 3.0 + spl_bonus * l_i / max(p_i, l_i)
        assert info["reward_success"] == pytest.approx(want, rel=1e-12)
    assert successes >= 2 and detours >= 1
    with pytest.raises(ValueError, match=r"spl_bonus"):
        gym.make(POINTNAV, spl_bonus=-1.0)
