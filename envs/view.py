"""The bridge between a smartbot env and the viewer/controller in :mod:`robot`.

:mod:`robot.viewer` and :mod:`robot.controller` know nothing about tasks; this is the one
place that knows both sides:

* :func:`view_state` builds a :class:`robot.view_state.ViewState` from a smartbot env;
* :func:`safety_layer` builds a :class:`robot.controller.SafetyLayer` with the env's lidar
  geometry and robot limits.

Example::

    env = gym.make("smartbot/PointNav-v0")
    run_viewer(env, ScriptedExpert(env), view_state, safety=safety_layer(env))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.task import BatchedTask
from robot.controller import SafetyLayer
from robot.lidar import beam_angles
from robot.view_state import ViewState
from robot.world import TARGET_NAMES

__all__ = ["task_of", "view_state", "safety_layer"]


def task_of(env: Any) -> BatchedTask:
    """The :class:`envs.task.BatchedTask` behind a single smartbot env (through wrappers)."""
    task = getattr(getattr(env, "unwrapped", env), "task", None)
    if not isinstance(task, BatchedTask):
        raise TypeError(
            f"env: {type(env).__name__} is not a smartbot env; pass gym.make('smartbot/<Task>-v0')"
        )
    if task.num_envs != 1:
        raise ValueError(f"env: expected a single env (num_envs 1), got {task.num_envs}")
    return task


def view_state(env: Any, *, camera: bool = True) -> ViewState:
    """A snapshot of slot 0 of a smartbot env for the viewer.

    Args:
        env: a single smartbot env (``gym.make("smartbot/...")``, wrapped or not), reset.
        camera: include the egocentric camera frame even when the task does not observe
            it (rendered from the simulator; reading a sensor does not change the episode).

    Returns:
        A :class:`ViewState`; its run counters (``episode``, ``episodes_done``,
        ``successes``, ``episodes_with_contact``) are the task's own: the caller that runs
        the episodes (the viewer loop) overwrites them with its counts.

    Trails are kept from the first call on (``task.keep_trails``), as with a render mode.
    """
    task = task_of(env)
    task.keep_trails = True
    cfg = task.config
    spec = cfg.sim
    sim = task.sim
    world = sim.worlds[0]
    if "lidar" in task.obs:
        ranges = task.obs["lidar"][0].copy()
    else:
        ranges = sim.lidar(indices=[0])[0].copy()
    cam = None
    if "camera" in task.obs:
        cam = task.obs["camera"][0].copy()
    elif camera and world is not None:
        cam = sim.camera(indices=[0])[0].copy()
    extra: dict[str, Any] = {}
    target = getattr(task, "target_colour", None)
    target_colour = int(target[0]) if target is not None else None
    if target_colour is not None and 0 <= target_colour < len(TARGET_NAMES):
        extra["target"] = TARGET_NAMES[target_colour]
    cue = getattr(task, "cue", None)
    if cue is not None:
        extra["cue"] = TARGET_NAMES[int(cue[0])]
    trail = task.trails[0]
    success_radius = cfg.success_radius
    if target_colour is not None:  # ObjectNav: success is measured from the target's edge
        size = getattr(task, "target_size", np.zeros(1))
        success_radius = float(size[0] + spec.robot.radius + cfg.success_radius)
    return ViewState(
        world=world,
        pose=sim.pose[0].copy(),
        trail=np.asarray(trail, dtype=np.float64) if len(trail) > 1 else None,
        lidar_ranges=ranges,
        lidar_angles=beam_angles(spec.lidar),
        lidar_max_range=float(spec.lidar.max_range),
        camera=cam,
        goal=task.goal[0].copy(),
        goal_radius=float(success_radius),
        target_colour=target_colour,
        robot_radius=float(spec.robot.radius),
        bumper=bool(sim.bumper[0]),
        task=type(task).task_id,
        episode=max(int(task.episode[0]), 0),
        step=int(task.ep_steps[0]),
        max_steps=int(cfg.max_steps),
        episode_return=float(task.ep_return[0]),
        success=bool(task.success[0]),
        contacts=int(sim.contacts[0]),
        extra=extra,
    )


def safety_layer(env: Any, **overrides: Any) -> SafetyLayer:
    """A :class:`SafetyLayer` for a smartbot env: its lidar beams, robot radius, speed,
    acceleration and control period.

    When the task does not observe the lidar (ObjectNav's default), the layer reads a
    lidar scan from the simulator instead (a safety sensor the policy does not see).

    Args:
        env: a single smartbot env.
        **overrides: any other :class:`SafetyLayer` argument (``stop_distance``, ...).
    """
    task = task_of(env)
    spec = task.config.sim
    kwargs: dict[str, Any] = {
        "lidar_angles": beam_angles(spec.lidar),
        "robot_radius": spec.robot.radius,
        "max_speed": spec.robot.max_linear,
        "max_accel": spec.robot.max_linear_accel,
        "control_dt": spec.robot.control_dt,
        "max_range": spec.lidar.max_range,
    }
    if "lidar" not in task.obs:
        sim = task.sim
        kwargs["ranges_fn"] = lambda: sim.lidar(indices=[0])[0].copy()
    kwargs.update(overrides)
    return SafetyLayer(**kwargs)
