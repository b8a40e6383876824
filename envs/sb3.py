"""The stable-baselines3 door: a ``VecEnv`` over one batched task, no subprocesses.

``make_sb3_env("smartbot/PointNav-v0", n_envs=16, seed=0)`` steps all robots in one
call of the batched simulator. Episodes reset in the same step (SB3's convention); the
ended episode's last observation is in ``infos[i]["terminal_observation"]``, and
``infos[i]`` of an ended episode carries ``is_success``, ``TimeLimit.truncated`` and
the task's metrics (``geodesic_start``, ``path_length``, ``contacts``, ...). Infos of
slots still running are empty dicts (cheap at large n).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvWrapper

from envs.tasks import make_task

__all__ = ["SB3VecEnv", "make_sb3_env", "DiscreteActionVecEnv"]


class SB3VecEnv(VecEnv):
    """stable-baselines3 ``VecEnv`` adapter.

    Args:
        task: a task id. num_envs: batch size. render_mode: None or "rgb_array".
        **config: task settings, validated.
    """

    def __init__(self, task: str, num_envs: int = 1, render_mode: str | None = None, **config: Any):
        self.task = make_task(task, num_envs, config)
        self.env_id = task
        self.render_mode = render_mode
        self.task.keep_trails = render_mode is not None
        super().__init__(
            num_envs, self.task.single_observation_space, self.task.single_action_space
        )
        self._actions: NDArray[np.float64] = np.zeros((num_envs, 2))
        self._all = np.arange(num_envs, dtype=np.int64)

    def reset(self) -> dict[str, NDArray[Any]]:  # type: ignore[override]
        seeded = [i for i, s in enumerate(self._seeds) if s is not None]
        if seeded:
            self.task.seed(np.array(seeded, dtype=np.int64), [self._seeds[i] for i in seeded])
        self._reset_seeds()
        self._reset_options()
        self.task.reset(self._all)
        return self._obs()

    def _obs(self) -> dict[str, NDArray[Any]]:
        return {k: v.copy() for k, v in self.task.obs.items()}

    def step_async(self, actions: NDArray[Any]) -> None:
        self._actions = np.asarray(actions, dtype=np.float64).reshape(self.num_envs, 2)

    def step_wait(
        self,
    ) -> tuple[
        dict[str, NDArray[Any]], NDArray[np.float32], NDArray[np.bool_], list[dict[str, Any]]
    ]:  # type: ignore[override]
        reward, terminated, truncated, info = self.task.step(self._actions)
        done = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        idx = done.nonzero()[0]
        if idx.size:
            for i in idx:
                d = {k: v[i].item() for k, v in info.items()}
                d["terminal_observation"] = {k: v[i].copy() for k, v in self.task.obs.items()}
                d["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                infos[i] = d
            self.task.reset(idx)
        return self._obs(), reward.astype(np.float32), done, infos

    def close(self) -> None:
        pass

    def get_images(self) -> Sequence[NDArray[np.uint8] | None]:
        from envs.rendering import render_slot

        return [render_slot(self.task, i) for i in range(self.num_envs)]

    def _indices(self, indices: VecEnvIndices) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return indices

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        if attr_name == "render_mode":
            return [self.render_mode for _ in self._indices(indices)]
        value = (
            getattr(self.task, attr_name)
            if hasattr(self.task, attr_name)
            else getattr(self, attr_name)
        )
        return [value for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.task, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        # The task is batched: one call acts on every slot; each index sees its result.
        result = getattr(self.task, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._indices(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._indices(indices)]


def make_sb3_env(env_id: str, n_envs: int = 1, seed: int | None = None, **config: Any) -> SB3VecEnv:
    """An SB3 ``VecEnv`` of ``n_envs`` robots; with ``seed``, slot i is seeded ``seed + i``."""
    env = SB3VecEnv(env_id, n_envs, **config)
    if seed is not None:
        env.seed(seed)
    return env


class DiscreteActionVecEnv(VecEnvWrapper):
    """Maps Discrete(k) actions to rows of a (k, 2) command table (for DQN).

    Args:
        venv: a VecEnv with the Box(-1, 1, (2,)) action space.
        table: (k, 2) normalised commands; default :data:`envs.actions.DEFAULT_DISCRETE_ACTIONS`.
    """

    def __init__(self, venv: VecEnv, table: NDArray[np.float32] | None = None) -> None:
        from gymnasium import spaces

        from envs.actions import DEFAULT_DISCRETE_ACTIONS

        self.table = np.asarray(DEFAULT_DISCRETE_ACTIONS if table is None else table, np.float32)
        if self.table.ndim != 2 or self.table.shape[1] != 2:
            raise ValueError(f"table: expected shape (k, 2), got {self.table.shape}")
        super().__init__(venv, action_space=spaces.Discrete(len(self.table)))

    def reset(self) -> Any:
        return self.venv.reset()

    def step_async(self, actions: NDArray[Any]) -> None:
        idx = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        self.venv.step_async(self.table[idx])

    def step_wait(self) -> Any:
        return self.venv.step_wait()
