"""The single-robot door: a ``gymnasium.Env`` that is the batch of one."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from envs.tasks import make_task

__all__ = ["SmartbotEnv"]

_ONE = np.zeros(1, dtype=np.int64)


def _check_action(action: Any) -> NDArray[np.float64]:
    try:
        a = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"action: expected 2 numbers (linear, angular), got {action!r}") from None
    if a.size != 2:
        raise ValueError(f"action: expected 2 values (linear, angular), got shape {a.shape}")
    return a.reshape(1, 2)


class SmartbotEnv(gym.Env[dict[str, NDArray[Any]], NDArray[np.float32]]):
    """One robot, one task. Made by ``gym.make("smartbot/<Task>-v0", **config)``.

    Args:
        task: a task id (see :mod:`envs.tasks`).
        render_mode: None, "rgb_array" (top-down view) or "human" (pygame window).
        **config: task settings, validated (see the task's docstring).
    """

    metadata: dict[str, Any] = {"render_modes": ["human", "rgb_array"], "render_fps": 10}

    def __init__(self, task: str, render_mode: str | None = None, **config: Any) -> None:
        if render_mode not in (None, "human", "rgb_array"):
            raise ValueError(
                f"render_mode: {render_mode!r} is not allowed; allowed: None, human, rgb_array"
            )
        self.task = make_task(task, 1, config)
        self.render_mode = render_mode
        self.observation_space = self.task.single_observation_space  # type: ignore[assignment]
        self.action_space = self.task.single_action_space
        self.metadata = {
            **self.metadata,
            "render_fps": round(1.0 / self.task.config.sim.robot.control_dt),
        }
        self.task.keep_trails = render_mode is not None
        self._viewer: Any = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self.task.seed(_ONE, [seed])
        self.task.reset(_ONE)
        info = {
            k: v[0].item() if v.ndim == 1 else v[0] for k, v in self.task.reset_info(_ONE).items()
        }
        if self.render_mode == "human":
            self.render()
        return self._obs(), info

    def _obs(self) -> dict[str, NDArray[Any]]:
        return {k: v[0].copy() for k, v in self.task.obs.items()}

    def step(
        self, action: Any
    ) -> tuple[dict[str, NDArray[Any]], float, bool, bool, dict[str, Any]]:
        reward, terminated, truncated, info = self.task.step(_check_action(action))
        out = {k: v[0].item() for k, v in info.items()}
        if self.render_mode == "human":
            self.render()
        return self._obs(), float(reward[0]), bool(terminated[0]), bool(truncated[0]), out

    def render(self) -> NDArray[np.uint8] | None:  # type: ignore[override]
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array'")
            return None
        from envs.rendering import render_slot

        frame = render_slot(self.task, 0)
        if self.render_mode == "rgb_array":
            return frame
        from robot.window import FrameWindow

        if self._viewer is None:
            self._viewer = FrameWindow(self.metadata["render_fps"])
        self._viewer.show(frame)
        return None

    def close(self) -> None:
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None
