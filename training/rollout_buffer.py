"""A leaner rollout buffer for PPO and A2C on Dict observations, equal to SB3's to the bit.

stable-baselines3's :class:`~stable_baselines3.common.buffers.DictRolloutBuffer` copies
every array twice on the way in (``np.array`` then the store; ``clone`` then ``numpy`` for
the value and log-probability tensors) and builds each minibatch from NumPy with one
``torch.tensor`` copy per field. :class:`LeanDictRolloutBuffer` stores each step with one
copy per field and, once per update, wraps the flattened arrays as tensors (no copy), so
that a minibatch is one ``index_select`` per field.

The stored values, the order of samples (one ``np.random.permutation`` per pass, as SB3
draws it) and every minibatch tensor are the same as SB3's, so a run learns the same
weights to the bit (``tests/test_rollout_buffer.py``). Training uses it for PPO and A2C
(``training.train``); RecurrentPPO keeps sb3-contrib's own buffer.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.buffers import DictRolloutBuffer
from stable_baselines3.common.type_aliases import DictRolloutBufferSamples

__all__ = ["LeanDictRolloutBuffer"]

#: The (n_steps, n_envs) float32 arrays a minibatch takes, besides observations and actions.
_SCALARS = ("values", "log_probs", "advantages", "returns")


class LeanDictRolloutBuffer(DictRolloutBuffer):
    """SB3's ``DictRolloutBuffer`` with one copy per stored step and per minibatch field.

    Shapes as SB3's: ``observations[key]`` (n_steps, n_envs, *obs_shape) while filling,
    (n_steps * n_envs, *obs_shape) once :meth:`get` has flattened it; ``actions``
    (n_steps, n_envs, action_dim); rewards, values, log-probs, advantages and returns
    (n_steps, n_envs) float32.
    """

    #: The flattened observations and the other fields as tensors, built by :meth:`get`;
    #: valid while SB3's ``generator_ready`` is set (``reset`` clears it).
    _obs_tensors: dict[str, torch.Tensor]
    _tensors: dict[str, torch.Tensor]

    def add(  # type: ignore[override]
        self,
        obs: dict[str, np.ndarray[Any, Any]],
        action: np.ndarray[Any, Any],
        reward: np.ndarray[Any, Any],
        episode_start: np.ndarray[Any, Any],
        value: torch.Tensor,
        log_prob: torch.Tensor,
    ) -> None:
        """Store one step of every env: ``obs[key]`` (n_envs, *obs_shape), ``action``
        (n_envs, action_dim) or (n_envs,), ``reward``/``episode_start`` (n_envs,),
        ``value`` (n_envs, 1) and ``log_prob`` (n_envs,) tensors."""
        pos = self.pos
        for key, store in self.observations.items():
            if isinstance(self.observation_space.spaces[key], spaces.Discrete):
                store[pos] = np.asarray(obs[key]).reshape((self.n_envs, *self.obs_shape[key]))
            else:
                store[pos] = obs[key]
        self.actions[pos] = action.reshape((self.n_envs, self.action_dim))
        self.rewards[pos] = reward
        self.episode_starts[pos] = episode_start
        self.values[pos] = value.detach().cpu().numpy().reshape(-1)
        self.log_probs[pos] = log_prob.detach().cpu().numpy().reshape(self.n_envs)
        self.pos += 1
        if self.pos == self.buffer_size:
            self.full = True

    def get(  # type: ignore[override]
        self, batch_size: int | None = None
    ) -> Generator[DictRolloutBufferSamples, None, None]:
        """Minibatches of ``batch_size`` samples (all of them when None) in a fresh random
        order, drawn with ``np.random.permutation`` as SB3 draws it."""
        assert self.full, "the rollout buffer is not full yet"
        n = self.buffer_size * self.n_envs
        indices = np.random.permutation(n)  # noqa: NPY002  (SB3's generator, SB3's draw)
        if not self.generator_ready:
            for key, obs in self.observations.items():
                self.observations[key] = self.swap_and_flatten(obs)
            for name in ("actions", *_SCALARS):
                self.__dict__[name] = self.swap_and_flatten(self.__dict__[name])
            self._wrap_as_tensors()
            self.generator_ready = True
        if batch_size is None:
            batch_size = n
        order = torch.from_numpy(indices)
        for start in range(0, n, batch_size):
            yield self._select(order[start : start + batch_size])

    def _wrap_as_tensors(self) -> None:
        """The flattened arrays as tensors on the buffer's device (no copy on the CPU):
        observations (N, *obs_shape), ``actions`` (N, action_dim) float32, the others (N,)."""
        self._obs_tensors = {
            key: torch.as_tensor(obs, device=self.device) for key, obs in self.observations.items()
        }
        self._tensors = {
            name: torch.as_tensor(self.__dict__[name].reshape(-1), device=self.device)
            for name in _SCALARS
        }
        self._tensors["actions"] = torch.as_tensor(
            self.actions.astype(np.float32, copy=False), device=self.device
        )

    def _select(self, rows: torch.Tensor) -> DictRolloutBufferSamples:
        """One minibatch: the samples at ``rows`` (int64, (b,)) of every field."""
        t = self._tensors
        rows = rows.to(self.device)
        return DictRolloutBufferSamples(
            observations={k: v.index_select(0, rows) for k, v in self._obs_tensors.items()},
            actions=t["actions"].index_select(0, rows),
            old_values=t["values"].index_select(0, rows),
            old_log_prob=t["log_probs"].index_select(0, rows),
            advantages=t["advantages"].index_select(0, rows),
            returns=t["returns"].index_select(0, rows),
        )
