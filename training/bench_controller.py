"""Benchmark rows for driving: controller step latency and viewer frames/s.

* Latency, observation to action, of the MLP (PointNav) and the CNN (ObjectNav)
  policies on one CPU thread, as the controller measures it (``SB3Policy.act`` on one
  unbatched observation): p50 and p99 in milliseconds. Untrained networks of the
  shipped architectures: weights do not change the cost.
* Viewer frames/s at 960x720, off-screen, while the CNN policy drives ObjectNav.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from training.bench import BenchConfig, BenchRow, row_provider

__all__ = ["controller_rows"]


def _policy(env_id: str) -> tuple[Any, Any]:
    import gymnasium as gym

    import envs  # noqa: F401
    from policies.builders import build_policy_network, task_mirror
    from policies.sb3_policy import SB3Policy
    from training.config import resolve_config

    cfg = resolve_config(env_id, "ppo")
    env = gym.make(env_id)
    mirror = task_mirror(cfg["policy"], env_id, cfg["env_kwargs"], env.observation_space)
    net = build_policy_network(
        "ppo", env.observation_space, env.action_space, cfg["policy"], mirror=mirror
    )
    return env, SB3Policy(net, deterministic=True)


def _latency_runner(env_id: str) -> Any:
    def run(seconds: float) -> tuple[float, float]:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            env, policy = _policy(env_id)
            obs, _ = env.reset(seed=0)
            policy.reset()
            lat: list[float] = []
            for _ in range(20):  # warm-up
                policy.act(obs)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end or len(lat) < 200:
                t0 = time.perf_counter()
                action = policy.act(obs)
                lat.append(time.perf_counter() - t0)
                obs, _, term, trunc, _ = env.step(action)
                if term or trunc:
                    obs, _ = env.reset()
                    policy.reset()
            ms = np.array(lat) * 1e3
            return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
        finally:
            torch.set_num_threads(threads)

    return run


def _viewer_runner() -> Any:
    def run(seconds: float) -> tuple[float, float]:
        import os

        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        import torch

        from envs.view import view_state
        from robot.viewer import Viewer

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            env, policy = _policy("smartbot/ObjectNav-v0")
            viewer = Viewer(960, 720, headless=True)
            obs, _ = env.reset(seed=0)
            policy.reset()

            def tick() -> None:
                nonlocal obs
                obs, _, term, trunc, _ = env.step(policy.act(obs))
                if term or trunc:
                    obs, _ = env.reset()
                    policy.reset()
                viewer.draw(view_state(env))

            for _ in range(5):
                tick()
            frames = 0
            start = time.perf_counter()
            while time.perf_counter() - start < seconds:
                tick()
                frames += 1
            took = time.perf_counter() - start
            viewer.close()
            return float(frames), took
        finally:
            torch.set_num_threads(threads)

    return run


@row_provider
def controller_rows(config: BenchConfig) -> list[BenchRow]:
    """Policy latency (MLP, CNN) and viewer frames/s."""
    return [
        BenchRow(
            "control",
            "latency MLP policy (PointNav)",
            _latency_runner("smartbot/PointNav-v0"),
            units="ms",
            batch=1,
            target=1.0,
            latency=True,
            robot_steps_per_unit=None,
        ),
        BenchRow(
            "control",
            "latency CNN policy (ObjectNav)",
            _latency_runner("smartbot/ObjectNav-v0"),
            units="ms",
            batch=1,
            target=5.0,
            latency=True,
            robot_steps_per_unit=None,
        ),
        BenchRow(
            "viewer",
            "960x720 frames, CNN policy driving",
            _viewer_runner(),
            units="frames/s",
            batch=1,
            target=60.0,
            robot_steps_per_unit=None,
        ),
    ]
