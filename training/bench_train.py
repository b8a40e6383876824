"""Benchmark rows for training: PPO steps/s on PointNav next to PPO on CartPole-v1.

All rows use the same PPO settings (16 envs, 128 steps per rollout, batch 512, 5 epochs,
the same 128x128 tanh policy and value MLPs straight on the observation, one torch
thread; the simulator on one thread too, as ``smartbot train`` runs them by default; the
shipped PointNav config gives its updates a second, ``update_threads``). Each env is
trained the way its users train it:

* ``PPO CartPole-v1``: SB3's ``MlpPolicy`` and rollout buffer over SB3's ``DummyVecEnv``.
* ``PPO PointNav-v0``: as ``smartbot train`` runs PPO: our batched SB3 adapter, our policy
  class (:class:`policies.actor_critic.SmartbotActorCriticPolicy`; without
  ``squash_mean`` it is SB3's policy to the bit, with shorter forward and
  ``evaluate_actions`` paths) and rollout buffer
  (:class:`training.rollout_buffer.LeanDictRolloutBuffer`, SB3's samples to the bit). The
  target: at least 90% of CartPole's steps/s.
* ``PPO PointNav-v0 sb3-stock``: the same env with SB3's own
  ``MultiInputActorCriticPolicy`` and ``DictRolloutBuffer``, for comparison (no target):
  the cost of SB3's Dict-observation and Gaussian-action machinery, which CartPole's
  Box observation and Discrete action do not pay.

Every train map and goal field of PointNav is built first (the steady state of a long
run; CartPole has no maps). If PointNav reaches about CartPole's figure, the simulator is
not the bottleneck of training: the network updates are.

Method: the rows are timed together, in one process. After a warm-up of each (numba
compiles, torch kernels load), PPO learns one rollout (2,048 env-steps: collection and
update) on each model in turn, in ABBA order (a b c, c b a, ...), until each has had
about ``seconds`` (at least :data:`MIN_ROLLOUTS`). Each row reports all its timed
env-steps over their total time, episode resets included (PointNav's come in bursts every
300 steps, which a median rollout would leave out). Interleaved, the rows see the same
machine state (other processes, clocks, caches), so their ratios stay steady where rows
timed one after the other drift apart by +-10%. Whichever row runs first measures them
all (also when the others are not selected); the others take their results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from training.bench import BenchConfig, BenchRow, row_provider

__all__ = ["train_rows", "PPO_SETTINGS", "MODELS", "interleave", "time_ppo"]

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


#: The models the rows time, by key: each row's name. CartPole is the reference.
MODELS: dict[str, str] = {
    "cartpole": "PPO CartPole-v1",
    "pointnav": "PPO PointNav-v0",
    "pointnav_sb3": "PPO PointNav-v0 sb3-stock",
}


def _ppo_model(which: str) -> Any:
    """A PPO model on ``which`` (a key of :data:`MODELS`) with the bench settings."""
    import torch
    from stable_baselines3 import PPO

    if which == "cartpole":
        import gymnasium as gym
        from stable_baselines3.common.env_util import make_vec_env

        env: Any = make_vec_env(lambda: gym.make("CartPole-v1"), n_envs=N_ENVS, seed=0)
        kwargs = {"activation_fn": torch.nn.Tanh, **NET}
        return PPO("MlpPolicy", env, policy_kwargs=kwargs, **PPO_SETTINGS)

    from envs import make_sb3_env
    from policies.builders import build_policy_kwargs, policy_class
    from training.train import _algo_kwargs

    env = make_sb3_env("smartbot/PointNav-v0", N_ENVS, seed=0)
    # Steady state of a long run: every train map and goal field already built
    # (a 4.5M-step run builds them in its first minute; CartPole has no maps).
    env.task.prebuild_maps()
    # Same network as CartPole's: no extractor layers (the scaled observation, bearing
    # as sin/cos, goes straight into the 128x128 policy and value MLPs).
    cfg = {
        "extractor": "smartbot",
        "activation": "tanh",
        "extractor_kwargs": {"mlp_hidden": []},
        "net_arch": NET["net_arch"],
    }
    kwargs = build_policy_kwargs("ppo", cfg)
    if which == "pointnav_sb3":
        return PPO("MultiInputPolicy", env, policy_kwargs=kwargs, **PPO_SETTINGS)
    # The policy class and the algorithm's arguments (its rollout buffer) that
    # ``smartbot train`` gives PPO.
    ours = _algo_kwargs({"algo": "ppo", "algo_kwargs": PPO_SETTINGS})
    return PPO(policy_class("ppo", cfg), env, policy_kwargs=kwargs, **ours)


def time_ppo(seconds: float, which: Sequence[str] = tuple(MODELS)) -> dict[str, list[float]]:
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
    """The ``run`` of the train rows: the first to run times them all, the others read it."""

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
    reference = f"train/{MODELS['cartpole']} B={N_ENVS}"
    return [
        BenchRow(
            "train",
            name,
            pair.runner(which),
            units="env-steps/s",
            batch=N_ENVS,
            robot_steps_per_unit=None,
            reference=None if which == "cartpole" else reference,
            max_slowdown=1 / 0.9 if which == "pointnav" else None,
        )
        for which, name in MODELS.items()
    ]
