"""The registry of task classes by Gymnasium id."""

from __future__ import annotations

from envs.task import BatchedTask

__all__ = ["task_class", "TASK_IDS"]

TASK_IDS: tuple[str, ...] = (
    "smartbot/PointNav-v0",
    "smartbot/ObjectNav-v0",
    "smartbot/CueMaze-v0",
)


def task_class(env_id: str) -> type[BatchedTask]:
    """The :class:`BatchedTask` subclass of a task id (``smartbot/`` prefix optional)."""
    name = env_id if env_id.startswith("smartbot/") else f"smartbot/{env_id}"
    if name == "smartbot/PointNav-v0":
        from envs.pointnav import PointNavTask

        return PointNavTask
    if name == "smartbot/ObjectNav-v0":
        from envs.objectnav import ObjectNavTask

        return ObjectNavTask
    if name == "smartbot/CueMaze-v0":
        from envs.cuemaze import CueMazeTask

        return CueMazeTask
    raise ValueError(f"env id: {env_id!r} is not a smartbot task; allowed: {', '.join(TASK_IDS)}")


def make_task(env_id: str, num_envs: int, kwargs: dict[str, object]) -> BatchedTask:
    """Build a batched task from an id and ``gym.make``-style keyword arguments (validated)."""
    cls = task_class(env_id)
    config = cls.config_cls.from_dict(kwargs)
    return cls(num_envs, config)
