"""A trained stable-baselines3 model behind the ``Policy`` and ``BatchPolicy`` protocols."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

__all__ = ["SB3Policy"]


class SB3Policy:
    """Drives with an SB3 policy network (``model.policy``), recurrent or not.

    Args:
        policy: an SB3 ``BasePolicy`` (e.g. ``model.policy``).
        deterministic: use the distribution's mode instead of sampling.
        meta: the model's sidecar metadata (env id, spaces, algorithm).
    """

    def __init__(self, policy: Any, deterministic: bool = True, meta: dict[str, Any] | None = None):
        self.policy = policy
        self.policy.set_training_mode(False)
        self.deterministic = deterministic
        self.meta = meta or {}
        self.recurrent = hasattr(policy, "lstm_actor")
        self._state: Any = None
        self._starts = np.ones(1, dtype=bool)
        self._last_obs: dict[str, NDArray[Any]] | None = None
        table = self.meta.get("action_table")
        #: (k, 2) commands of a discrete-action model (DQN), None for continuous ones.
        self.action_table = None if table is None else np.asarray(table, dtype=np.float32)

    # ------------------------------------------------------------ Policy
    def reset(self) -> None:
        """Start a new episode (clears the recurrent state)."""
        self.reset_batch(1)

    def act(self, obs: dict[str, NDArray[Any]]) -> NDArray[np.float32]:
        """One observation (unbatched Dict) -> (2,) action in [-1, 1]."""
        batch = {k: np.asarray(v)[None] for k, v in obs.items()}
        return self.act_batch(batch, self._starts)[0]

    def explain(self) -> dict[str, Any]:
        """The value estimate and the action distribution for the last observation."""
        if self._last_obs is None:
            return {}
        obs = {k: v[:1] for k, v in self._last_obs.items()}
        out: dict[str, Any] = {}
        with torch.no_grad():
            tensor, _ = self.policy.obs_to_tensor(obs)
            try:
                if self.recurrent:
                    return out
                dist = self.policy.get_distribution(tensor)
                d = dist.distribution
                out["action_mean"] = d.mean.cpu().numpy()[0].clip(-1, 1)
                out["action_std"] = d.stddev.cpu().numpy()[0]
                if hasattr(self.policy, "predict_values"):
                    out["value"] = float(self.policy.predict_values(tensor).cpu().numpy()[0, 0])
            except (AttributeError, NotImplementedError):
                pass
        return out

    def _fast_predict(self, obs: dict[str, NDArray[Any]]) -> NDArray[Any]:
        """SB3's ``predict`` without its per-call checks: tensors in, clipped actions out.

        On one CPU thread this halves the latency of a small MLP policy.
        """
        device = self.policy.device
        tensors = {k: torch.as_tensor(np.asarray(v), device=device) for k, v in obs.items()}
        actions = self.policy._predict(tensors, deterministic=self.deterministic)
        out = actions.cpu().numpy()
        space = self.policy.action_space
        if hasattr(space, "low"):
            if getattr(self.policy, "squash_output", False):
                out = self.policy.unscale_action(out)
            out = np.clip(out, space.low, space.high)
        return out

    # ------------------------------------------------------- BatchPolicy
    def reset_batch(self, num_envs: int) -> None:
        """Prepare for ``num_envs`` slots, all starting an episode."""
        self._state = None
        self._starts = np.ones(num_envs, dtype=bool)

    def act_batch(
        self, obs: dict[str, NDArray[Any]], episode_starts: NDArray[np.bool_] | None = None
    ) -> NDArray[np.float32]:
        """{key: (n, ...)} -> (n, 2) actions; ``episode_starts`` (n,) clears recurrent state."""
        n = len(next(iter(obs.values())))
        starts = (
            np.ones(n, dtype=bool) if episode_starts is None else np.asarray(episode_starts, bool)
        )
        self._last_obs = obs
        with torch.no_grad():
            if self.recurrent:
                action, self._state = self.policy.predict(
                    obs, state=self._state, episode_start=starts, deterministic=self.deterministic
                )
            else:
                action = self._fast_predict(obs)
        self._starts = np.zeros(n, dtype=bool)
        if self.action_table is not None:
            return self.action_table[np.asarray(action, dtype=np.int64).reshape(n)]
        return np.asarray(action, dtype=np.float32).reshape(n, -1)
