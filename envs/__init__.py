"""Tasks as Gymnasium environments, through three doors over one batched task code.

* ``gym.make("smartbot/PointNav-v0")``: the single env (:class:`envs.single.SmartbotEnv`);
* ``gym.make_vec(id, n, vectorization_mode="vector_entry_point")``: the native batched
  :class:`envs.vector.SmartbotVectorEnv` (SAME_STEP autoreset);
* :func:`make_sb3_env` ``(id, n_envs, seed=...)``: the stable-baselines3 ``VecEnv``.

Importing :mod:`envs` registers the ids ``smartbot/PointNav-v0``,
``smartbot/ObjectNav-v0`` and ``smartbot/CueMaze-v0``.
"""

from __future__ import annotations

import gymnasium as gym

from envs.sb3 import SB3VecEnv, make_sb3_env
from envs.tasks import TASK_IDS, make_task, task_class

__all__ = ["TASK_IDS", "make_sb3_env", "SB3VecEnv", "make_task", "task_class", "register_envs"]


def register_envs() -> None:
    """Register every smartbot task with Gymnasium (idempotent)."""
    for env_id in TASK_IDS:
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point="envs.single:SmartbotEnv",
            vector_entry_point="envs.vector:SmartbotVectorEnv",
            kwargs={"task": env_id},
            disable_env_checker=False,
        )


register_envs()
