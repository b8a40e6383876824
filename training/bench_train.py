"""Benchmark rows for training: PPO steps/s on PointNav next to PPO on CartPole-v1.

Both runs use the same PPO settings (16 envs, 128 steps per rollout, batch 512, 5
epochs, the same 128x128 tanh policy and value MLPs straight on the observation, one
torch thread); CartPole goes through SB3's
``DummyVecEnv`` as users would run it, PointNav through our batched SB3 adapter. If
PointNav reaches about CartPole's figure, the simulator is not the bottleneck of
training: the network updates are.
"""

from __future__ import annotations

import time
from typing import Any

from training.bench import BenchConfig, BenchRow, row_provider

__all__ = ["train_rows", "PPO_SETTINGS"]

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


def _ppo_runner(which: str) -> Any:
    def run(seconds: float) -> tuple[float, float]:
        import torch
        from stable_baselines3 import PPO

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
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
            model = PPO(policy, env, policy_kwargs=kwargs, **PPO_SETTINGS)
            rollout = N_ENVS * PPO_SETTINGS["n_steps"]
            model.learn(4 * rollout)  # warm-up: numba, map cache, torch kernels
            done = 0
            start = time.perf_counter()
            while time.perf_counter() - start < seconds:
                model.learn(rollout, reset_num_timesteps=False)
                done += rollout
            return float(done), time.perf_counter() - start
        finally:
            torch.set_num_threads(threads)

    return run


@row_provider
def train_rows(config: BenchConfig) -> list[BenchRow]:
    """PPO training steps/s: CartPole-v1 (reference) and PointNav-v0."""
    return [
        BenchRow(
            "train",
            "PPO CartPole-v1",
            _ppo_runner("cartpole"),
            units="env-steps/s",
            batch=N_ENVS,
            robot_steps_per_unit=None,
        ),
        BenchRow(
            "train",
            "PPO PointNav-v0",
            _ppo_runner("pointnav"),
            units="env-steps/s",
            batch=N_ENVS,
            robot_steps_per_unit=None,
            reference=f"train/PPO CartPole-v1 B={N_ENVS}",
            max_slowdown=1 / 0.9,
        ),
    ]
