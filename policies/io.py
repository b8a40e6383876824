"""Save and load trained policies safely: safetensors weights plus a JSON sidecar.

A saved policy is two files side by side:

* ``NAME.safetensors``: the policy network's tensors (no pickle);
* ``NAME.json``: what is needed to rebuild it and to check it fits an environment:
  ``format``, ``algo``, ``env_id``, ``env_kwargs``, ``observation_space`` and
  ``action_space`` (described as JSON), ``policy`` (our JSON policy config),
  ``smartbot_version``, and for discrete models the ``action_table``.

:func:`load_policy` rebuilds the network from the JSON and loads the tensors; nothing
from the file is unpickled. (SB3's own ``.zip`` checkpoints, used to resume training,
contain pickled objects: load those only from sources you trust.)

Loading a policy for an environment it does not fit raises
:class:`ModelMismatchError` with a message that says what differs.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from policies.sb3_policy import SB3Policy

__all__ = [
    "ModelMismatchError",
    "save_policy",
    "load_policy",
    "describe_space",
    "space_from_json",
    "space_differences",
    "pair_stem",
    "FORMAT",
]

FORMAT = "smartbot-policy-v1"
_REQUIRED = ("algo", "env_id", "observation_space", "action_space", "policy")


class ModelMismatchError(ValueError):
    """A saved model does not fit the environment it is loaded for."""


def _package_version() -> str:
    try:
        return version("smartbot")
    except PackageNotFoundError:
        return "unknown"


def _bounds_to_json(bound: NDArray[Any]) -> list[float]:
    """A Box bound as JSON: ``[v]`` when every entry equals v, else the nested list."""
    b = np.asarray(bound, np.float64)
    flat = b.ravel()
    return flat[:1].tolist() if np.all(flat == flat[0]) else b.tolist()


def _bounds_from_json(values: list[Any], shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Inverse of :func:`_bounds_to_json` for a Box of ``shape``."""
    b = np.asarray(values, np.float64)
    return np.broadcast_to(b.reshape(-1) if len(values) == 1 else b.reshape(shape), shape)


def describe_space(space: spaces.Space[Any]) -> dict[str, Any]:
    """A JSON description of a Box, Discrete or Dict space."""
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {k: describe_space(s) for k, s in space.spaces.items()}}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": _bounds_to_json(space.low),
            "high": _bounds_to_json(space.high),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n)}
    raise ValueError(
        f"space: {type(space).__name__} is not supported; allowed: Box, Discrete, Dict"
    )


def space_from_json(d: dict[str, Any]) -> spaces.Space[Any]:
    """Inverse of :func:`describe_space`."""
    kind = d.get("type")
    if kind == "Dict":
        return spaces.Dict({k: space_from_json(v) for k, v in d["spaces"].items()})
    if kind == "Box":
        shape = tuple(int(x) for x in d["shape"])
        dtype = np.dtype(d["dtype"])
        low = _bounds_from_json(d["low"], shape)
        high = _bounds_from_json(d["high"], shape)
        return spaces.Box(low.astype(dtype), high.astype(dtype), shape, dtype)
    if kind == "Discrete":
        return spaces.Discrete(int(d["n"]))
    raise ValueError(f"space.type: {kind!r} is not supported; allowed: Box, Discrete, Dict")


def space_differences(
    saved: dict[str, Any], env: dict[str, Any], path: str = "observation"
) -> list[str]:
    """Human-readable differences between two space descriptions (empty when they fit)."""
    out: list[str] = []
    if saved.get("type") != env.get("type"):
        return [f"{path}: model expects {saved.get('type')}, env gives {env.get('type')}"]
    if saved["type"] == "Dict":
        a, b = saved["spaces"], env["spaces"]
        missing = sorted(set(a) - set(b))
        extra = sorted(set(b) - set(a))
        if missing:
            out.append(f"{path}: keys {missing} expected by the model are missing in the env")
        if extra:
            out.append(f"{path}: env has keys {extra} the model was not trained with")
        for k in sorted(set(a) & set(b)):
            out += space_differences(a[k], b[k], f"{path}[{k!r}]")
        return out
    if saved["type"] == "Box":
        if saved["shape"] != env["shape"]:
            out.append(
                f"{path}: model expects shape {tuple(saved['shape'])}, "
                f"env gives {tuple(env['shape'])}"
            )
        if saved["dtype"] != env["dtype"]:
            out.append(f"{path}: model expects dtype {saved['dtype']}, env gives {env['dtype']}")
        if not out and (saved["low"] != env["low"] or saved["high"] != env["high"]):
            out.append(
                f"{path}: bounds differ (model {saved['low']}..{saved['high']}, "
                f"env {env['low']}..{env['high']})"
            )
        return out
    if saved != env:
        out.append(f"{path}: model expects {saved}, env gives {env}")
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pair_stem(path: str | os.PathLike[str]) -> Path:
    """``path`` without a ``.json``/``.safetensors``/``.zip`` suffix: the stem that names a
    saved file pair (``NAME.json`` + ``NAME.safetensors``), policy or detector."""
    p = Path(path)
    if p.suffix in (".json", ".safetensors", ".zip"):
        p = p.with_suffix("")
    return p


