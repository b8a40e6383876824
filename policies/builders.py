"""From our JSON/YAML policy config to SB3 ``policy_kwargs`` and policy networks.

A policy config (the ``policy:`` section of a training config) is plain JSON::

    extractor: smartbot            # smartbot or gated (ours), or combined (SB3's CombinedExtractor)
    extractor_kwargs: {mlp_hidden: [128], cnn_features: 256}
    net_arch: [128, 128]           # or {pi: [...], vf: [...]} / {pi: [...], qf: [...]}
    activation: tanh               # relu, tanh, elu, gelu
    log_std_init: 0.0              # continuous on-policy algorithms only
    lstm_hidden_size: 128          # recurrent_ppo only (also n_lstm_layers,
                                   # shared_lstm, enable_critic_lstm, lstm_forget_bias)
    symmetry: fore_aft             # ppo/a2c only, or fore_aft_goal: see policies.symmetric
                                   # (default none)
    squash_mean: true              # ppo/a2c only: see policies.actor_critic (default false)
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from gymnasium import spaces

from policies.extractors import EXTRACTORS
from policies.gated_attention import GatedAttentionExtractor
from policies.networks import activation

__all__ = [
    "ALGOS",
    "POLICY_KEYS",
    "build_policy_kwargs",
    "build_policy_network",
    "init_policy",
    "policy_class",
    "task_mirror",
]

#: Our extractors by config name (``combined`` is SB3's CombinedExtractor).
OUR_EXTRACTORS: dict[str, type[Any]] = {**EXTRACTORS, "gated": GatedAttentionExtractor}
ALGOS: tuple[str, ...] = ("ppo", "a2c", "sac", "td3", "dqn", "recurrent_ppo")
_COMMON_KEYS = {"extractor", "extractor_kwargs", "net_arch", "activation"}
_ONPOLICY_KEYS = {"log_std_init", "ortho_init"}
#: ``symmetry`` values: none, fore_aft (:class:`policies.symmetric.ForeAftSymmetricPolicy`)
#: or fore_aft_goal (:class:`policies.symmetric.GoalFrameSymmetricPolicy`)
SYMMETRIES: tuple[str, ...] = ("none", "fore_aft", "fore_aft_goal")
_RECURRENT_KEYS = {"lstm_hidden_size", "n_lstm_layers", "shared_lstm", "enable_critic_lstm"}
#: keys that shape the initial weights only (applied by :func:`init_policy`, not passed to SB3)
_INIT_KEYS = {"lstm_forget_bias"}
#: allowed ``policy:`` keys per algorithm
POLICY_KEYS: dict[str, set[str]] = {
    "ppo": _COMMON_KEYS | _ONPOLICY_KEYS | {"symmetry", "squash_mean"},
    "a2c": _COMMON_KEYS | _ONPOLICY_KEYS | {"symmetry", "squash_mean"},
    "recurrent_ppo": _COMMON_KEYS | _ONPOLICY_KEYS | _RECURRENT_KEYS | _INIT_KEYS,
    "sac": _COMMON_KEYS | {"log_std_init"},
    "td3": set(_COMMON_KEYS),
    "dqn": set(_COMMON_KEYS),
}


def _check_algo(algo: str) -> None:
    if algo not in ALGOS:
        raise ValueError(f"algo: {algo!r} is not allowed; allowed: {', '.join(ALGOS)}")


def _check_extractor_kwargs(cls: type[Any], kwargs: Any) -> None:
    if not isinstance(kwargs, dict):
        raise ValueError(f"policy.extractor_kwargs: expected a mapping, got {kwargs!r}")
    params = inspect.signature(cls.__init__).parameters
    allowed = sorted(k for k in params if k not in ("self", "observation_space"))
    for key in kwargs:
        if key not in allowed:
            raise ValueError(
                f"policy.extractor_kwargs.{key}: unknown for {cls.__name__}; "
                f"allowed: {', '.join(allowed)}"
            )


def _check_net_arch(algo: str, arch: Any) -> None:
    def layers(x: Any) -> bool:
        return isinstance(x, list) and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in x
        )

    if isinstance(arch, dict) and algo != "dqn":
        allowed = ("pi", "qf") if algo in ("sac", "td3") else ("pi", "vf")
        for key, value in arch.items():
            if key not in allowed:
                raise ValueError(
                    f"policy.net_arch.{key}: unknown key for {algo}; allowed: {', '.join(allowed)}"
                )
            if not layers(value):
                raise ValueError(
                    f"policy.net_arch.{key}: expected a list of layer sizes >= 1, got {value!r}"
                )
    elif not layers(arch):
        raise ValueError(f"policy.net_arch: expected a list of layer sizes >= 1, got {arch!r}")


def _symmetry(cfg: dict[str, Any]) -> str:
    value = cfg.get("symmetry", "none")
    if value not in SYMMETRIES:
        raise ValueError(
            f"policy.symmetry: {value!r} is not allowed; allowed: {', '.join(SYMMETRIES)}"
        )
    return str(value)


def _squash_mean(cfg: dict[str, Any]) -> bool:
    value = cfg.get("squash_mean", False)
    if not isinstance(value, bool):
        raise ValueError(f"policy.squash_mean: expected true or false, got {value!r}")
    return value


def build_policy_kwargs(
    algo: str, cfg: dict[str, Any], mirror: dict[str, Any] | None = None
) -> dict[str, Any]:
    """SB3 ``policy_kwargs`` for ``algo`` from a policy config (validated).

    ``mirror``: the task's fore/aft map (:func:`task_mirror`), passed to the policy when
    the config asks for a ``symmetry`` (fore_aft or fore_aft_goal).
    """
    _check_algo(algo)
    unknown = sorted(set(cfg) - POLICY_KEYS[algo])
    if unknown:
        raise ValueError(
            f"policy.{unknown[0]}: unknown key for {algo}; "
            f"allowed: {', '.join(sorted(POLICY_KEYS[algo]))}"
        )
    kwargs: dict[str, Any] = {}
    name = cfg.get("extractor", "smartbot")
    if name in OUR_EXTRACTORS:
        _check_extractor_kwargs(OUR_EXTRACTORS[name], cfg.get("extractor_kwargs", {}))
        kwargs["features_extractor_class"] = OUR_EXTRACTORS[name]
        kwargs["features_extractor_kwargs"] = dict(cfg.get("extractor_kwargs", {}))
        # Our extractor scales images itself (uint8 / 255); SB3 must not divide again.
        kwargs["normalize_images"] = False
    elif name == "combined":
        from stable_baselines3.common.torch_layers import CombinedExtractor

        _check_extractor_kwargs(CombinedExtractor, cfg.get("extractor_kwargs", {}))
        kwargs["features_extractor_kwargs"] = dict(cfg.get("extractor_kwargs", {}))
    else:
        raise ValueError(
            f"policy.extractor: {name!r} is not allowed; allowed: smartbot, gated, combined"
        )
    if "net_arch" in cfg:
        arch = cfg["net_arch"]
        _check_net_arch(algo, arch)
        kwargs["net_arch"] = dict(arch) if isinstance(arch, dict) else list(arch)
    if "activation" in cfg:
        try:
            kwargs["activation_fn"] = activation(cfg["activation"])
        except ValueError as err:
            raise ValueError(f"policy.{err}") from None
    for key in ("log_std_init", "ortho_init", *sorted(_RECURRENT_KEYS)):
        if key in cfg:
            kwargs[key] = cfg[key]
    if "lstm_forget_bias" in cfg:
        _check_forget_bias(cfg["lstm_forget_bias"])
    if _symmetry(cfg) != "none" and mirror is not None:
        kwargs["mirror"] = mirror
    if _squash_mean(cfg):
        kwargs["squash_mean"] = True
    return kwargs


def task_mirror(
    cfg: dict[str, Any],
    env_id: str,
    env_kwargs: dict[str, Any],
    observation_space: spaces.Space[Any],
) -> dict[str, Any] | None:
    """The fore/aft map of the task's observation when the policy config asks for
    a ``symmetry`` (else None); ValueError naming the key it cannot mirror."""
    if _symmetry(cfg) == "none":
        return None
    from envs.symmetry import fore_aft_mirror
    from envs.tasks import task_class

    if not isinstance(observation_space, spaces.Dict):
        raise ValueError(f"policy.symmetry: needs a Dict observation, got {observation_space}")
    config = task_class(env_id).config_cls.from_dict(dict(env_kwargs))
    return dict(fore_aft_mirror(config, observation_space))


def _check_forget_bias(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -10 <= value <= 10:
        raise ValueError(f"policy.lstm_forget_bias: expected a number in [-10, 10], got {value!r}")


def init_policy(policy: torch.nn.Module, cfg: dict[str, Any]) -> None:
    """Apply the initialisation keys of a policy config to a freshly built SB3 policy.

    ``lstm_forget_bias`` (recurrent_ppo): the forget-gate bias of every LSTM layer
    (PyTorch's ``bias_ih``; ``bias_hh`` forget part set to 0). PyTorch starts it near 0,
    so the cell keeps about half of its content per step and a cue seen 50 steps earlier
    is gone (0.5**50) before learning can use it; a bias of 3 keeps ~95% per step.
    """
    if "lstm_forget_bias" not in cfg:
        return
    value = float(cfg["lstm_forget_bias"])
    _check_forget_bias(value)
    with torch.no_grad():
        for module in policy.modules():
            if isinstance(module, torch.nn.LSTM):
                h = module.hidden_size
                for layer in range(module.num_layers):
                    # PyTorch's gate order in the bias vectors: input, forget, cell, output.
                    getattr(module, f"bias_ih_l{layer}")[h : 2 * h] = value
                    getattr(module, f"bias_hh_l{layer}")[h : 2 * h] = 0.0


def policy_class(algo: str, cfg: dict[str, Any] | None = None) -> type[Any]:
    """The SB3 policy class for Dict observations of ``algo`` (and policy config ``cfg``)."""
    _check_algo(algo)
    if algo in ("ppo", "a2c") and _symmetry(cfg or {}) == "fore_aft":
        from policies.symmetric import ForeAftSymmetricPolicy

        return ForeAftSymmetricPolicy
    if algo in ("ppo", "a2c") and _symmetry(cfg or {}) == "fore_aft_goal":
        from policies.symmetric import GoalFrameSymmetricPolicy

        return GoalFrameSymmetricPolicy
    if algo in ("ppo", "a2c"):  # squash_mean or not: SB3's policy with short paths
        from policies.actor_critic import SmartbotActorCriticPolicy

        return SmartbotActorCriticPolicy
    if algo == "recurrent_ppo":
        from policies.recurrent import SmartbotRecurrentPolicy

        return SmartbotRecurrentPolicy
    if algo == "sac":
        from stable_baselines3.sac.policies import MultiInputPolicy as SACPolicy

        return SACPolicy
    if algo == "td3":
        from stable_baselines3.td3.policies import MultiInputPolicy as TD3Policy

        return TD3Policy
    from stable_baselines3.dqn.policies import MultiInputPolicy as DQNPolicy

    return DQNPolicy


def build_policy_network(
    algo: str,
    observation_space: spaces.Space[Any],
    action_space: spaces.Space[Any],
    cfg: dict[str, Any],
    device: str = "cpu",
    mirror: dict[str, Any] | None = None,
) -> torch.nn.Module:
    """An untrained SB3 policy network of ``algo`` for these spaces (weights to be loaded);
    ``mirror`` as for :func:`build_policy_kwargs`."""
    cls = policy_class(algo, cfg)
    kwargs = build_policy_kwargs(algo, cfg, mirror)
    policy = cls(observation_space, action_space, lambda _: 0.0, **kwargs)
    return policy.to(device)
