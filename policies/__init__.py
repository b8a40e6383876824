"""Policies: scripted experts and baselines, perception networks, model files.

Every policy implements the :class:`robot.policy.Policy` protocol (``reset()``,
``act(obs)``) and, where it can drive a whole batch, :class:`robot.policy.BatchPolicy`.
``load_policy(path, env_id)`` rebuilds a saved network (safetensors + JSON, no pickle).
"""

from __future__ import annotations

from policies.baselines import RandomPolicy, ScriptedExpert
from policies.io import ModelMismatchError, load_policy, save_policy
from policies.sb3_policy import SB3Policy

__all__ = [
    "RandomPolicy",
    "ScriptedExpert",
    "load_policy",
    "save_policy",
    "ModelMismatchError",
    "SB3Policy",
]
