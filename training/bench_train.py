"""Benchmark rows for training: PPO steps/s on PointNav next to PPO on CartPole-v1.

Both runs use the same PPO settings (16 envs, 128 steps per rollout, batch 512, 5
epochs, the same 128x128 tanh policy and value MLPs straight on the observation, one
torch thread; the simulator on one thread too, as ``smartbot train`` runs them by
default; the shipped PointNav config gives its updates a second, ``update_threads``). CartPole
goes through SB3's ``DummyVecEnv`` as users would run it, PointNav through our batched
SB3 adapter, with every train map and goal field built
first (the steady state of a long run; CartPole has no maps). If PointNav reaches about
CartPole's figure, the simulator is not the bottleneck of training: the network
updates are.

Method: the two rows are timed together, in one process. After a warm-up of each (numba
compiles, torch kernels load), PPO learns one rollout (2,048 env-steps: collection and
update) on CartPole, then one on PointNav, alternating in ABBA order until each has had
about ``seconds`` (at least :data:`MIN_ROLLOUTS`). Each row reports all its timed
env-steps over their total time, episode resets included (PointNav's come in bursts every
300 steps, which a median rollout would leave out). Interleaved, both rows see the same
machine state (other processes, clocks, caches), so their ratio stays steady where rows
timed one after the other drift apart by +-10%. Whichever of the two rows runs first
measures both (also when the other is not selected); the other takes its result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from training.bench import BenchConfig, BenchRow, row_provider

__all__ = ["train_rows", "PPO_SETTINGS", "interleave", "time_ppo"]

PPO_SETTINGS: dict[str, Any] = {
    "n_steps": 128,
    "batch_size": 512,
    "n_epochs": 5,
    "learning_rate": 3e-4,
    "verbose": 0,
    "device": "cpu",
    "seed": 0,
}
N_ENVS = 16
NET = {"net_arch": {"pi": [128, 128], "vf": [128, 128]}}
#: Env-steps per timed chunk: one PPO rollout and its update.
ROLLOUT = N_ENVS * PPO_SETTINGS["n_steps"]
#: Rollouts learned by each model before timing starts.
WARMUP_ROLLOUTS = 4
#: Timed rollouts per row, at the least.
MIN_ROLLOUTS = 3


def interleave(
    chunks: dict[str, Callable[[], None]], seconds: float, min_chunks: int = MIN_ROLLOUTS
) -> dict[str, list[float]]:
    """Time ``chunks[name]()`` calls of every name in turn, ABBA order, and return the
    durations (s) of each name's calls.

    Rounds go on until every name has had ``seconds`` in total and ``min_chunks`` calls.
    """
    names = list(chunks)
    took: dict[str, list[float]] = {name: [] for name in names}
    forward = True
    while any(sum(t) < seconds or len(t) < min_chunks for t in took.values()):
        for name in names if forward else reversed(names):
            start = time.perf_counter()
            chunks[name]()
            took[name].append(time.perf_counter() - start)
        forward = not forward
    return took


def _ppo_model(which: str) -> Any:
    """A PPO model on ``which`` ("cartpole" or "pointnav") with the bench settings."""
    import torch
    from stable_baselines3 import PPO

    if which == "cartpole":
        import gymnasium as gym
        from stable_baselines3.common.env_util import make_vec_env

        env: Any = make_vec_env(lambda: gym.make("CartPole-v1"), n_envs=N_ENVS, seed=0)
        policy, kwargs = "MlpPolicy", {"activation_fn": torch.nn.Tanh, **NET}
    else:
        from envs import make_sb3_env
        from policies.builders import build_policy_kwargs

        env = make_sb3_env("smartbot/PointNav-v0", N_ENVS, seed=0)
        # Steady state of a long run: every train map and goal field already built
        # (a 4.5M-step run builds them in its first minute; CartPole has no maps).
        env.task.prebuild_maps()
        policy = "MultiInputPolicy"
        # Same network as CartPole's: no extractor layers (the scaled observation,
        # bearing as sin/cos, goes straight into the 128x128 policy and value MLPs).
        kwargs = build_policy_kwargs(
            "ppo",
            {
                "extractor": "smartbot",
                "activation": "tanh",
                "extractor_kwargs": {"mlp_hidden": []},
                "net_arch": NET["net_arch"],
            },
        )
    return PPO(policy, env, policy_kwargs=kwargs, **PPO_SETTINGS)


def time_ppo(
    seconds: float, which: Sequence[str] = ("cartpole", "pointnav")
) -> dict[str, list[float]]:
    """Durations (s) of the timed rollouts of PPO on each of ``which``, interleaved."""
    import torch

    from robot.sim import sim_threads

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with sim_threads(1):
            models = {name: _ppo_model(name) for name in which}
            for model in models.values():
                model.learn(WARMUP_ROLLOUTS * ROLLOUT)  # numba, torch kernels, first episodes

            def chunk(model: Any) -> Callable[[], None]:
                return lambda: model.learn(ROLLOUT, reset_num_timesteps=False)

            return interleave({name: chunk(m) for name, m in models.items()}, seconds)
    finally:
        torch.set_num_threads(threads)


class _PairedRuns:
    """The ``run`` of both train rows: the first to run times both, the other reads it."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[float, float]] = {}  # name -> (env-steps, s)

    def runner(self, which: str) -> Callable[[float], tuple[float, float]]:
        def run(seconds: float) -> tuple[float, float]:
            if which not in self._pending:
                took = time_ppo(seconds)
                self._pending = {name: (ROLLOUT * len(t), sum(t)) for name, t in took.items()}
            return self._pending.pop(which)

        return run


@row_provider
def train_rows(config: BenchConfig) -> list[BenchRow]:
    """PPO training steps/s: CartPole-v1 (reference) and PointNav-v0, timed interleaved."""
    pair = _PairedRuns()
    return [
        BenchRow(
            "train",
            "PPO CartPole-v1",
            pair.runner("cartpole"),
            units="env-steps/s",
            batch=N_ENVS,
            robot_steps_per_unit=None,
        ),
        BenchRow(
            "train",
            "PPO PointNav-v0",
            pair.runner("pointnav"),
            units="env-steps/s",
            batch=N_ENVS,
            robot_steps_per_unit=None,
            reference=f"train/PPO CartPole-v1 B={N_ENVS}",
            max_slowdown=1 / 0.9,
        ),
    ]
