"""Benchmark rows for the tasks: env-steps/s through ``gym.make`` and the vector env.

Each task is timed with random actions (pre-generated, repeating) through the single
env (B = 1, one ``step`` call per env step, including Python and Gymnasium overhead)
and through the native vector env at n = 256 (SAME_STEP autoreset included). Each
vector row's reference is the same env's own simulator (same worlds, same sensors, same
actions) stepped without the task layer, so the table shows what the task layer
(observations, rewards, geodesic look-ups, resets, infos) costs on top of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from training.bench import BenchConfig, BenchRow, row_provider, time_loop

__all__ = ["env_rows", "TASK_SENSORS", "VECTOR_N"]

VECTOR_N = 256
#: task id -> the sensors its default observation reads from the simulator
TASK_SENSORS = {
    "smartbot/PointNav-v0": ("lidar",),
    "smartbot/ObjectNav-v0": ("camera",),
    "smartbot/CueMaze-v0": ("lidar",),
}


def _single_runner(env_id: str, seed: int) -> Any:
    def run(seconds: float) -> tuple[float, float]:
        import gymnasium as gym

        import envs  # noqa: F401  (registers the ids)

        env = gym.make(env_id)
        env.reset(seed=seed)
        actions = np.random.default_rng(seed).uniform(-1, 1, (256, 2)).astype(np.float32)
        actions[:, 0] = np.abs(actions[:, 0])
        t = 0

        def tick() -> float:
            nonlocal t
            _, _, term, trunc, _ = env.step(actions[t % 256])
            t += 1
            if term or trunc:
                env.reset()
            return 1.0

        out = time_loop(tick, seconds, warmup=50)
        env.close()
        return out

    return run


def _warm_vector_env(env_id: str, n: int, seed: int) -> tuple[Any, Any]:
    import gymnasium as gym

    import envs  # noqa: F401

    env = gym.make_vec(env_id, n, vectorization_mode="vector_entry_point")
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1, 1, (64, n, 2)).astype(np.float32)
    actions[..., 0] = np.abs(actions[..., 0])
    # Warm the map cache (worlds and goal distance fields, built once per map and goal)
    # so the timing sees the steady state of a long training run.
    for k in range(64 if n < 256 else 1500):
        env.step(actions[k % 64])
    return env, actions


def _raw_runner(env_id: str, n: int, seed: int) -> Any:
    """The task's own simulator (its worlds, its sensors), stepped without the task layer."""

    def run(seconds: float) -> tuple[float, float]:
        env, actions = _warm_vector_env(env_id, n, seed)
        sim = env.unwrapped.task.sim
        obs = env.unwrapped.task.obs
        sensors = TASK_SENSORS[env_id]
        t = 0

        def tick() -> float:
            nonlocal t
            sim.step(actions[t % 64])
            t += 1
            if "lidar" in sensors:
                sim.lidar(out=obs["lidar"])
            if "camera" in sensors:
                sim.camera(out=obs["camera"])
            return float(n)

        out = time_loop(tick, seconds, warmup=5)
        env.close()
        return out

    return run


def _vector_runner(env_id: str, n: int, seed: int) -> Any:
    def run(seconds: float) -> tuple[float, float]:
        env, actions = _warm_vector_env(env_id, n, seed)
        t = 0

        def tick() -> float:
            nonlocal t
            env.step(actions[t % 64])
            t += 1
            return float(n)

        out = time_loop(tick, seconds, warmup=5)
        env.close()
        return out

    return run


@row_provider
def env_rows(config: BenchConfig) -> list[BenchRow]:
    """gym.make (B=1) and vector env (n=256) env-steps/s for each task."""
    from envs.tasks import TASK_IDS

    rows = []
    n = 32 if config.quick else VECTOR_N
    for env_id in TASK_IDS:
        short = env_id.split("/")[1]
        rows.append(
            BenchRow(
                "env",
                f"{short} gym.make",
                _single_runner(env_id, config.seed),
                units="env-steps/s",
                batch=1,
            )
        )
        raw = BenchRow(
            "env",
            f"{short} raw sim, same worlds+sensors",
            _raw_runner(env_id, n, config.seed),
            units="robot-steps/s",
            batch=n,
        )
        rows.append(raw)
        rows.append(
            BenchRow(
                "env",
                f"{short} vector",
                _vector_runner(env_id, n, config.seed),
                units="env-steps/s",
                batch=n,
                reference=raw.label,
                max_slowdown=1.5,
            )
        )
    return rows
