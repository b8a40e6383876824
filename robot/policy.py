"""The one ``Policy`` protocol that the controller and the viewer depend on.

Duck-typed, so ``robot/`` never imports torch or ``policies/``: anything with
``reset()`` and ``act(obs)`` is a policy; ``explain()`` is optional and returns
overlays for the viewer.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Policy", "ExplainablePolicy", "BatchPolicy"]


@runtime_checkable
class Policy(Protocol):
    """A policy drives one robot.

    ``reset()`` is called at the start of every episode (clears recurrent state);
    ``act(obs)`` maps one observation (the env's Dict observation, unbatched) to one
    action, a (2,) float array of normalised (linear, angular) commands in [-1, 1].
    """

    def reset(self) -> None: ...

    def act(self, obs: Any) -> Any: ...


@runtime_checkable
class ExplainablePolicy(Policy, Protocol):
    """A policy that can also say what it thinks, for the viewer's overlays.

    ``explain()`` returns a dict about the last ``act`` call. Known keys:
    ``"path"``: (N, 2) planned waypoints in metres; ``"value"``: float value
    estimate; ``"action_mean"``/``"action_std"``: (2,) action distribution;
    ``"probs"``: class probabilities; any other key is shown as text.
    """

    def explain(self) -> dict[str, Any]: ...


@runtime_checkable
class BatchPolicy(Protocol):
    """A policy that drives a whole batch at once (what the evaluator prefers).

    ``reset_batch(n)`` prepares for ``n`` slots; ``act_batch(obs, episode_starts)`` maps a
    batched Dict observation ``{key: (n, ...)}`` and an (n,) bool mask of slots whose
    episode just began (clear their recurrent state) to (n, 2) actions in [-1, 1].
    """

    def reset_batch(self, num_envs: int) -> None: ...

    def act_batch(self, obs: Any, episode_starts: Any) -> Any: ...
