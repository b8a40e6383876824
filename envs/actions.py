"""The discrete action table used by DQN (``envs.wrappers.DiscreteActions`` and the SB3 door).

Each row is a normalised (linear, angular) command.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_DISCRETE_ACTIONS"]

#: (7, 2): stop, forward, forward-left, forward-right, turn left, turn right, backward.
#: The single source of the table: ``envs.wrappers.DiscreteActions`` (single env) and
#: ``envs.sb3.DiscreteActionVecEnv`` (DQN training) both use it.
DEFAULT_DISCRETE_ACTIONS = np.array(
    [[0.0, 0.0], [1.0, 0.0], [0.6, 0.5], [0.6, -0.5], [0.0, 0.5], [0.0, -0.5], [-0.5, 0.0]],
    dtype=np.float32,
)
