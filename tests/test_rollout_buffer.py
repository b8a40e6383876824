"""LeanDictRolloutBuffer: the same samples as SB3's DictRolloutBuffer, and the same training."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.buffers import DictRolloutBuffer

from envs import make_sb3_env
from training.config import resolve_config
from training.rollout_buffer import LeanDictRolloutBuffer
from training.train import _algo_kwargs

OBS = spaces.Dict(
    {
        "camera": spaces.Box(0, 255, (3, 8, 8), np.uint8),
        "lidar": spaces.Box(0.0, 6.0, (5,), np.float32),
        "room": spaces.Discrete(4),
    }
)


def _fill(buffer: DictRolloutBuffer, data: list[dict[str, Any]]) -> None:
    for step in data:
        buffer.add(
            step["obs"],
            step["action"],
            step["reward"],
            step["start"],
            step["value"],
            step["log_prob"],
        )
    buffer.compute_returns_and_advantage(
        last_values=torch.ones(buffer.n_envs, 1), dones=np.zeros(buffer.n_envs, bool)
    )


def _steps(n_steps: int, n_envs: int, action_space: spaces.Space[Any], seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    action_space.seed(seed)
    return [
        {
            "obs": {
                "camera": rng.integers(0, 256, (n_envs, 3, 8, 8), dtype=np.uint8),
                "lidar": rng.uniform(0, 6, (n_envs, 5)).astype(np.float32),
                "room": rng.integers(0, 4, n_envs),
            },
            "action": np.stack([action_space.sample() for _ in range(n_envs)]),
            "reward": rng.normal(size=n_envs).astype(np.float32),
            "start": rng.uniform(size=n_envs) < 0.1,
            "value": torch.as_tensor(rng.normal(size=(n_envs, 1)), dtype=torch.float32),
            "log_prob": torch.as_tensor(rng.normal(size=n_envs), dtype=torch.float32),
        }
        for _ in range(n_steps)
    ]


@pytest.mark.parametrize(
    "action_space",
    [spaces.Box(-1.0, 1.0, (2,), np.float32), spaces.Discrete(3)],
    ids=["box", "discrete"],
)
@pytest.mark.parametrize("batch_size", [None, 7, 16])
def test_minibatches_equal_sb3s(action_space: spaces.Space[Any], batch_size: int | None) -> None:
    n_steps, n_envs = 8, 4
    data = _steps(n_steps, n_envs, action_space, seed=3)
    ours = LeanDictRolloutBuffer(n_steps, OBS, action_space, "cpu", 0.95, 0.99, n_envs)
    sb3 = DictRolloutBuffer(n_steps, OBS, action_space, "cpu", 0.95, 0.99, n_envs)
    for b in (ours, sb3):
        _fill(b, data)
    for key in OBS.spaces:
        np.testing.assert_array_equal(ours.observations[key], sb3.observations[key])
    for name in ("actions", "rewards", "values", "log_probs", "advantages", "returns"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(sb3, name))
    for _ in range(2):  # the second pass reuses the tensors of the first
        np.random.seed(11)  # noqa: NPY002  (SB3 draws from NumPy's global generator)
        mine = list(ours.get(batch_size))
        np.random.seed(11)  # noqa: NPY002
        theirs = list(sb3.get(batch_size))
        assert len(mine) == len(theirs) == -(-n_steps * n_envs // (batch_size or 10**9))
        for a, b in zip(mine, theirs, strict=True):
            for key in OBS.spaces:
                x, y = a.observations[key], b.observations[key]  # type: ignore[index]
                assert x.dtype == y.dtype and x.shape == y.shape and torch.equal(x, y), key
            for field in ("actions", "old_values", "old_log_prob", "advantages", "returns"):
                x, y = getattr(a, field), getattr(b, field)
                assert x.dtype == y.dtype and x.shape == y.shape and torch.equal(x, y), field
    # SB3 reads these after the update (explained variance): flattened as SB3 leaves them
    np.testing.assert_array_equal(ours.values, sb3.values)
    np.testing.assert_array_equal(ours.returns, sb3.returns)


def test_reset_starts_a_fresh_rollout() -> None:
    space = spaces.Box(-1.0, 1.0, (2,), np.float32)
    buffer = LeanDictRolloutBuffer(4, OBS, space, "cpu", 0.95, 0.99, 2)
    _fill(buffer, _steps(4, 2, space, seed=0))
    first = next(buffer.get(8))
    buffer.reset()
    assert buffer.pos == 0 and not buffer.full
    with pytest.raises(AssertionError, match="not full"):
        next(buffer.get(8))
    _fill(buffer, _steps(4, 2, space, seed=1))
    second = next(buffer.get(8))
    assert not torch.equal(first.observations["lidar"], second.observations["lidar"])  # type: ignore[index]


def _params(model: Any) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.policy.parameters()]


@pytest.mark.parametrize("algo", [PPO, A2C], ids=["ppo", "a2c"])
def test_training_learns_the_same_weights_as_with_sb3s_buffer(algo: Any) -> None:
    kwargs: dict[str, Any] = {"n_steps": 16, "seed": 0, "device": "cpu"}
    if algo is PPO:
        kwargs.update(batch_size=32, n_epochs=2)
    weights = []
    for buffer_class in (LeanDictRolloutBuffer, DictRolloutBuffer):
        env = make_sb3_env("smartbot/PointNav-v0", 4, seed=0)
        model = algo("MultiInputPolicy", env, rollout_buffer_class=buffer_class, **kwargs)
        assert type(model.rollout_buffer) is buffer_class
        model.learn(3 * 16 * 4)
        weights.append(_params(model))
    assert all(torch.equal(a, b) for a, b in zip(*weights, strict=True))


@pytest.mark.parametrize("algo", ["ppo", "a2c", "sac", "recurrent_ppo"])
def test_training_picks_the_lean_buffer_for_ppo_and_a2c(algo: str) -> None:
    kwargs = _algo_kwargs(resolve_config("smartbot/PointNav-v0", algo))
    if algo in ("ppo", "a2c"):
        assert kwargs["rollout_buffer_class"] is LeanDictRolloutBuffer
    else:
        assert "rollout_buffer_class" not in kwargs
