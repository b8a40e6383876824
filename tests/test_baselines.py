"""Baselines: the random policy and the privileged scripted expert on all three tasks."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the smartbot ids)
from envs import make_sb3_env, make_task
from policies import RandomPolicy, ScriptedExpert
from robot.policy import BatchPolicy, ExplainablePolicy, Policy


def _vector_success(
    env_id: str, policy_factory: Any, episodes: int, n: int = 16, seed: int = 0, **kwargs: Any
) -> tuple[float, int, float]:
    """Success rate, episode count and mean contacts of ``episodes`` finished episodes
    on the vector env (SAME_STEP autoreset)."""
    env = gym.make_vec(env_id, n, vectorization_mode="vector_entry_point", split="test", **kwargs)
    try:
        policy = policy_factory(env)
        policy.reset_batch(n)
        obs, _ = env.reset(seed=seed)
        starts = np.ones(n, dtype=bool)
        success: list[bool] = []
        contacts: list[int] = []
        while len(success) < episodes:
            actions = policy.act_batch(obs, starts)
            assert actions.shape == (n, 2)
            obs, _, terminated, truncated, infos = env.step(actions)
            starts = terminated | truncated
            if "_final_info" in infos:
                done = np.flatnonzero(infos["_final_info"])
                success += infos["final_info"]["is_success"][done].tolist()
                contacts += infos["final_info"]["contacts"][done].tolist()
    finally:
        env.close()
    return float(np.mean(success)), len(success), float(np.mean(contacts))


# --------------------------------------------------------------------------- random
def test_random_policy_shapes_and_bounds() -> None:
    pol = RandomPolicy(seed=0)
    assert isinstance(pol, Policy) and isinstance(pol, BatchPolicy)
    pol.reset()
    a = pol.act({"lidar": np.zeros(64, np.float32)})
    assert a.shape == (2,) and a.dtype == np.float32
    pol.reset_batch(5)
    b = pol.act_batch({"lidar": np.zeros((5, 64), np.float32)}, np.ones(5, bool))
    assert b.shape == (5, 2) and b.dtype == np.float32
    many = pol.act_batch(None, np.zeros(5, bool))
    for _ in range(200):
        many = np.concatenate([many, pol.act_batch(None, None)])
    assert np.all(many >= -1.0) and np.all(many <= 1.0)
    assert many.min() < -0.9 and many.max() > 0.9  # covers the box
    with pytest.raises(ValueError, match="num_envs"):
        pol.reset_batch(0)


def test_random_policy_batch_size_inferred() -> None:
    pol = RandomPolicy(seed=1)
    assert pol.act_batch({"goal": np.zeros((3, 2))}, None).shape == (3, 2)
    assert pol.act_batch(None, np.zeros(7, bool)).shape == (7, 2)
    with pytest.raises(ValueError, match="reset_batch"):
        pol.act_batch(None, None)


def test_random_policy_deterministic_by_seed() -> None:
    a, b, c = RandomPolicy(seed=7), RandomPolicy(seed=7), RandomPolicy(seed=8)
    seq_a = np.stack([a.act(None) for _ in range(20)])
    seq_b = np.stack([b.act(None) for _ in range(20)])
    seq_c = np.stack([c.act(None) for _ in range(20)])
    np.testing.assert_array_equal(seq_a, seq_b)
    assert not np.array_equal(seq_a, seq_c)
    a.seed(7)  # restarts the stream
    np.testing.assert_array_equal(np.stack([a.act(None) for _ in range(20)]), seq_a)
    a.reset()  # reset does not restart it
    assert not np.array_equal(a.act(None), seq_a[0])
    np.testing.assert_array_equal(
        RandomPolicy(seed=3).act_batch(None, np.ones(4, bool)),
        RandomPolicy(seed=3).act_batch(None, np.ones(4, bool)),
    )


def test_random_policy_rarely_succeeds_on_pointnav() -> None:
    rate, count, _ = _vector_success(
        "smartbot/PointNav-v0", lambda env: RandomPolicy(seed=0), 16, max_steps=150
    )
    assert count >= 16
    assert rate <= 0.25


# --------------------------------------------------------------------------- expert
def test_expert_binds_to_every_door() -> None:
    single = gym.make("smartbot/PointNav-v0", split="test")
    vec = gym.make_vec("smartbot/PointNav-v0", 3, vectorization_mode="vector_entry_point")
    sb3 = make_sb3_env("smartbot/PointNav-v0", 2, seed=0)
    task = make_task("smartbot/CueMaze-v0", 2, {})
    assert ScriptedExpert(single).task is single.unwrapped.task  # type: ignore[attr-defined]
    assert ScriptedExpert(vec).task is vec.unwrapped.task  # type: ignore[attr-defined]
    assert ScriptedExpert(sb3).task is sb3.task
    ex = ScriptedExpert(task)
    assert ex.task is task
    assert isinstance(ex, Policy) and isinstance(ex, BatchPolicy)
    assert isinstance(ex, ExplainablePolicy)
    with pytest.raises(TypeError, match="BatchedTask"):
        ScriptedExpert(object())
    with pytest.raises(ValueError, match="lookahead"):
        ScriptedExpert(task, lookahead=-1.0)
    with pytest.raises(ValueError, match="slot"):
        ScriptedExpert(task, slot=2)
    with pytest.raises(ValueError, match="num_envs"):
        ex.reset_batch(5)
    single.close()
    vec.close()
    sb3.close()


def test_expert_single_env_episode_and_explain() -> None:
    env = gym.make("smartbot/PointNav-v0", split="test")
    expert = ScriptedExpert(env)
    task = env.unwrapped.task  # type: ignore[attr-defined]
    for seed in (0, 1, 2):  # later episodes without expert.reset(): detected by the expert
        obs, info = env.reset(seed=seed)
        if seed == 0:
            expert.reset()
        a = expert.act(obs)
        assert a.shape == (2,) and a.dtype == np.float32
        assert np.all(np.abs(a) <= 1.0)
        e = expert.explain()
        assert e["mode"] == "replan"  # planned for the new episode
        path = e["path"]
        assert path.ndim == 2 and path.shape[1] == 2 and len(path) >= 2
        np.testing.assert_allclose(path[0], task.sim.pose[0, :2])
        np.testing.assert_allclose(path[-1], info["goal"])
        assert e["lookahead"].shape == (2,)
        done = False
        steps = 0
        while not done:
            obs, _, term, trunc, info = env.step(a)
            done = term or trunc
            a = expert.act(obs)
            assert expert.explain()["mode"] in ("follow", "avoid", "replan")
            steps += 1
        assert info["is_success"], f"seed {seed}: failed after {steps} steps"
    env.close()


def test_expert_stops_at_goal_and_replans_when_displaced() -> None:
    env = gym.make("smartbot/PointNav-v0", split="test")
    expert = ScriptedExpert(env)
    obs, _ = env.reset(seed=5)
    expert.reset()
    task = env.unwrapped.task  # type: ignore[attr-defined]
    for _ in range(3):
        obs, *_ = env.step(expert.act(obs))
    assert expert.explain()["mode"] != "replan"
    # displace the robot far from its path: the expert replans from where it is
    grid = task.entries[0].grid
    path = expert.explain()["path"]
    free = np.argwhere(grid.free)
    xy = np.array([grid.to_xy(int(r), int(c)) for r, c in free])
    gaps = np.min(np.hypot(*(xy[:, None, :] - path[None, :, :]).transpose(2, 0, 1)), axis=1)
    far = xy[int(np.argmax(gaps))]
    task.sim.pose[0, :2] = far
    expert.act(obs)
    e = expert.explain()
    assert e["mode"] == "replan" and e["replans"] == 1
    np.testing.assert_allclose(e["path"][0], far)
    # at the goal it stands still
    task.sim.pose[0, :2] = task.goal[0]
    np.testing.assert_array_equal(expert.act(obs), np.zeros(2, np.float32))
    env.close()


def test_expert_sb3_door() -> None:
    venv = make_sb3_env("smartbot/CueMaze-v0", 4, seed=0, corridor_length=2.0)
    expert = ScriptedExpert(venv)
    expert.reset_batch(4)
    obs: Any = venv.reset()
    starts = np.ones(4, dtype=bool)
    wins = 0
    for _ in range(200):
        actions = expert.act_batch(obs, starts)
        assert actions.shape == (4, 2)
        obs, _, dones, infos = venv.step(actions)
        starts = dones
        wins += sum(bool(info.get("is_success", False)) for info in infos)
    assert wins >= 4
    venv.close()


def test_expert_pointnav_success_100_episodes() -> None:
    rate, count, contacts = _vector_success("smartbot/PointNav-v0", ScriptedExpert, 100)
    assert count >= 100
    assert rate >= 0.95, f"expert PointNav success {rate:.2f} over {count} episodes"
    assert contacts < 1.0, f"expert PointNav: {contacts:.2f} contacts per episode"


def test_expert_objectnav_success() -> None:
    rate, count, _ = _vector_success("smartbot/ObjectNav-v0", ScriptedExpert, 20)
    assert rate >= 0.9, f"expert ObjectNav success {rate:.2f} over {count} episodes"


@pytest.mark.slow
def test_expert_objectnav_success_50_episodes() -> None:
    rate, count, _ = _vector_success("smartbot/ObjectNav-v0", ScriptedExpert, 50, seed=1000)
    assert rate >= 0.9, f"expert ObjectNav success {rate:.2f} over {count} episodes"


def test_expert_cuemaze_takes_the_correct_arm() -> None:
    rate, count, _ = _vector_success("smartbot/CueMaze-v0", ScriptedExpert, 16)
    assert rate >= 0.95, f"expert CueMaze success {rate:.2f} over {count} episodes"


def test_expert_objectnav_without_lidar_observation() -> None:
    """ObjectNav observes no lidar by default: the expert casts its own front scan."""
    env = gym.make("smartbot/ObjectNav-v0", split="test")
    assert "lidar" not in env.observation_space.spaces  # type: ignore[attr-defined]
    expert = ScriptedExpert(env)
    obs, _ = env.reset(seed=3)
    expert.reset()
    done = False
    while not done:
        obs, _, term, trunc, info = env.step(expert.act(obs))
        done = term or trunc
    assert info["is_success"]
    env.close()
