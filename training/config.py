"""Training configs: YAML files shipped in ``training/configs``, merged and validated.

A run's config is built in layers, later ones winning:

1. ``configs/<algo>.yaml``: the algorithm's defaults;
2. ``configs/<task>_<algo>.yaml`` when it exists (e.g. ``pointnav_ppo.yaml``);
3. a user YAML file (``--config FILE``);
4. ``--set KEY=VALUE`` overrides: ``KEY`` is a top-level key (``n_envs``), a dotted
   path (``algo_kwargs.learning_rate``, ``eval.episodes``) or a bare algorithm
   hyperparameter (``learning_rate``); ``VALUE`` is parsed as YAML.

Every key is validated: an unknown key or a value out of range raises
:class:`ConfigError` naming the key and what is allowed.
"""

from __future__ import annotations

import copy
import inspect
import math
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from envs.tasks import TASK_IDS, make_task
from policies.builders import ALGOS, build_policy_kwargs

__all__ = [
    "ConfigError",
    "load_config",
    "parse_value",
    "resolve_config",
    "validate_config",
    "TOP_KEYS",
    "task_slug",
]


class ConfigError(ValueError):
    """A training config key is unknown or its value is not allowed."""


TOP_KEYS: dict[str, str] = {
    "env": "task id",
    "algo": "algorithm",
    "total_timesteps": "environment steps to train for",
    "n_envs": "robots stepped together",
    "seed": "random seed",
    "device": "auto, cpu or cuda",
    "torch_threads": "CPU threads for torch",
    "update_threads": "CPU threads for torch during network updates (null: torch_threads)",
    "sim_threads": "CPU threads for the simulator's sensor kernels",
    "env_kwargs": "task settings passed to gym.make",
    "policy": "policy network config",
    "algo_kwargs": "algorithm hyperparameters",
    "eval": "evaluation during training",
    "checkpoint_every_steps": "steps between checkpoints",
    "lr_schedule": "constant, or linear (decays learning_rate to 0 at the end)",
    "pretrain": "supervised pretraining of the camera CNN before RL (training.pretrain)",
}
EVAL_KEYS = {"every_steps", "episodes", "split", "n_envs"}
DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "device": "auto",
    "torch_threads": 1,
    "update_threads": None,
    "sim_threads": 1,
    "env_kwargs": {},
    "policy": {},
    "algo_kwargs": {},
    "eval": {"every_steps": 50000, "episodes": 32, "split": "val", "n_envs": 16},
    "checkpoint_every_steps": 50000,
    "lr_schedule": "constant",
}
# (low, high, integer) ranges of well-known hyperparameters
_RANGES: dict[str, tuple[float, float, bool]] = {
    "learning_rate": (1e-8, 1.0, False),
    "gamma": (0.0, 1.0, False),
    "gae_lambda": (0.0, 1.0, False),
    "clip_range": (0.0, 1.0, False),
    "ent_coef": (0.0, 1.0, False),
    "vf_coef": (0.0, 10.0, False),
    "max_grad_norm": (0.0, 1000.0, False),
    "n_steps": (1, 1_000_000, True),
    "batch_size": (1, 1_000_000, True),
    "n_epochs": (1, 1000, True),
    "buffer_size": (1, 100_000_000, True),
    "learning_starts": (0, 100_000_000, True),
    "tau": (0.0, 1.0, False),
    "train_freq": (1, 100_000, True),
    "gradient_steps": (-1, 100_000, True),
    "target_update_interval": (1, 100_000_000, True),
    "exploration_fraction": (0.0, 1.0, False),
    "exploration_final_eps": (0.0, 1.0, False),
    "exploration_initial_eps": (0.0, 1.0, False),
}
# constructor arguments the trainer sets itself
_MANAGED = {
    "policy",
    "env",
    "seed",
    "device",
    "verbose",
    "tensorboard_log",
    "policy_kwargs",
    "_init_setup_model",
}


def task_slug(env_id: str) -> str:
    """``smartbot/PointNav-v0`` -> ``pointnav``."""
    return env_id.split("/")[-1].split("-")[0].lower()


def algo_class(algo: str) -> type[Any]:
    """The stable-baselines3 (or sb3-contrib) class of ``algo``."""
    if algo == "recurrent_ppo":
        from sb3_contrib import RecurrentPPO

        return RecurrentPPO
    import stable_baselines3 as sb3

    return {"ppo": sb3.PPO, "a2c": sb3.A2C, "sac": sb3.SAC, "td3": sb3.TD3, "dqn": sb3.DQN}[algo]


