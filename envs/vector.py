"""The native batched door: a ``gymnasium.vector.VectorEnv`` over one batched task.

Reached with ``gym.make_vec(id, n, vectorization_mode="vector_entry_point")``.

**Autoreset mode: SAME_STEP.** When slot i terminates or truncates, ``step`` resets it
at once and returns the first observation of its next episode in ``obs[i]``; the last
observation of the ended episode is in ``info["final_obs"][i]`` (a dict) and its info in
``info["final_info"]`` (a dict of arrays, masked by ``info["_final_info"]``). This is
what stable-baselines3 expects too, so the SB3 adapter shares the logic.

Seeding: ``reset(seed=s)`` seeds slot i with ``s + i`` (Gymnasium's convention), so
slot i replays exactly what ``gym.make(id).reset(seed=s + i)`` plays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

from envs.tasks import make_task

__all__ = ["SmartbotVectorEnv"]


class SmartbotVectorEnv(
    VectorEnv[dict[str, NDArray[Any]], NDArray[np.float32], NDArray[np.float32]]
):
    """``num_envs`` robots stepped in one batch.

    Args:
        task: a task id. num_envs: batch size.
        render_mode: None or "rgb_array" (``render()`` returns one top-down frame per slot).
        **config: task settings, validated.
    """

    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array"],
        "render_fps": 10,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(self, task: str, num_envs: int = 1, render_mode: str | None = None, **config: Any):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(
                f"render_mode: {render_mode!r} is not allowed; allowed: None, rgb_array"
            )
        self.task = make_task(task, num_envs, config)
        self.num_envs = num_envs
        self.render_mode = render_mode
        self.single_observation_space = self.task.single_observation_space
        self.single_action_space = self.task.single_action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.metadata = {
            **self.metadata,
            "render_fps": round(1.0 / self.task.config.sim.robot.control_dt),
        }
        self.task.keep_trails = render_mode is not None
        self._all = np.arange(num_envs, dtype=np.int64)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
        idx = self._all
        if options and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"], dtype=bool)
            if mask.shape != (self.num_envs,):
                raise ValueError(
                    f"options.reset_mask: expected shape ({self.num_envs},), got {mask.shape}"
                )
            idx = np.flatnonzero(mask)
        if seed is not None:
            seeds: list[int | None] = (
                [seed + int(i) for i in idx] if isinstance(seed, int) else list(seed)
            )
            if len(seeds) != len(idx):
                raise ValueError(f"seed: expected {len(idx)} seeds, got {len(seeds)}")
            self.task.seed(idx, seeds)
        self.task.reset(idx)
        info = self.task.reset_info(idx)
        if len(idx) != self.num_envs:
            info = {k: _scatter(v, idx, self.num_envs) for k, v in info.items()}
        return self._obs(), info

    def _obs(self) -> dict[str, NDArray[Any]]:
        return {k: v.copy() for k, v in self.task.obs.items()}

    def step(  # type: ignore[override]
        self, actions: Any
    ) -> tuple[
        dict[str, NDArray[Any]],
        NDArray[np.float64],
        NDArray[np.bool_],
        NDArray[np.bool_],
        dict[str, Any],
    ]:
        reward, terminated, truncated, info = self.task.step(actions)
        infos: dict[str, Any] = dict(info)
        done = terminated | truncated
        if done.any():
            idx = np.flatnonzero(done)
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in idx:
                final_obs[i] = {k: v[i].copy() for k, v in self.task.obs.items()}
            infos["final_obs"] = final_obs
            infos["_final_obs"] = done.copy()
            infos["final_info"] = {k: v.copy() for k, v in info.items()}
            infos["_final_info"] = done.copy()
            self.task.reset(idx)
        return self._obs(), reward, terminated, truncated, infos

    def render(self) -> tuple[NDArray[np.uint8], ...] | None:
        if self.render_mode is None:
            return None
        from envs.rendering import render_slot

        return tuple(render_slot(self.task, i) for i in range(self.num_envs))


def _scatter(values: NDArray[Any], idx: NDArray[np.int64], n: int) -> NDArray[Any]:
    out = np.zeros((n, *values.shape[1:]), dtype=values.dtype)
    out[idx] = values
    return out
