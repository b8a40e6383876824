"""What the viewer draws: one snapshot of a robot, its world and its episode.

:class:`ViewState` is plain data (numpy arrays and numbers), so :mod:`robot.viewer` never
needs to know about environments or tasks: ``envs.view.view_state(env)`` builds one from a
smartbot env, and anything else can build one by hand.

Example::

    state = ViewState(world=world, pose=np.array([1.0, 2.0, 0.0]), goal=np.array([4.0, 3.0]))
    viewer.draw(state)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from robot.world import World

__all__ = ["ViewState"]


@dataclasses.dataclass
class ViewState:
    """One frame's worth of robot, world and episode state.

    Attributes:
        world: the world the robot is in (None: nothing to draw yet).
        pose: (3,) x m, y m, yaw rad.
        trail: (N, 2) past positions of this episode, m (None for none).
        lidar_ranges: (K,) ranges, m; lidar_angles: (K,) beam bearings relative to the
            heading, rad; lidar_max_range: m (a beam reading it saw nothing).
        camera: (3, H, W) uint8 egocentric frame, or None when there is none.
        goal: (2,) goal point, m, or None. goal_radius: success radius drawn around it, m.
        target_colour: index of the target colour (0..5; ObjectNav), or None.
        robot_radius: m. bumper: the last step made contact.
        task: a short name of the task (shown in the title), e.g. "smartbot/PointNav-v0".
        episode: episode number (0-based) of the run. step: steps taken this episode.
        max_steps: the episode's step limit (0: unknown).
        episode_return: reward summed over this episode.
        success: this episode has succeeded. contacts: contact steps this episode.
        episodes_done: finished episodes of the run; successes: how many succeeded;
        episodes_with_contact: how many had at least one contact.
        extra: more name -> value pairs shown as text (e.g. the target colour's name).
    """

    world: World | None = None
    pose: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(3))
    trail: NDArray[np.float64] | None = None
    lidar_ranges: NDArray[np.float32] | None = None
    lidar_angles: NDArray[np.float64] | None = None
    lidar_max_range: float | None = None
    camera: NDArray[np.uint8] | None = None
    goal: NDArray[np.float64] | None = None
    goal_radius: float = 0.3
    target_colour: int | None = None
    robot_radius: float = 0.18
    bumper: bool = False
    task: str = ""
    episode: int = 0
    step: int = 0
    max_steps: int = 0
    episode_return: float = 0.0
    success: bool = False
    contacts: int = 0
    episodes_done: int = 0
    successes: int = 0
    episodes_with_contact: int = 0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def replace(self, **changes: Any) -> ViewState:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)
