"""Policies: scripted experts and baselines, perception networks, model files.

Every policy implements the :class:`robot.policy.Policy` protocol (``reset()``,
``act(obs)``) and, where it can drive a whole batch, :class:`robot.policy.BatchPolicy`.
"""

from __future__ import annotations

from policies.baselines import RandomPolicy, ScriptedExpert

__all__ = ["RandomPolicy", "ScriptedExpert"]