def _read_yaml(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{where}: not valid YAML ({err})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level")
    return data


def shipped(name: str) -> dict[str, Any] | None:
    """A YAML file from ``training/configs`` (None when absent)."""
    f = resources.files("training").joinpath("configs", name)
    if not f.is_file():
        return None
    return _read_yaml(f.read_text(), f"configs/{name}")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_value(raw: str) -> Any:
    """The VALUE of a ``--set KEY=VALUE``: YAML, with "1e-4" read as a number."""
    value = yaml.safe_load(raw) if raw.strip() else ""
    if isinstance(value, str):  # YAML 1.1 reads "1e-4" as a string
        try:
            value = float(value)
        except ValueError:
            pass
    return value


def apply_override(cfg: dict[str, Any], item: str) -> None:
    """Apply one ``KEY=VALUE`` override in place (see the module docstring)."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
    key, raw = item.split("=", 1)
    key = key.strip()
    value = parse_value(raw)
    parts = key.split(".")
    if len(parts) == 1 and key not in TOP_KEYS:
        parts = ["algo_kwargs", key]
    node = cfg
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {key}: {p} is not a section")
    node[parts[-1]] = value


def resolve_config(
    env: str | None,
    algo: str | None,
    config_file: str | Path | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """Merge the layers for ``env`` and ``algo`` and validate the result."""
    user: dict[str, Any] = {}
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"--config: no such file {path}")
        user = _read_yaml(path.read_text(), str(path))
    algo = algo or user.get("algo")
    env = env or user.get("env")
    if algo is None:
        raise ConfigError(f"algo: not given; allowed: {', '.join(ALGOS)}")
    if algo not in ALGOS:
        raise ConfigError(f"algo: {algo!r} is not allowed; allowed: {', '.join(ALGOS)}")
    if env is None:
        raise ConfigError(f"env: not given; allowed: {', '.join(TASK_IDS)}")
    cfg = _merge(DEFAULTS, shipped(f"{algo}.yaml") or {"algo": algo})
    cfg = _merge(cfg, shipped(f"{task_slug(env)}_{algo}.yaml") or {})
    cfg = _merge(cfg, user)
    cfg["env"], cfg["algo"] = env, algo
    for item in overrides or []:
        apply_override(cfg, item)
    validate_config(cfg)
    return cfg


def _num(key: str, value: Any, lo: float, hi: float, integer: bool) -> None:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if (
        isinstance(value, bool)
        or not ok
        or not (lo <= value <= hi)
        or (not integer and not math.isfinite(value))
    ):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{key}: {value!r} is not allowed; expected {kind} in [{lo:g}, {hi:g}]")


def validate_config(cfg: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` naming the first bad key."""
    unknown = sorted(set(cfg) - set(TOP_KEYS))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key; allowed: {', '.join(TOP_KEYS)}")
    if cfg.get("env") not in TASK_IDS:
        raise ConfigError(f"env: {cfg.get('env')!r} is not allowed; allowed: {', '.join(TASK_IDS)}")
    algo = cfg.get("algo")
    if algo not in ALGOS:
        raise ConfigError(f"algo: {algo!r} is not allowed; allowed: {', '.join(ALGOS)}")
    _num("total_timesteps", cfg.get("total_timesteps"), 1, 1e12, True)
    _num("n_envs", cfg.get("n_envs"), 1, 4096, True)
    _num("seed", cfg.get("seed"), 0, 2**63 - 1, True)
    _num("torch_threads", cfg.get("torch_threads"), 1, 256, True)
    if cfg.get("update_threads") is not None:
        _num("update_threads", cfg["update_threads"], 1, 256, True)
    _num("sim_threads", cfg.get("sim_threads", 1), 1, 256, True)
    _num("checkpoint_every_steps", cfg.get("checkpoint_every_steps"), 1, 1e12, True)
    if cfg.get("lr_schedule", "constant") not in ("constant", "linear"):
        raise ConfigError(
            f"lr_schedule: {cfg.get('lr_schedule')!r} is not allowed; allowed: constant, linear"
        )
    if cfg.get("device") not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device: {cfg.get('device')!r} is not allowed; allowed: auto, cpu, cuda")
    for section in ("env_kwargs", "policy", "algo_kwargs", "eval"):
        if not isinstance(cfg.get(section), dict):
            raise ConfigError(f"{section}: expected a mapping")
    ev = cfg["eval"]
    bad = sorted(set(ev) - EVAL_KEYS)
    if bad:
        raise ConfigError(f"eval.{bad[0]}: unknown key; allowed: {', '.join(sorted(EVAL_KEYS))}")
    _num("eval.every_steps", ev.get("every_steps", 1), 1, 1e12, True)
    _num("eval.episodes", ev.get("episodes", 1), 1, 1_000_000, True)
    _num("eval.n_envs", ev.get("n_envs", 1), 1, 4096, True)
    if ev.get("split", "val") not in ("train", "val", "test"):
        raise ConfigError(
            f"eval.split: {ev.get('split')!r} is not allowed; allowed: train, val, test"
        )
    try:
        build_policy_kwargs(algo, cfg["policy"])
    except ValueError as err:
        raise ConfigError(str(err)) from None
    try:
        make_task(cfg["env"], 1, dict(cfg["env_kwargs"]))
    except ValueError as err:
        raise ConfigError(f"env_kwargs: {err}") from None
    if cfg.get("pretrain") is not None:
        from training.pretrain import validate_pretrain

        try:
            validate_pretrain(cfg)
        except ValueError as err:
            raise ConfigError(str(err)) from None
    params = inspect.signature(algo_class(algo).__init__).parameters
    allowed = sorted(k for k in params if k not in _MANAGED and k != "self")
    for key, value in cfg["algo_kwargs"].items():
        if key not in params or key in _MANAGED:
            raise ConfigError(
                f"algo_kwargs.{key}: unknown for {algo}; allowed: {', '.join(allowed)}"
            )
        if key in _RANGES:
            lo, hi, integer = _RANGES[key]
            _num(f"algo_kwargs.{key}", value, lo, hi, integer)
    ak = cfg["algo_kwargs"]
    if algo in ("ppo", "recurrent_ppo") and "batch_size" in ak and "n_steps" in ak:
        if ak["batch_size"] > ak["n_steps"] * cfg["n_envs"]:
            raise ConfigError(
                f"algo_kwargs.batch_size: {ak['batch_size']} exceeds n_steps x n_envs = "
                f"{ak['n_steps'] * cfg['n_envs']}; allowed [1, n_steps x n_envs]"
            )


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a resolved config (e.g. a run folder's ``config.yaml``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config: no such file {p}")
    cfg = _read_yaml(p.read_text(), str(p))
    validate_config(cfg)
    return cfg