def save_policy(
    model: Any,
    path: str | os.PathLike[str],
    *,
    env_id: str,
    algo: str,
    policy_config: dict[str, Any],
    env_kwargs: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``PATH.safetensors`` and ``PATH.json`` for an SB3 model (atomically).

    Args:
        model: the SB3 algorithm (its ``policy`` is saved).
        path: file stem (a ``.json``/``.safetensors`` suffix is dropped).
        env_id, env_kwargs: the environment it was trained for.
        algo: ppo, a2c, sac, td3, dqn or recurrent_ppo. policy_config: our JSON policy config.
    Returns:
        The stem path.
    """
    from safetensors.torch import save as st_save

    stem = pair_stem(path)
    # clone: SB3 shares the extractor between actor and critic; safetensors needs distinct tensors
    tensors = {
        k: v.detach().cpu().clone().contiguous() for k, v in model.policy.state_dict().items()
    }
    meta: dict[str, Any] = {
        "format": FORMAT,
        "algo": algo,
        "env_id": env_id,
        "env_kwargs": env_kwargs or {},
        "observation_space": describe_space(model.observation_space),
        "action_space": describe_space(model.action_space),
        "policy": policy_config,
        "smartbot_version": _package_version(),
        **(extra or {}),
    }
    _atomic_write(stem.with_suffix(".safetensors"), st_save(tensors))
    _atomic_write(stem.with_suffix(".json"), json.dumps(meta, indent=2).encode())
    return stem


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON sidecar of a saved policy (FileNotFoundError / ValueError when bad)."""
    stem = pair_stem(path)
    side = stem.with_suffix(".json")
    if not side.exists():
        raise FileNotFoundError(
            f"model: no such file {side} (expected NAME.json next to NAME.safetensors)"
        )
    try:
        meta = json.loads(side.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(
            f"model: {side} is not valid JSON ({err.msg} at line {err.lineno})"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"model: {side} is not a smartbot policy file (format should be {FORMAT})")
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        raise ValueError(
            f"model: {side} lacks the field {missing[0]!r} (required: {', '.join(_REQUIRED)})"
        )
    return meta


def check_fits(
    meta: dict[str, Any],
    env_id: str,
    observation_space: spaces.Space[Any],
    action_space: spaces.Space[Any] | None = None,
) -> None:
    """Raise :class:`ModelMismatchError` saying what differs between a model and an env."""
    problems = []
    if meta["env_id"] != env_id:
        problems.append(f"env id: model was trained on {meta['env_id']}, not {env_id}")
    problems += space_differences(meta["observation_space"], describe_space(observation_space))
    if action_space is not None and meta.get("action_table") is None:
        problems += space_differences(meta["action_space"], describe_space(action_space), "action")
    if problems:
        raise ModelMismatchError("model does not fit the environment: " + "; ".join(problems))


def load_policy(
    path: str | os.PathLike[str],
    env_id: str | None = None,
    *,
    env_kwargs: dict[str, Any] | None = None,
    deterministic: bool = True,
    device: str = "cpu",
) -> SB3Policy:
    """Rebuild a saved policy (no unpickling) and wrap it as a Policy/BatchPolicy.

    Args:
        path: the file stem, or its ``.json``/``.safetensors`` file.
        env_id: when given, the model must fit this env (with ``env_kwargs``, default the
            model's own): otherwise :class:`ModelMismatchError` says what differs.
    """
    from safetensors.torch import load_file

    from policies.builders import build_policy_network, task_mirror

    meta = read_meta(path)
    stem = pair_stem(path)
    weights = stem.with_suffix(".safetensors")
    if not weights.exists():
        raise FileNotFoundError(f"model: no such file {weights}")
    if env_id is not None:
        from envs.tasks import make_task

        kwargs = meta.get("env_kwargs", {}) if env_kwargs is None else env_kwargs
        try:
            task = make_task(env_id, 1, dict(kwargs))
        except ValueError as err:
            raise ModelMismatchError(f"model does not fit the environment: {err}") from None
        check_fits(meta, env_id, task.single_observation_space, task.single_action_space)
    obs_space = space_from_json(meta["observation_space"])
    act_space = space_from_json(meta["action_space"])
    try:
        mirror = task_mirror(meta["policy"], meta["env_id"], meta.get("env_kwargs", {}), obs_space)
    except ValueError as err:
        raise ModelMismatchError(f"model: {err}") from None
    policy = build_policy_network(
        meta["algo"], obs_space, act_space, meta["policy"], device, mirror
    )
    try:
        state = load_file(str(weights), device=device)
    except Exception as err:  # safetensors raises its own error types for corrupt files
        raise ValueError(f"model: {weights} is truncated or corrupt ({err})") from None
    try:
        missing, unexpected = policy.load_state_dict(state, strict=False)
    except RuntimeError as err:  # tensor shapes differ from the architecture in the JSON
        detail = str(err).splitlines()[-1].strip()
        raise ModelMismatchError(
            f"model: {weights} does not match its architecture ({detail})"
        ) from None
    if missing or unexpected:
        raise ModelMismatchError(
            f"model: {weights} does not match its architecture (missing {list(missing)[:3]}, "
            f"unexpected {list(unexpected)[:3]})"
        )
    return SB3Policy(policy, deterministic=deterministic, meta=meta)
