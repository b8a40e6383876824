"""Benchmark rows for the tasks: env-steps/s through ``gym.make`` and the vector env.

Each task is timed with random actions (pre-generated, repeating) through the single
env (B = 1, one ``step`` call per env step, including Python and Gymnasium overhead)
and through the native vector env at n = 256 (SAME_STEP autoreset included). The
vector rows name the raw-simulator row with the same sensors as their reference, so
the table shows how much the task layer costs on top of the simulator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from training.bench import BenchConfig, BenchRow, row_provider, time_loop

__all__ = ["env_rows", "TASK_REFERENCES", "VECTOR_N"]

VECTOR_N = 256
#: task id -> the simulator row with the same sensors (for the slowdown ratio)
TASK_REFERENCES = {
    "smartbot/PointNav-v0": "sim/step+lidar64 B=256",
    "smartbot/ObjectNav-v0": "sim/step+camera64 B=256",
    "smartbot/CueMaze-v0": "sim/step+lidar64 B=256",
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


def _vector_runner(env_id: str, n: int, seed: int) -> Any:
    def run(seconds: float) -> tuple[float, float]:
        import gymnasium as gym

        import envs  # noqa: F401

        env = gym.make_vec(env_id, n, vectorization_mode="vector_entry_point")
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        actions = rng.uniform(-1, 1, (64, n, 2)).astype(np.float32)
        actions[..., 0] = np.abs(actions[..., 0])
        # Warm the map cache so the timing sees steady state, as a long training run does.
        for k in range(400):
            env.step(actions[k % 64])
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
        rows.append(
            BenchRow(
                "env",
                f"{short} vector",
                _vector_runner(env_id, n, config.seed),
                units="env-steps/s",
                batch=n,
                reference=TASK_REFERENCES[env_id],
                max_slowdown=1.5,
            )
        )
    return rows
