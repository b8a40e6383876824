"""Stock stable-baselines3 agents run on every smartbot task through the SB3 adapter.

The fast tests check that PPO (``MultiInputPolicy``: MLP for vectors, NatureCNN for the
64x64 camera) and DQN (on :class:`envs.wrappers.DiscreteActions`) train for a few hundred
steps, log, and predict. The ``slow`` test trains PPO on PointNav for 100k steps and
checks that it beats the random policy on ``val`` maps (run with ``pytest -m slow``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from numpy.typing import NDArray
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.logger import configure
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

import envs  # noqa: F401  (registers the ids)
from envs import TASK_IDS, make_sb3_env
from envs.sb3 import SB3VecEnv
from envs.wrappers import DiscreteActions

POINTNAV, OBJECTNAV, CUEMAZE = TASK_IDS


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Keep torch to one thread: the tests share a small machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _progress(folder: Path) -> list[dict[str, str]]:
    with open(folder / "progress.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("env_id", TASK_IDS)
def test_ppo_learns_a_few_steps_and_logs(env_id: str, tmp_path: Path) -> None:
    env = make_sb3_env(env_id, 4, seed=0, max_steps=40)  # short episodes: success is logged
    model = PPO(
        "MultiInputPolicy", env, n_steps=64, batch_size=64, n_epochs=2, seed=0, device="cpu"
    )
    model.set_logger(configure(str(tmp_path), ["csv"]))
    out = model.learn(total_timesteps=512)
    assert out is model
    assert model.num_timesteps == 512
    rows = _progress(tmp_path)
    assert len(rows) == 2  # one row per rollout of 4 x 64 steps
    assert int(rows[-1]["time/total_timesteps"]) == 512
    assert np.isfinite(float(rows[-1]["train/loss"]))  # the first update was logged
    assert 0.0 <= float(rows[-1]["rollout/success_rate"]) <= 1.0  # from info["is_success"]
    obs = env.reset()
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == (4, 2) and np.all(np.abs(action) <= 1.0)
    env.step(action)
    single = gym.make(env_id)
    o, _ = single.reset(seed=1)
    a, _ = model.predict(o, deterministic=True)
    assert a.shape == (2,)
    single.step(a)


def test_ppo_with_vec_monitor_logs_episode_returns(tmp_path: Path) -> None:
    env = VecMonitor(make_sb3_env(POINTNAV, 4, seed=0, max_steps=30))
    model = PPO(
        "MultiInputPolicy", env, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu"
    )
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(total_timesteps=256)
    row = _progress(tmp_path)[-1]
    assert np.isfinite(float(row["rollout/ep_rew_mean"]))
    assert float(row["rollout/ep_len_mean"]) == 30.0


def test_dqn_on_discrete_actions(tmp_path: Path) -> None:
    env = DummyVecEnv([lambda: DiscreteActions(gym.make(POINTNAV, max_steps=50))] * 2)
    model = DQN(
        "MultiInputPolicy",
        env,
        learning_starts=64,
        buffer_size=2_000,
        batch_size=32,
        train_freq=4,
        seed=0,
        device="cpu",
    )
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(total_timesteps=300)
    obs: Any = env.reset()
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == (2,) and all(0 <= int(a) < 7 for a in action)


# ------------------------------------------------------------------ slow: PPO beats random
Policy = Callable[[dict[str, NDArray[Any]]], NDArray[np.float32]]


def evaluate(policy: Policy, episodes_per_slot: int = 5, n_envs: int = 10) -> float:
    """Success rate over ``n_envs * episodes_per_slot`` episodes on ``val`` maps.

    Slot i is seeded 10_000 + i, so every policy meets the same episodes; each slot counts
    exactly its first ``episodes_per_slot`` episodes (no bias toward short episodes).
    """
    env: SB3VecEnv = make_sb3_env(POINTNAV, n_envs, seed=10_000, split="val")
    obs: Any = env.reset()
    done_count = np.zeros(n_envs, dtype=np.int64)
    successes = 0
    while (done_count < episodes_per_slot).any():
        obs, _, dones, infos = env.step(policy(obs))
        for i in np.flatnonzero(dones):
            if done_count[i] < episodes_per_slot:
                successes += int(infos[i]["is_success"])
            done_count[i] += 1
    return successes / (n_envs * episodes_per_slot)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_ppo_beats_random_on_pointnav() -> None:
    torch.set_num_threads(2)
    env = make_sb3_env(POINTNAV, 16, seed=0)
    model = PPO(
        "MultiInputPolicy",
        env,
        n_steps=128,
        batch_size=256,
        n_epochs=5,
        learning_rate=3e-4,
        gamma=0.99,
        gae_lambda=0.95,
        ent_coef=0.0,
        seed=0,
        device="cpu",
        verbose=0,
    )
    model.learn(total_timesteps=100_000)

    rng = np.random.default_rng(0)

    def random_policy(obs: dict[str, NDArray[Any]]) -> NDArray[np.float32]:
        return rng.uniform(-1.0, 1.0, (len(obs["goal"]), 2)).astype(np.float32)

    def ppo_policy(obs: dict[str, NDArray[Any]]) -> NDArray[np.float32]:
        action, _ = model.predict(obs, deterministic=True)
        return np.asarray(action, dtype=np.float32)

    random_success = evaluate(random_policy)
    ppo_success = evaluate(ppo_policy)
    print(
        f"PointNav val success over 50 episodes: PPO {ppo_success:.2f}, random {random_success:.2f}"
    )
    assert ppo_success >= random_success + 0.2
