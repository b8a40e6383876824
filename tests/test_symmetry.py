"""Fore/aft symmetry: the observation map (envs.symmetry) and the symmetric policy."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from envs import make_sb3_env, make_task
from envs.symmetry import fore_aft_mirror
from policies.builders import build_policy_kwargs, build_policy_network, policy_class, task_mirror
from policies.symmetric import (
    GOAL_FRAME_BAND,
    ForeAftSymmetricPolicy,
    GoalFrameSymmetricPolicy,
    ObservationMirror,
)

POINTNAV = "smartbot/PointNav-v0"
ALL_SENSORS = ["lidar", "goal", "velocity", "odometry", "imu", "bumper"]
#: every source of noise off, so that a turned-round robot senses exactly the mirror image
QUIET_SIM = {
    "robot": {"actuator_noise": 0.0},
    "lidar": {"noise_std": 0.0},
    "imu": {"accel_noise": 0.0, "gyro_noise": 0.0},
    "odometry": {"noise": 0.0},
    "terrain": {"slip_noise": [0.0, 0.0, 0.0, 0.0]},
}
CFG = {"symmetry": "fore_aft", "net_arch": {"pi": [32], "vf": [32]}}
GOAL_CFG = {**CFG, "symmetry": "fore_aft_goal"}


def _mirror_np(mirror: dict[str, Any], obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for key, x in obs.items():
        m = mirror[key]
        y = np.asarray(m["sign"]) * np.asarray(x, np.float64)[..., m["index"]]
        shift = np.asarray(m["shift"])
        moved = (y + shift + math.pi) % (2 * math.pi) - math.pi
        out[key] = np.where(shift != 0, moved, y)
    return out


def _task(**kwargs: Any) -> Any:
    task = make_task(POINTNAV, 1, {"sensors": ALL_SENSORS, "sim": QUIET_SIM, **kwargs})
    task.seed(np.array([0]), [7])
    task.reset(np.array([0]))
    return task


def test_pointnav_mirror_maps_each_key() -> None:
    task = _task()
    m = fore_aft_mirror(task.config, task.single_observation_space)
    assert sorted(m) == sorted(ALL_SENSORS)
    assert m["lidar"]["index"][:3] == [32, 33, 34] and m["lidar"]["index"][32] == 0
    assert m["goal"]["shift"] == [0.0, math.pi] and m["goal"]["sign"] == [1.0, 1.0]
    assert m["velocity"]["sign"] == [-1.0, 1.0]
    assert m["odometry"]["sign"] == [-1.0, -1.0, 1.0]
    assert m["imu"]["sign"] == [-1.0, -1.0, 1.0, 1.0]
    assert m["bumper"] == {"index": [0], "sign": [1.0], "shift": [0.0]}


@pytest.mark.parametrize("action", [[0.8, 0.0], [-0.6, 0.5], [0.3, -1.0]])
def test_mirror_is_what_the_turned_round_robot_senses(action: list[float]) -> None:
    """Robot A at (x, y, yaw) commanded (v, w); robot B at (x, y, yaw + pi) commanded
    (-v, w): B's observation is A's mirrored, before and after the step (noise off)."""
    a, b = _task(), _task()
    pose = b.sim.pose[0].copy()
    b.sim.pose[0, 2] = math.remainder(pose[2] + math.pi, 2 * math.pi)
    b.observe()
    m = fore_aft_mirror(a.config, a.single_observation_space)
    for step in range(3):
        expected = _mirror_np(m, a.observation_rows(np.array([0])))
        got = b.observation_rows(np.array([0]))
        for key in ALL_SENSORS:
            np.testing.assert_allclose(got[key], expected[key], atol=1e-5, err_msg=f"{key} {step}")
        a.step(np.array([action], np.float32))
        b.step(np.array([[-action[0], action[1]]], np.float32))
        np.testing.assert_allclose(a.sim.pose[0, :2], b.sim.pose[0, :2], atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    lidar=st.lists(st.floats(0, 6), min_size=64, max_size=64),
    goal=st.tuples(st.floats(0, 15), st.floats(-math.pi, math.pi)),
    vel=st.tuples(st.floats(-0.5, 0.5), st.floats(-2, 2)),
)
def test_mirror_twice_is_identity(
    lidar: list[float], goal: tuple[float, float], vel: tuple[float, float]
) -> None:
    task = make_task(POINTNAV, 1, {})
    mirror = ObservationMirror(dict(fore_aft_mirror(task.config, task.single_observation_space)))
    obs = {
        "lidar": torch.tensor([lidar]),
        "goal": torch.tensor([goal], dtype=torch.float32),
        "velocity": torch.tensor([vel], dtype=torch.float32),
    }
    back = mirror(mirror(obs))
    for key in obs:
        assert back[key].shape == obs[key].shape
    torch.testing.assert_close(back["lidar"], obs["lidar"])
    torch.testing.assert_close(back["velocity"], obs["velocity"])
    assert back["goal"][0, 0] == obs["goal"][0, 0]
    # the same angle, up to the wrap at +-pi
    diff = math.remainder(float(back["goal"][0, 1] - obs["goal"][0, 1]), 2 * math.pi)
    assert abs(diff) < 1e-5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sensors": ["lidar", "goal", "camera"]}, "'camera'"),
        ({"sim": {"lidar": {"fov": 3.0}}}, r"sim.lidar has fov 3.0"),
        ({"sim": {"lidar": {"beams": 63}}}, "63 beams"),
    ],
)
def test_mirror_refuses_what_cannot_turn_round(kwargs: dict[str, Any], match: str) -> None:
    task = make_task(POINTNAV, 1, kwargs)
    with pytest.raises(ValueError, match=f"policy.symmetry.*{match}"):
        fore_aft_mirror(task.config, task.single_observation_space)


def test_objectnav_is_refused_naming_its_camera() -> None:
    task = make_task("smartbot/ObjectNav-v0", 1, {})
    with pytest.raises(ValueError, match="policy.symmetry: .*'camera'"):
        task_mirror(CFG, "smartbot/ObjectNav-v0", {}, task.single_observation_space)


def _policy(cfg: dict[str, Any] = CFG, n: int = 4) -> tuple[ForeAftSymmetricPolicy, Any]:
    env = make_sb3_env(POINTNAV, n, seed=0)
    mirror = task_mirror(cfg, POINTNAV, {}, env.observation_space)
    net = build_policy_network("ppo", env.observation_space, env.action_space, cfg, mirror=mirror)
    assert isinstance(net, ForeAftSymmetricPolicy)
    return net, env


@pytest.mark.parametrize(
    ("cfg", "cls"),
    [
        (CFG, ForeAftSymmetricPolicy),
        (GOAL_CFG, GoalFrameSymmetricPolicy),
        ({**GOAL_CFG, "squash_mean": True}, GoalFrameSymmetricPolicy),
    ],
)
def test_policy_is_equivariant_and_its_value_invariant(
    cfg: dict[str, Any], cls: type[ForeAftSymmetricPolicy]
) -> None:
    """mean(R o) = M mean(o), value(R o) = value(o), log-probs match under the mirror."""
    torch.manual_seed(0)
    net, env = _policy(cfg)
    assert type(net) is cls
    with torch.no_grad():  # random weights: the symmetry must hold for any
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    obs, _ = net.obs_to_tensor(env.reset())
    turned = net.obs_mirror(obs)
    flip = torch.tensor([-1.0, 1.0])
    with torch.no_grad():
        mean = net.get_distribution(obs).distribution.mean
        mean_t = net.get_distribution(turned).distribution.mean
        assert mean.abs().max() > 1e-3  # not trivially zero
        torch.testing.assert_close(mean_t, mean * flip, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(net.predict_values(turned), net.predict_values(obs))
        actions = torch.rand(4, 2) * 2 - 1
        _, logp, ent = net.evaluate_actions(obs, actions)
        _, logp_t, ent_t = net.evaluate_actions(turned, actions * flip)
        torch.testing.assert_close(logp_t, logp)
        assert ent is not None and ent_t is not None
        torch.testing.assert_close(ent_t, ent)
        values, logp_fwd = net(obs, deterministic=True)[1:]
        torch.testing.assert_close(values, net.predict_values(obs))
        assert logp_fwd.shape == (4,)


def test_goal_frame_policy_feeds_goals_ahead_and_blends_the_band() -> None:
    """GoalFrameSymmetricPolicy's network gets each observation with the goal ahead
    (turned round when |bearing| > pi/2), then the band's rows (||bearing| - pi/2| <
    band) in their other frame."""
    net, env = _policy(GOAL_CFG, n=32)
    seen: list[dict[str, torch.Tensor]] = []
    extract = net.extract_features

    def spy(obs: Any, *args: Any) -> Any:
        seen.append({k: v.clone() for k, v in obs.items()})
        return extract(obs, *args)

    net.extract_features = spy  # type: ignore[method-assign]
    obs, _ = net.obs_to_tensor(env.reset())
    obs["goal"][:4, 1] = torch.tensor([1.5, 1.7, -1.45, -1.75])  # in the band
    bearing = obs["goal"][:, 1]
    behind = bearing.abs() > math.pi / 2
    band = ((bearing.abs() - math.pi / 2).abs() < GOAL_FRAME_BAND).nonzero()[:, 0]
    assert 0 < int(behind.sum()) < 32 and band[:4].tolist() == [0, 1, 2, 3]
    with torch.no_grad():
        net.predict_values(obs)
    (fed,) = seen
    assert float(fed["goal"][:32, 1].abs().max()) <= math.pi / 2
    turned = net.obs_mirror(obs)
    for key in obs:
        main, other = fed[key][:32], fed[key][32:]
        assert other.shape[0] == band.numel()
        torch.testing.assert_close(main[behind], turned[key][behind])
        torch.testing.assert_close(main[~behind], obs[key][~behind].float())
        expected = torch.where(behind[band, None], obs[key][band].float(), turned[key][band])
        torch.testing.assert_close(other, expected)


@pytest.fixture(scope="module")
def goal_net() -> tuple[ForeAftSymmetricPolicy, dict[str, torch.Tensor]]:
    """A goal-frame policy (random initial weights) and one PointNav observation."""
    torch.manual_seed(1)
    net, env = _policy(GOAL_CFG, n=1)
    with torch.no_grad():  # larger weights: a hard switch of frame jumps by ~1.5 here
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    obs, _ = net.obs_to_tensor(env.reset())
    return net, obs


@settings(max_examples=60, deadline=None)
@given(bearing=st.floats(-math.pi, math.pi), speed=st.floats(-0.5, 0.5))
def test_goal_frame_policy_is_equivariant_and_continuous_at_any_bearing(
    goal_net: tuple[ForeAftSymmetricPolicy, dict[str, torch.Tensor]], bearing: float, speed: float
) -> None:
    """mean(R o) = M mean(o) and value(R o) = value(o) at every bearing and linear speed
    (m/s, which moves the frame change), and no jump in the mean where the frame changes:
    a 1e-3 rad step moves it little."""
    net, obs = goal_net
    o = {k: v.clone() for k, v in obs.items()}
    o["goal"][0, 1] = bearing
    o["velocity"][0, 0] = speed
    nudged = {k: v.clone() for k, v in o.items()}
    nudged["goal"][0, 1] = math.remainder(bearing + 1e-3, 2 * math.pi)
    flip = torch.tensor([-1.0, 1.0])
    with torch.no_grad():
        mean = net.get_distribution(o).distribution.mean
        turned = net.obs_mirror(o)
        torch.testing.assert_close(
            net.get_distribution(turned).distribution.mean, mean * flip, atol=1e-5, rtol=1e-4
        )
        torch.testing.assert_close(
            net.predict_values(turned), net.predict_values(o), atol=1e-5, rtol=1e-4
        )
        step = (net.get_distribution(nudged).distribution.mean - mean).abs().max()
    assert float(step) < 0.05  # the blend's steepest: ~0.007; a hard switch: ~1.5


def test_goal_frame_blend_is_the_documented_weighted_mean(
    goal_net: tuple[ForeAftSymmetricPolicy, dict[str, torch.Tensor]],
) -> None:
    """In the band, mean = w g(o) + (1 - w) M g(R o) and value likewise, with
    w = clamp(1/2 + (cos(bearing) + h v) / (2 sin(band))), h = 2 sin(band) / v_max."""
    net, obs = goal_net
    flip = torch.tensor([-1.0, 1.0])

    def raw(o: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        latent_pi, latent_vf = net.mlp_extractor(net.extract_features(o))
        return net.action_net(latent_pi), net.value_net(latent_vf)

    v_max = float(net.observation_space["velocity"].high[0])  # type: ignore[index]
    for bearing, speed in [(1.45, 0.0), (1.7, 0.0), (1.75, 0.2), (-1.62, -0.1), (2.0, 0.45)]:
        o = {k: v.clone() for k, v in obs.items()}
        o["goal"][0, 1] = bearing
        o["velocity"][0, 0] = speed
        s = math.sin(GOAL_FRAME_BAND)
        w = min(max(0.5 + (math.cos(bearing) + 2 * s / v_max * speed) / (2 * s), 0.0), 1.0)
        assert 0.0 < w < 1.0
        with torch.no_grad():
            mean_o, value_o = raw(o)
            mean_r, value_r = raw(net.obs_mirror(o))
            mean = net.get_distribution(o).distribution.mean
            value = net.predict_values(o)
        torch.testing.assert_close(mean, w * mean_o + (1 - w) * mean_r * flip)
        torch.testing.assert_close(value, w * value_o + (1 - w) * value_r)


def test_goal_frame_needs_a_goal_key() -> None:
    task = make_task("smartbot/ObjectNav-v0", 1, {"sensors": ["lidar", "target"]})
    space = task.single_observation_space
    mirror = task_mirror(GOAL_CFG, "smartbot/ObjectNav-v0", {"sensors": ["lidar", "target"]}, space)
    with pytest.raises(
        ValueError, match="policy.symmetry: fore_aft_goal needs the observation key 'goal'"
    ):
        build_policy_network("ppo", space, task.single_action_space, GOAL_CFG, mirror=mirror)


def test_symmetry_config_is_validated() -> None:
    assert policy_class("ppo", CFG) is ForeAftSymmetricPolicy
    assert policy_class("a2c", GOAL_CFG) is GoalFrameSymmetricPolicy
    assert policy_class("ppo", {}) is not ForeAftSymmetricPolicy
    with pytest.raises(
        ValueError,
        match="policy.symmetry: 'sideways' is not allowed; allowed: none, fore_aft, fore_aft_goal",
    ):
        build_policy_kwargs("ppo", {"symmetry": "sideways"})
    for algo in ("sac", "td3", "dqn", "recurrent_ppo"):
        with pytest.raises(ValueError, match=f"policy.symmetry: unknown key for {algo}"):
            build_policy_kwargs(algo, {"symmetry": "fore_aft"})
    env = make_sb3_env(POINTNAV, 1, seed=0)
    with pytest.raises(ValueError, match="needs the task's mirror"):
        build_policy_network("ppo", env.observation_space, env.action_space, CFG)
