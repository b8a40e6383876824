"""Top-down frames of a task's slots (``render_mode="rgb_array"``/``"human"``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from envs.task import BatchedTask
from robot.lidar import beam_angles
from robot.topdown import TopDownRenderer

__all__ = ["render_slot"]


def renderer_for(task: BatchedTask, i: int) -> TopDownRenderer:
    """The (cached) top-down renderer of slot ``i``'s current world."""
    cache: dict[int, TopDownRenderer] = task.__dict__.setdefault("_renderers", {})
    world = task.sim.worlds[i]
    assert world is not None
    r = cache.get(id(world))
    if r is None or r.world is not world:
        if len(cache) > 64:
            cache.clear()
        r = TopDownRenderer(world)
        cache[id(world)] = r
    return r


def render_slot(task: BatchedTask, i: int) -> NDArray[np.uint8]:
    """(H, W, 3) uint8 top-down view of slot ``i``: terrain, walls, objects, robot,
    heading, trail, lidar rays and the goal."""
    spec = task.config.sim
    if "lidar" in task.obs:
        ranges = task.obs["lidar"][i]
    else:
        ranges = task.sim.lidar(indices=[i])[i]
    target = getattr(task, "target_colour", None)
    return renderer_for(task, i).render(
        task.sim.pose[i],
        trail=np.asarray(task.trails[i]) if len(task.trails[i]) > 1 else None,
        lidar_ranges=ranges,
        lidar_angles=beam_angles(spec.lidar),
        lidar_max_range=spec.lidar.max_range,
        goal=task.goal[i],
        goal_radius=task.config.success_radius,
        target_colour=int(target[i]) if target is not None else None,
        robot_radius=spec.robot.radius,
        bumper=bool(task.sim.bumper[i]),
    )
