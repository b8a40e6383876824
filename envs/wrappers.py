"""Gymnasium wrappers for the single smartbot env (``gym.make("smartbot/<Task>-v0")``).

* :class:`DiscreteActions`: ``Discrete(k)`` actions from a fixed table of (linear, angular)
  commands, for DQN and other discrete-action agents.
* :class:`SensorHistory`: the last ``length`` observations of chosen keys, stacked.
* :class:`DomainRandomization`: per-episode sensor noise, sensor latency and an actuator
  gain ("friction"), recorded in ``info["domain"]``.

All three keep the Dict observation and pass Gymnasium's ``check_env``. They compose,
e.g. ``SensorHistory(DomainRandomization(gym.make(id), seed=0), length=4)``.

Example::

    env = DiscreteActions(gym.make("smartbot/PointNav-v0"))
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(1)   # forward
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from envs.actions import DEFAULT_DISCRETE_ACTIONS

__all__ = [
    "DiscreteActions",
    "SensorHistory",
    "DomainRandomization",
    "DEFAULT_LINEAR",
    "DEFAULT_ANGULAR",
    "ACTION_NAMES",
    "NOISY_KEYS",
]

Obs = dict[str, NDArray[Any]]

#: Names of the default discrete actions (index = action).
ACTION_NAMES: tuple[str, ...] = (
    "stop",
    "forward",
    "forward-left",
    "forward-right",
    "turn-left",
    "turn-right",
    "backward",
)
#: Normalised linear command of each default action (times ``robot.max_linear`` m/s).
DEFAULT_LINEAR: tuple[float, ...] = tuple(float(v) for v in DEFAULT_DISCRETE_ACTIONS[:, 0])
#: Normalised angular command of each default action (times ``robot.max_angular`` rad/s,
#: counter-clockwise = left positive).
DEFAULT_ANGULAR: tuple[float, ...] = tuple(float(v) for v in DEFAULT_DISCRETE_ACTIONS[:, 1])

#: Observation keys that :class:`DomainRandomization` adds noise to by default: the
#: physical float sensor readings (not the camera's uint8 pixels, the bumper bit or the
#: one-hot ``target``/``cue`` codes).
NOISY_KEYS: tuple[str, ...] = ("lidar", "depth", "imu", "odometry", "velocity", "goal")


def _dict_space(env: gym.Env[Any, Any], wrapper: str) -> spaces.Dict:
    space = env.observation_space
    if not isinstance(space, spaces.Dict):
        raise ValueError(
            f"env: {wrapper} needs a Dict observation space, got {type(space).__name__}"
        )
    return space


# --------------------------------------------------------------------------- actions
class DiscreteActions(
    gym.ActionWrapper[Obs, Any, NDArray[np.float32]], gym.utils.RecordConstructorArgs
):
    """``Discrete(k)`` actions mapped to a fixed table of normalised (linear, angular) commands.

    Args:
        env: a smartbot env whose action space is Box(-1, 1, (2,)).
        linear: (k,) normalised linear command of each action, in [-1, 1]
            (default :data:`DEFAULT_LINEAR`).
        angular: (k,) normalised angular command of each action, in [-1, 1], left positive
            (default :data:`DEFAULT_ANGULAR`).

    Default table (k = 7, see :data:`ACTION_NAMES`): 0 stop (0, 0), 1 forward (1, 0),
    2 forward-left (0.6, 0.5), 3 forward-right (0.6, -0.5), 4 turn-left (0, 0.5),
    5 turn-right (0, -0.5), 6 backward (-0.5, 0).

    Attributes:
        table: (k, 2) float32, row ``a`` is the command sent for action ``a``.
    Raises:
        ValueError: ``linear``/``angular`` of different lengths, empty, not finite or
            outside [-1, 1]; at step time an ``action`` that is not an integer in [0, k).
    """

    def __init__(
        self,
        env: gym.Env[Obs, NDArray[np.float32]],
        linear: Sequence[float] = DEFAULT_LINEAR,
        angular: Sequence[float] = DEFAULT_ANGULAR,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, linear=linear, angular=angular)
        gym.ActionWrapper.__init__(self, env)
        box = env.action_space
        if not isinstance(box, spaces.Box) or box.shape != (2,):
            raise ValueError(f"env: DiscreteActions needs a Box((2,)) action space, got {box}")
        lin = np.asarray(linear, dtype=np.float64)
        ang = np.asarray(angular, dtype=np.float64)
        for name, arr in (("linear", lin), ("angular", ang)):
            if arr.ndim != 1 or arr.size == 0:
                raise ValueError(
                    f"{name}: expected a non-empty list of numbers, got {arr.tolist()!r}"
                )
            if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 1.0):
                raise ValueError(f"{name}: {arr.tolist()!r} has values outside the allowed [-1, 1]")
        if lin.size != ang.size:
            raise ValueError(
                f"linear, angular: expected the same length, got {lin.size} and {ang.size}"
            )
        self.table: NDArray[np.float32] = np.stack([lin, ang], axis=1).astype(np.float32)
        self.action_space = spaces.Discrete(len(self.table))

    def action(self, action: Any) -> NDArray[np.float32]:
        """The (2,) float32 command of discrete ``action`` (an integer in [0, k))."""
        a = np.asarray(action)
        k = len(self.table)
        ok = a.size == 1 and (
            np.issubdtype(a.dtype, np.integer)
            or (np.issubdtype(a.dtype, np.floating) and float(a.reshape(())).is_integer())
        )
        if not ok or not 0 <= int(a.reshape(())) < k:
            raise ValueError(
                f"action: {action!r} is not allowed; expected an integer in [0, {k - 1}]"
            )
        return self.table[int(a.reshape(()))].copy()


# --------------------------------------------------------------------------- history
class SensorHistory(gym.Wrapper[Obs, Any, Obs, Any], gym.utils.RecordConstructorArgs):
    """Stack the last ``length`` observations of chosen Box keys along a new leading axis.

    A key of shape ``S`` becomes ``(length, *S)`` with the same dtype and bounds;
    ``obs[key][-1]`` is the newest observation, ``obs[key][0]`` the oldest. Other keys pass
    through unchanged.

    **Padding at reset**: with ``padding="first"`` (default) every slot of the history
    holds a copy of the reset observation; with ``padding="zeros"`` the older slots hold
    zeros (clipped into the key's bounds, so the observation stays inside its space).

    Args:
        env: an env with a Dict observation space.
        keys: keys to stack (default: every Box key).
        length: history length, integer in [1, 1000].
        padding: "first" or "zeros".
    Raises:
        ValueError: an unknown or non-Box key, a bad ``length`` or ``padding``.
    """

    def __init__(
        self,
        env: gym.Env[Obs, Any],
        keys: Sequence[str] | None = None,
        length: int = 4,
        padding: str = "first",
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, keys=keys, length=length, padding=padding)
        gym.Wrapper.__init__(self, env)
        space = _dict_space(env, "SensorHistory")
        boxes = [k for k, sp in space.spaces.items() if isinstance(sp, spaces.Box)]
        chosen = list(boxes) if keys is None else list(keys)
        if isinstance(keys, str):
            raise ValueError(f"keys: expected a list of keys, got the string {keys!r}")
        for k in chosen:
            if k not in boxes:
                raise ValueError(f"keys: {k!r} is not allowed; allowed: {', '.join(boxes)}")
        if len(set(chosen)) != len(chosen) or not chosen:
            raise ValueError(f"keys: expected distinct keys from {', '.join(boxes)}, got {chosen}")
        int_like = isinstance(length, int | np.integer) and not isinstance(length, bool)
        if not int_like or not 1 <= length <= 1000:
            raise ValueError(f"length: {length!r} is not allowed; expected an integer in [1, 1000]")
        if padding not in ("first", "zeros"):
            raise ValueError(f"padding: {padding!r} is not allowed; allowed: first, zeros")
        self.keys: tuple[str, ...] = tuple(chosen)
        self.length = int(length)
        self.padding = padding
        new: dict[str, spaces.Space[Any]] = {}
        self._zeros: dict[str, NDArray[Any]] = {}
        for k, sp in space.spaces.items():
            if k in self.keys:
                assert isinstance(sp, spaces.Box)
                low = np.broadcast_to(sp.low, (self.length, *sp.shape))
                high = np.broadcast_to(sp.high, (self.length, *sp.shape))
                new[k] = spaces.Box(low.copy(), high.copy(), dtype=sp.dtype)  # type: ignore[arg-type]
                self._zeros[k] = np.clip(np.zeros(sp.shape), sp.low, sp.high).astype(sp.dtype)
            else:
                new[k] = sp
        self.observation_space = spaces.Dict(new)  # type: ignore[assignment]
        self._hist: dict[str, deque[NDArray[Any]]] = {}

    def _stacked(self, obs: Obs) -> Obs:
        out = dict(obs)
        for k in self.keys:
            out[k] = np.stack(self._hist[k], axis=0)
        return out

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Obs, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        for k in self.keys:
            pad = obs[k] if self.padding == "first" else self._zeros[k]
            h: deque[NDArray[Any]] = deque(maxlen=self.length)
            for _ in range(self.length - 1):
                h.append(pad.copy())
            h.append(obs[k].copy())
            self._hist[k] = h
        return self._stacked(obs), info

    def step(self, action: Any) -> tuple[Obs, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        for k in self.keys:
            self._hist[k].append(obs[k].copy())
        return self._stacked(obs), reward, terminated, truncated, info


# --------------------------------------------------------------------------- randomisation
def _range(
    name: str, value: Any, lo: float, hi: float, integer: bool = False, lo_open: bool = False
) -> tuple[float, float]:
    kind = "integers" if integer else "numbers"
    op = "<" if lo_open else "<="
    allowed = f"a pair (low, high) of {kind} with {lo:g} {op} low <= high <= {hi:g}"
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not allowed; expected {allowed}") from None
    for v in (a, b):
        ok = (
            not isinstance(v, bool)
            and isinstance(v, int | float | np.integer | np.floating)
            and math.isfinite(float(v))
            and (float(v).is_integer() if integer else True)
        )
        if not ok or not (lo < v if lo_open else lo <= v) or v > hi:
            raise ValueError(f"{name}: {value!r} is not allowed; expected {allowed}")
    if a > b:
        raise ValueError(f"{name}: {value!r} is not allowed; low exceeds high; expected {allowed}")
    return float(a), float(b)


class DomainRandomization(gym.Wrapper[Obs, Any, Obs, Any], gym.utils.RecordConstructorArgs):
    """Per-episode sensor noise, sensor latency and actuator gain, for sim-to-real robustness.

    At every reset the wrapper draws, uniformly and independently:

    * ``noise_std`` sigma from ``noise_std=(lo, hi)``: each step, Gaussian noise N(0, sigma)
      (in the key's own units: m for lidar/depth/goal range, rad for bearing, ...) is
      added to every float Box key in ``noise_keys``, and the result clipped to the key's
      bounds. The camera's uint8 pixels are never touched (use ``sim.camera.noise_std``).
    * ``latency_steps`` L from the integers in ``latency_steps=(lo, hi)`` (inclusive): the
      agent sees the observation of L steps ago (all keys). The first L observations of
      an episode repeat the (noisy) reset observation.
    * ``friction`` f from ``friction=(lo, hi)``: the commanded (linear, angular) action is
      multiplied by f and clipped to [-1, 1] (an actuator gain; f < 1 is a sluggish robot).
      Invalid action entries (NaN, inf, out of [-1, 1]) are passed on unscaled so the env
      still counts them in ``info["bad_actions"]``.

    ``info["domain"]`` = ``{"noise_std": sigma, "latency_steps": L, "friction": f}`` at reset
    and at every step.

    Seeding: the draws come from the wrapper's own generator, seeded with ``seed`` at
    construction and re-seeded from (``seed``, s) whenever ``reset(seed=s)`` is called, so a
    seeded reset replays the same episode bit for bit.

    Args:
        env: an env with a Dict observation space and a Box action space.
        noise_std: (lo, hi) in [0, 10]. latency_steps: (lo, hi) integers in [0, 100].
        friction: (lo, hi) in (0, 2]. seed: None or an integer.
        noise_keys: keys that get noise (default: the float Box keys among :data:`NOISY_KEYS`).
    Raises:
        ValueError: an argument out of its allowed range (the message names it).
    """

    def __init__(
        self,
        env: gym.Env[Obs, Any],
        noise_std: tuple[float, float] = (0.0, 0.05),
        latency_steps: tuple[int, int] = (0, 2),
        friction: tuple[float, float] = (0.8, 1.0),
        seed: int | None = None,
        noise_keys: Sequence[str] | None = None,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            noise_std=noise_std,
            latency_steps=latency_steps,
            friction=friction,
            seed=seed,
            noise_keys=noise_keys,
        )
        gym.Wrapper.__init__(self, env)
        space = _dict_space(env, "DomainRandomization")
        if not isinstance(env.action_space, spaces.Box):
            raise ValueError(
                f"env: DomainRandomization needs a Box action space, got {env.action_space}"
            )
        self.noise_range = _range("noise_std", noise_std, 0.0, 10.0)
        lat = _range("latency_steps", latency_steps, 0, 100, integer=True)
        self.latency_range = (int(lat[0]), int(lat[1]))
        self.friction_range = _range("friction", friction, 0.0, 2.0, lo_open=True)
        seed_ok = isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0
        if seed is not None and not seed_ok:
            raise ValueError(f"seed: {seed!r} is not allowed; expected None or an integer >= 0")
        floats = [
            k
            for k, sp in space.spaces.items()
            if isinstance(sp, spaces.Box) and np.issubdtype(sp.dtype, np.floating)
        ]
        if noise_keys is None:
            keys = [k for k in floats if k in NOISY_KEYS]
        else:
            if isinstance(noise_keys, str):
                raise ValueError(
                    f"noise_keys: expected a list of keys, got the string {noise_keys!r}"
                )
            keys = list(noise_keys)
            for k in keys:
                if k not in floats:
                    raise ValueError(
                        f"noise_keys: {k!r} is not allowed; allowed: {', '.join(floats)}"
                    )
        self.noise_keys: tuple[str, ...] = tuple(keys)
        self._bounds = {
            k: (space.spaces[k].low, space.spaces[k].high)  # type: ignore[attr-defined]
            for k in self.noise_keys
        }
        self._seed = None if seed is None else int(seed)
        self._rng = np.random.default_rng(self._seed)
        self.noise_std = 0.0
        self.latency = 0
        self.friction = 1.0
        self._buffer: deque[Obs] = deque(maxlen=1)

    @property
    def domain(self) -> dict[str, Any]:
        """The current episode's draws: noise_std (float), latency_steps (int), friction (float)."""
        return {
            "noise_std": self.noise_std,
            "latency_steps": self.latency,
            "friction": self.friction,
        }

    def _draw(self) -> None:
        r = self._rng
        lo, hi = self.noise_range
        self.noise_std = float(r.uniform(lo, hi)) if hi > lo else lo
        self.latency = int(r.integers(self.latency_range[0], self.latency_range[1] + 1))
        lo, hi = self.friction_range
        self.friction = float(r.uniform(lo, hi)) if hi > lo else lo

    def _noisy(self, obs: Obs) -> Obs:
        out = {k: v.copy() for k, v in obs.items()}
        if self.noise_std > 0.0:
            for k in self.noise_keys:
                v = out[k]
                lo, hi = self._bounds[k]
                noisy = v + self._rng.normal(0.0, self.noise_std, v.shape)
                out[k] = np.clip(noisy, lo, hi).astype(v.dtype)
        return out

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Obs, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            entropy = [int(seed) & ((1 << 64) - 1), 0x5EED]
            if self._seed is not None:
                entropy.append(self._seed)
            self._rng = np.random.default_rng(entropy)
        self._draw()
        first = self._noisy(obs)
        self._buffer = deque((first for _ in range(self.latency + 1)), maxlen=self.latency + 1)
        info = dict(info)
        info["domain"] = self.domain
        return {k: v.copy() for k, v in first.items()}, info

    def _scale(self, action: Any) -> Any:
        a = np.asarray(action, dtype=np.float64)
        if a.shape != self.action_space.shape or self.friction == 1.0:
            return action
        valid = np.isfinite(a) & (np.abs(a) <= 1.0)
        scaled = np.clip(np.where(valid, a, 0.0) * self.friction, -1.0, 1.0)
        return np.where(valid, scaled, a)

    def step(self, action: Any) -> tuple[Obs, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(self._scale(action))
        self._buffer.append(self._noisy(obs))
        info = dict(info)
        info["domain"] = self.domain
        delayed = {k: v.copy() for k, v in self._buffer[0].items()}
        return delayed, reward, terminated, truncated, info
